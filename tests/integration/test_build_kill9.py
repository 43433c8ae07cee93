"""kill -9 of a real `bootimage worker` in each step of a whole build (UpdateImage) job.

A package with two drivers, scratch 128, a prestart folder (a thousand small files and one
larger one), a JPEG background, a locale and command support already has one built revision.
A second build is queued with `bootimage update-image ID --json` while our worker heartbeats
(so the CLI starts no detached one). For each step in turn the worker is killed with SIGKILL
while the job is in that step, and a new worker is started: it waits for the dead one's lease
to expire, resumes the job and is killed in the next step, until the last worker finishes it.

To kill *in* a step without racing the worker, the test pauses the worker (SIGSTOP, then waits
until it has stopped) every few milliseconds and looks at the job while it is paused: the
first time the job is in the step (started by this worker, not completed) the paused worker
is killed, so the kill lands wherever the step happened to be (inside wimlib, reading the
image back...). Two kill points inside the record step are chosen on purpose: while it stores
the image in the content library (objects written, not yet committed), and after it recorded
the revision and removed its work folder but before the step was marked completed (the test
holds the site database's write lock so the worker stops right there).

At every kill point: the package pointer (PkgLib) names the previous revision or the new one,
and that revision is complete (every object present, every hash right); no revision in the
library is partial; SourceVersion is the old or the new one. At the end: the job succeeded,
each step was completed once (by the worker started after the last kill in it; completed
steps were not run again), the current image passes `wimlib-imagex verify` and carries every
customization, SourceVersion went up by exactly one, the source WIM is byte-identical, the
library holds no temporary files and the job's work folder is gone.

One build, seven workers, six kills: about 20 s on an idle 2-core machine, up to about 70 s
under heavy load (it runs in the default `make test`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.app import Console
from console.core.jobs import Job, JobState
from console.wim.capture import ImageSpec
from tests.conftest import REPO
from tests.servicing_fixtures import BUS_INF, DISK_INF, TINY_JPEG, driver_folder, winpe_wim
from tests.wim_fixtures import require_tool

STEPS = ("preflight", "export", "customize", "verify", "record")
LEASE = 1.5
#: How long the worker runs between two looks at the job (seconds).
PROBE_INTERVAL = 0.02
PRESTART_FILES = 1000
BIG_FILE = 8 * 1024 * 1024
WIMLIB_ENV = {**os.environ, "WIMLIB_IMAGEX_IGNORE_CASE": "1"}


@dataclass
class KillSite:
    console: Console
    db_url: str
    tmp: Path
    pid: str
    source: Path
    prestart: Path
    background: Path
    drivers: list[tuple[int, str]]  # (CI_ID, INF file name)
    library: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {**os.environ, "BOOTIMAGE_DB": self.db_url,
                "BOOTIMAGE_JOB_LEASE_SECONDS": str(LEASE), "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "0.3",
                "BOOTIMAGE_WORKER_POLL_SECONDS": "0.1", "BOOTIMAGE_JOB_RETRY_SECONDS": "0.2",
                "XDG_DATA_HOME": str(self.tmp / "data"), "PYTHONPATH": str(REPO)}

    def start_worker(self, *args: str) -> subprocess.Popen[bytes]:
        with open(self.tmp / f"worker-{len(self.workers)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "console.cli", "worker", *args], env=self.env(),
                                       cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(process)
        return process

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker-*.log")))

    def update_image(self) -> str:
        """`bootimage update-image ID --json`: the ContextID of the queued build."""
        result = subprocess.run([sys.executable, "-m", "console.cli", "update-image", self.pid, "--json"],
                                env=self.env(), cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"update-image failed ({result.returncode}): {result.stderr}"
        job = json.loads(result.stdout)
        assert job["State"] in ("queued", "running"), job
        return str(job["ContextID"])


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def kill_site(console: Console, db_url: str, tmp_path: Path) -> Iterator[KillSite]:
    require_tool("wimlib-imagex")
    require_tool("hivexget")
    source = winpe_wim(tmp_path / "sources" / "boot.wim", spec=ImageSpec(payload_kib=12 * 1024))
    library = tmp_path / "ContentLib"
    console.settings.set_content_library_root(str(library))
    pid = console.packages.create_from_wim(str(source), 1, name="Killed build").value["PackageID"]
    drivers = []
    for inf in (DISK_INF, BUS_INF):
        path = driver_folder(tmp_path / "drivers", inf)
        drivers.append((console.drivers.create_from_inf(str(path.parent), path.name).value.ci_id, path.name))
    console.drivers.add_drivers_to_boot_image(pid, [ci_id for ci_id, _ in drivers])
    prestart = tmp_path / "prestart"
    (prestart / "many").mkdir(parents=True)
    (prestart / "setup.cmd").write_text("@echo prestart\r\n", encoding="ascii")
    for n in range(PRESTART_FILES):
        (prestart / "many" / f"f{n:05}.txt").write_bytes(os.urandom(64))
    (prestart / "big.bin").write_bytes(os.urandom(BIG_FILE))
    background = tmp_path / "background.jpg"
    background.write_bytes(TINY_JPEG[:-2] + b"\0" * 16 + TINY_JPEG[-2:])  # differs from the image's own
    console.packages.put(pid, {"ScratchSpace": 128, "BackgroundBitmapPath": str(background), "EnableLabShell": True,
                               "PreExecCommandLine": "cmd /c setup.cmd", "PreExecSourceDirectory": str(prestart),
                               "InputLocale": "de-DE"})
    site = KillSite(console, db_url, tmp_path, pid, source, prestart, background, drivers, library)
    yield site
    for process in site.workers:
        if process.poll() is None:
            with_continue(process)
            process.kill()
            process.wait(timeout=30)
    # a detached worker the CLI might have started (it must not have: ours heartbeats)
    for record in console.jobs.live_workers():
        if record.host == socket.gethostname() and record.pid not in {p.pid for p in site.workers}:
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)
            raise AssertionError(f"an unexpected worker ran on the site: {record.id}")


def with_continue(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGCONT)


def pause(process: subprocess.Popen[bytes]) -> None:
    """SIGSTOP the worker and wait until it has stopped (it is our child: waitpid WUNTRACED)."""
    os.kill(process.pid, signal.SIGSTOP)
    _, status = os.waitpid(process.pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):  # it ended meanwhile: waitpid reaped it
        process.returncode = os.waitstatus_to_exitcode(status)
        raise AssertionError(f"the worker ended (exit {process.returncode}) while the test waited for a step")


Find = Callable[[], "Job | None"]


def anywhere(site: KillSite, job: Job) -> bool:
    return True


def storing(site: KillSite, job: Job) -> bool:
    """The record step is storing the image in the content library, partway."""
    return "storing" in job.progress_text and 0 < job.progress < job.max_progress


def pause_in_step(site: KillSite, find: Find, step: str, worker: subprocess.Popen[bytes],
                  where: Callable[[KillSite, Job], bool] = anywhere,
                  interval: Callable[[KillSite, Job], float] = lambda site, job: PROBE_INTERVAL,
                  timeout: float = 90.0) -> Job:
    """Let ``worker`` run in slices (``interval``, PROBE_INTERVAL by default); while it is
    paused, look at the job (``find()``; None while it is not queued yet). Returns, with the
    worker paused, the job as it is in the first pause in which this worker is in ``step``
    (not completed) and ``where`` holds."""
    tag = f":{worker.pid}:"
    start = time.monotonic()
    deadline = start + timeout
    looks: list[str] = []  # what the test saw, for the failure message
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise AssertionError(f"the worker ended ({worker.returncode}) before step {step}:\n{site.worker_logs()}")
        pause(worker)
        job = find()
        if job is not None:
            looks.append(f"{time.monotonic() - start:.3f}s {job.state} {job.step or '-'} "
                         f"done={','.join(job.completed_steps) or '-'} by={job.worker_id}")
        if job is not None and job.finished:
            raise AssertionError(f"the job ended ({job.state}: {job.extended_error_info}) before step {step}")
        if job is not None and job.state == JobState.RUNNING and tag in (job.worker_id or ""):
            if step in job.completed_steps:
                raise AssertionError(f"step {step} ended before the test could stop the worker in it "
                                     f"({where.__name__}); make the build's input larger. Seen: " + "; ".join(looks[-8:]))
            if job.step == step and where(site, job):
                return job
        slice_seconds = interval(site, job) if job is not None else PROBE_INTERVAL
        with_continue(worker)
        time.sleep(slice_seconds)
    with_continue(worker)
    raise AssertionError(f"timed out after {timeout:g} s waiting for step {step}:\n{site.worker_logs()}")


def kill_in_step(site: KillSite, find: Find, step: str, worker: subprocess.Popen[bytes],
                 where: Callable[[KillSite, Job], bool] = anywhere) -> Job:
    """kill -9 the worker in ``step`` (where ``where`` holds); the job as it was at the kill."""
    job = pause_in_step(site, find, step, worker, where)
    worker.kill()
    assert worker.wait(timeout=30) == -signal.SIGKILL
    return job


def kill_after_recording(site: KillSite, find: Find, step: str, worker: subprocess.Popen[bytes]) -> Job:
    """kill -9 the worker at the end of the record step: the revision is recorded (database and
    package pointer), the work folder removed, but the step is not marked completed yet.

    The worker is paused (in fine slices once the manifest is written) when the pointer names
    the new revision; the test then holds the site database's write lock and lets the worker
    go on: it removes its work folder and blocks on the database, where it is killed."""
    assert step == "record"
    before = site.console.packages.get(site.pid)["SourceVersion"]
    manifest = site.library / "DataLib" / f"{site.pid}.{before + 1}.json"

    def pointer_switched(site: KillSite, job: Job) -> bool:
        return bool(site.console.revisions.library().current_version(site.pid) == before + 1)

    def fine(site: KillSite, job: Job) -> float:
        return 0.001 if job.step == "record" and manifest.exists() else PROBE_INTERVAL

    job = pause_in_step(site, find, step, worker, pointer_switched, fine)
    work = site.library / "Work" / job.context_id
    lock = sqlite3.connect(site.db_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        for _attempt in range(500):
            try:
                lock.execute("BEGIN IMMEDIATE")
                locked = True
                break
            except sqlite3.OperationalError:  # the paused worker is inside a write of its own
                if not work.exists():  # the step itself, marking its completion: kill it there
                    locked = False
                    break
                # its heartbeat thread: let that write finish (a millisecond at a time)
                with_continue(worker)
                time.sleep(0.001)
                pause(worker)
                now = find()
                assert now is not None and step not in now.completed_steps, "the record step ended before the test held the lock"
        else:
            raise AssertionError("the test could not take the site database's write lock")
        if locked:
            with_continue(worker)
            wait_for(lambda: not work.exists(), "the record step to remove its work folder", timeout=30)
            time.sleep(0.3)  # it goes on to mark the step completed: a write that waits for the lock
        assert not work.exists() and worker.poll() is None
        worker.kill()
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        lock.close()
    return job


def temporary_files(library: Path) -> list[Path]:
    return sorted(p for folder in ("FileLib", "DataLib", "PkgLib") for p in (library / folder).rglob("*")
                  if p.is_file() and (p.name.startswith(".") or p.name.endswith(".tmp")))


def check_kill_point(site: KillSite, step: str, before: int) -> None:
    """The package's current image is the previous complete revision or the new complete one;
    no revision in the library is partial; SourceVersion is the old or the new one; no partial
    file under FileLib, DataLib or PkgLib."""
    library = site.console.revisions.library()
    current = library.current_version(site.pid)
    assert current in (before, before + 1), f"killed in {step}: the package pointer names revision {current}"
    for version in library.versions(site.pid):
        problems = library.verify(site.pid, version)
        assert problems == [], f"killed in {step}: revision {version} in the library is partial: {problems}"
    recorded = site.console.packages.get(site.pid)["SourceVersion"]
    assert recorded in (before, before + 1), f"killed in {step}: SourceVersion is {recorded}"
    leftovers = temporary_files(site.library)
    assert leftovers == [], f"killed in {step}: partial files in the content library: {leftovers}"


def check_built_image(site: KillSite, version: int, big_sha: str) -> None:
    """The current revision, taken out of the library: a valid WIM with every customization."""
    out = site.tmp / f"out-{version}"
    [wim] = site.console.revisions.library().materialize(site.pid, version, out)
    verify = subprocess.run(["wimlib-imagex", "verify", str(wim)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, f"wimlib-imagex verify of the built image failed: {verify.stdout}{verify.stderr}"
    listing = subprocess.run(["wimlib-imagex", "dir", str(wim), "1"], check=True, capture_output=True, text=True,
                             timeout=120).stdout.lower().splitlines()
    for ci_id, inf in site.drivers:
        assert f"/drivers/{ci_id}/{inf}".lower() in listing, f"driver {ci_id} ({inf}) is not in the image"
    for name in ("/prestart/setup.cmd", "/prestart/big.bin", f"/prestart/many/f{PRESTART_FILES - 1:05}.txt"):
        assert name in listing, f"{name} is not in the image"
    extract = site.tmp / f"extract-{version}"
    subprocess.run(["wimlib-imagex", "extract", str(wim), "1", "/Windows/System32/config/SYSTEM",
                    "/Windows/System32/startnet.cmd", "/Windows/System32/winpe.jpg", "/Prestart/big.bin",
                    f"--dest-dir={extract}", "--no-acls"], check=True, capture_output=True, env=WIMLIB_ENV, timeout=120)
    scratch = subprocess.run(["hivexget", str(extract / "SYSTEM"), "\\ControlSet001\\Services\\FBWF",
                              "WinPECacheThreshold"], check=True, capture_output=True, text=True).stdout.strip()
    assert scratch == "128", f"the image's scratch space is {scratch!r}"
    script = (extract / "startnet.cmd").read_text(encoding="utf-8", errors="replace")
    assert "wpeinit" in script and "cmd /c setup.cmd" in script, script
    assert (extract / "winpe.jpg").read_bytes() == site.background.read_bytes(), "the background was not replaced"
    assert _sha(extract / "big.bin") == big_sha, "the image carries an older prestart file"


Killer = Callable[[KillSite, Find, str, subprocess.Popen[bytes]], Job]


def run_killed_build(site: KillSite, kills: Sequence[tuple[str, Killer]]) -> None:
    """Build once (the previous revision), then build again and kill the worker at each of
    ``kills`` ((step, how), in step order), starting a new worker after each kill."""
    console = site.console
    source_sha = _sha(site.source)
    first = site.start_worker()
    wait_for(lambda: any(w.pid == first.pid for w in console.jobs.live_workers()),
             "the first worker to register")
    # revision 1 of the content library: the build killed below must never spoil it
    earlier = site.update_image()
    wait_for(lambda: console.jobs.get(earlier).finished, "the first build")
    assert console.jobs.get(earlier).state == JobState.SUCCEEDED, console.jobs.get(earlier)
    before = console.packages.get(site.pid)["SourceVersion"]
    assert console.revisions.library().current_version(site.pid) == before

    (site.prestart / "big.bin").write_bytes(os.urandom(BIG_FILE))  # new bytes for the library to store
    big_sha = _sha(site.prestart / "big.bin")
    # queued by the CLI while the test already watches the worker (it claims the job at once)
    with ThreadPoolExecutor(1) as pool:
        queued = pool.submit(site.update_image)
        worker = first

        def find() -> Job | None:
            if queued.done():
                return console.jobs.get(queued.result())
            jobs = [j for j in console.jobs.list(package_id=site.pid) if j.context_id != earlier]
            return jobs[0] if jobs else None

        for step, killer in kills:
            at_kill = killer(site, find, step, worker)
            assert step not in at_kill.completed_steps
            check_kill_point(site, step, before)
            worker = site.start_worker()  # resumes once the dead worker's lease has expired
        context_id = queued.result()
    last = worker
    wait_for(lambda: console.jobs.get(context_id).finished, "the resumed build", timeout=120)
    last.send_signal(signal.SIGTERM)  # a worker without --until-idle runs until stopped
    assert last.wait(timeout=60) == 0, site.worker_logs()

    job = console.jobs.get(context_id)
    assert job.state == JobState.SUCCEEDED, f"{job.state}: {job.extended_error_info}\n{site.worker_logs()}"
    assert job.completed_steps == STEPS
    assert job.attempts == len(kills) + 1
    # each step was completed once, by the worker alive at that time (the one started after
    # the last kill in that step or an earlier one): no later worker ran a completed step again
    ran_by = {run.step: run.worker for run in job.completed}
    for index, step in enumerate(STEPS):
        alive = site.workers[sum(1 for killed_in, _ in kills if STEPS.index(killed_in) <= index)]
        assert f":{alive.pid}:" in ran_by[step], f"step {step} was completed by {ran_by[step]}, not by pid {alive.pid}"
        done_lines = site.worker_logs().count(f"job {context_id}: step {step} done")
        assert done_lines == 1, f"step {step} of the build completed {done_lines} times"

    library = console.revisions.library()
    assert console.packages.get(site.pid)["SourceVersion"] == before + 1
    assert library.current_version(site.pid) == before + 1
    assert library.verify(site.pid, before + 1) == []
    assert library.versions(site.pid) == [before, before + 1]
    check_built_image(site, before + 1, big_sha)
    assert _sha(site.source) == source_sha, "the source WIM was modified"
    assert temporary_files(site.library) == [], "partial files were left in the content library"
    assert sorted((site.library / "Work").iterdir()) == [], "the build's work folder was left behind"


def kill_while_storing(site: KillSite, find: Find, step: str, worker: subprocess.Popen[bytes]) -> Job:
    return kill_in_step(site, find, step, worker, storing)


def test_kill_9_in_each_step_of_a_build_resumes_and_finishes_with_one_complete_revision(kill_site: KillSite) -> None:
    """A kill in each step in turn; in the record step twice: while it stores the image in the
    content library (no partial file may stay), then, resumed, after it recorded the revision and
    removed its work folder but before the step was marked completed (the next worker must
    finish the job, not fail it)."""
    kills: list[tuple[str, Killer]] = [(step, kill_in_step) for step in STEPS if step != "record"]
    kills += [("record", kill_while_storing), ("record", kill_after_recording)]
    run_killed_build(kill_site, kills)
