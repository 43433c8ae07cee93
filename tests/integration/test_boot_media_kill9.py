"""kill -9 of a real `bootimage worker` in the steps of a media job (ISO with a prestart
command override): the image step (taking the image out of the content library), the prestart
step (the build pipeline on the medium's copy) and the write step (xorriso writing the
temporary file next to the output). After each kill a new worker resumes the job once the dead
one's lease expired. At every kill point the output file does not exist yet (only its
temporary ``.part`` may); at the end the job succeeded, the ISO is complete (both El Torito
entries, the override in its boot.wim), no ``.part`` and no work folder are left, and the
package's revisions did not change. The pause-then-kill helpers are the build kill test's."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.core.jobs import Job
from console.core.services.boot_media import MEDIA_KIND, MediaRequest
from tests.conftest import REPO
from tests.integration.test_build_kill9 import pause_in_step, wait_for, with_continue
from tests.media_fixtures import record_media_build
from tests.wim_fixtures import require_tool

LEASE = 1.5
BIG = 24 * 1024 * 1024


class MediaSite:
    def __init__(self, console: Any, db_url: str, tmp: Path, pid: str) -> None:
        self.console, self.db_url, self.tmp, self.pid = console, db_url, tmp, pid
        self.workers: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return {**os.environ, "BOOTIMAGE_DB": self.db_url,
                "BOOTIMAGE_JOB_LEASE_SECONDS": str(LEASE), "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "0.3",
                "BOOTIMAGE_WORKER_POLL_SECONDS": "0.1", "BOOTIMAGE_JOB_RETRY_SECONDS": "0.2",
                "XDG_DATA_HOME": str(self.tmp / "data"), "PYTHONPATH": str(REPO)}

    def start_worker(self) -> subprocess.Popen[bytes]:
        with open(self.tmp / f"worker-{len(self.workers)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "console.cli", "worker"], env=self.env(), cwd=REPO,
                                       stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker-*.log")))


@pytest.fixture
def media_site(console: Any, db_url: str, x64_package: Any, tmp_path: Path) -> Any:
    for tool in ("wimlib-imagex", "xorriso", "hivexsh"):
        require_tool(tool)
    pid = str(x64_package["PackageID"])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    record_media_build(console, pid, tmp_path / "build", extra={"Tools/big.bin": os.urandom(BIG)})
    site = MediaSite(console, db_url, tmp_path, pid)
    yield site
    for process in site.workers:
        if process.poll() is None:
            with_continue(process)
            process.kill()
            process.wait(timeout=30)
    for record in console.jobs.live_workers():  # a detached worker the CLI must not have started
        if record.host == socket.gethostname() and record.pid not in {p.pid for p in site.workers}:
            os.kill(record.pid, signal.SIGKILL)
            raise AssertionError(f"an unexpected worker ran on the site: {record.id}")


def test_a_media_job_killed_in_each_step_resumes_to_a_complete_iso(media_site: MediaSite, tmp_path: Path) -> None:
    site, console = media_site, media_site.console
    before = [(r.version, r.current) for r in console.revisions.revisions(site.pid)]
    out = tmp_path / "out" / "killed.iso"
    out.parent.mkdir()
    part = out.with_name(".killed.iso.part")
    command = "cmd /c X:\\Tools\\menu.cmd"
    # queued before any worker runs (Jobs.queue starts none), so the test sees the job from its
    # first step on; the CLI's `media create` is the same service call (test_boot_media.py)
    request = MediaRequest(site.pid, str(out), "iso", command)
    assert not [c for c in console.media.preflight(request) if c.failed]
    context_id = console.jobs.queue(MEDIA_KIND, site.pid, request.payload()).value.context_id
    worker = site.start_worker()

    def find() -> Job | None:
        return console.jobs.find(context_id)

    def fine(_site: object, job: Job) -> float:  # the short steps after prestart: smaller slices
        return 0.005 if "prestart" in job.completed_steps else 0.02

    for step in ("image", "prestart", "write"):
        pause_in_step(site, find, step, worker, interval=fine)  # type: ignore[arg-type]
        worker.kill()
        assert worker.wait(timeout=30) == -signal.SIGKILL
        assert not out.exists(), f"killed in {step}: the output exists before the job completed"
        worker = site.start_worker()
    wait_for(lambda: (find() or Job("", None, "", "queued")).finished, "the job to end", timeout=180)
    job = find()
    assert job is not None and job.state == "succeeded", f"{job}\n{site.worker_logs()}"
    assert job.completed_steps == ("preflight", "image", "prestart", "layout", "write")
    assert out.is_file() and not part.exists()
    assert not any((tmp_path / "ContentLib" / "Work").iterdir())
    report = subprocess.run(["xorriso", "-indev", str(out), "-report_el_torito", "plain"], capture_output=True,
                            text=True, check=True).stdout
    platforms = {line.split()[6] for line in report.splitlines() if line.startswith("El Torito boot img :")}
    assert platforms == {"BIOS", "UEFI"}, report
    medium = tmp_path / "medium.wim"
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(out), "-extract", "/sources/boot.wim", str(medium)],
                   capture_output=True, check=True)
    subprocess.run(["wimlib-imagex", "verify", str(medium)], capture_output=True, check=True)
    extract = tmp_path / "extract"
    subprocess.run(["wimlib-imagex", "extract", str(medium), "1", "/Windows/System32/startnet.cmd",
                    f"--dest-dir={extract}", "--no-acls"], check=True, capture_output=True,
                   env={**os.environ, "WIMLIB_IMAGEX_IGNORE_CASE": "1"})
    assert command in (extract / "startnet.cmd").read_bytes().decode("utf-8").split("\r\n")
    assert [(r.version, r.current) for r in console.revisions.revisions(site.pid)] == before


def test_cancelling_a_media_job_leaves_no_output_and_no_work_folder(media_site: MediaSite, tmp_path: Path) -> None:
    site, console = media_site, media_site.console
    out = tmp_path / "cancelled.iso"
    request = MediaRequest(site.pid, str(out), "iso", "cmd /c X:\\Tools\\menu.cmd")
    context_id = console.jobs.queue(MEDIA_KIND, site.pid, request.payload()).value.context_id
    worker = site.start_worker()
    pause_in_step(site, lambda: console.jobs.find(context_id), "prestart", worker)  # type: ignore[arg-type]
    with_continue(worker)  # (a paused worker may hold the database's write lock)
    console.jobs.cancel(context_id)
    wait_for(lambda: console.jobs.get(context_id).finished, "the job to end", timeout=120)
    job = console.jobs.get(context_id)
    assert job.state == "cancelled", f"{job.state}: {job.extended_error_info}"
    assert "prestart" not in job.completed_steps
    assert not out.exists() and not out.with_name(".cancelled.iso.part").exists()
    assert not any((tmp_path / "ContentLib" / "Work").iterdir())
