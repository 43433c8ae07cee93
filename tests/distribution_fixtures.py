"""Fixtures for distribution job tests: a real site (SQLite), real non-solid WIMs captured with
wimlib-imagex and stored in the site's real content library, distribution points (folders in
the test's tmp folder by default; ``Distribution.place`` puts them on a real SMB or SSH server
instead) and real ``bootimage worker`` processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from console.core.content import ManifestFields, boot_image_name
from console.core.distribution import DistributionPoint, TransportKind
from tests.conftest import REPO
from tests.wim_fixtures import require_tool

FAST = {"BOOTIMAGE_JOB_LEASE_SECONDS": "2", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "0.4",
        "BOOTIMAGE_WORKER_POLL_SECONDS": "0.1", "BOOTIMAGE_JOB_RETRY_SECONDS": "0.3", "BOOTIMAGE_JOB_MAX_ATTEMPTS": "3"}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def payload_tree(root: Path, files: int = 48, kib: int = 320, seed: int = 1) -> Path:
    """A folder of incompressible files (a deterministic pseudo-random stream per file)."""
    for n in range(files):
        folder = root / "Windows" / "System32" / f"d{n // 16}"
        folder.mkdir(parents=True, exist_ok=True)
        data = hashlib.shake_256(f"{seed}:{n}".encode()).digest(kib * 1024)
        (folder / f"file{n:03d}.dll").write_bytes(data)
    return root


def capture_wim(tree: Path, wim: Path) -> Path:
    """A non-solid, uncompressed WIM of ``tree`` (each file's bytes stay in place)."""
    wim.unlink(missing_ok=True)
    subprocess.run(["wimlib-imagex", "capture", str(tree), str(wim), "WinPE", "--compress=none", "--boot"],
                   check=True, capture_output=True, timeout=120)
    return wim


#: ``place(name)`` -> (the DP's fields besides its name, its password or None, the folder on this
#: machine that holds what the DP's server writes: a share's folder, an sshd user's folder)
Place = Callable[[str], tuple[dict[str, object], str | None, Path]]


@dataclass
class Distribution:
    """A site with DPs and a worker launcher."""

    console: Any  # console.app.Console
    tmp: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env_extra: dict[str, str] = field(default_factory=dict)
    #: where ``add_dp`` puts a DP given no address (None: a folder DP in the test's tmp folder)
    place: Place | None = None
    folders: dict[str, Path] = field(default_factory=dict)  # DP name (lower case) -> its folder here
    serving: subprocess.Popen[bytes] | None = None  # a worker kept running (``serve``)

    @property
    def library(self):  # the site's content library
        return self.console.revisions.library()

    def add_dp(self, name: str, address: Path | None = None, **values: object) -> DistributionPoint:
        """A DP registered through the service (a password goes to the site secrets file)."""
        if address is None and self.place is not None:
            fields, password, folder = self.place(name)
            dp = DistributionPoint(name=name, **{**fields, **values})  # type: ignore[arg-type]
            self.folders[name.lower()] = folder
            return self.console.distribution_points.add(dp, password=password).value
        folder = address or self.tmp / name
        folder.mkdir(parents=True, exist_ok=True)
        dp = DistributionPoint(name=name, transport=TransportKind.FOLDER, address=str(folder), **values)  # type: ignore[arg-type]
        return self.console.distribution_points.add(dp).value

    def dp_root(self, name: str) -> Path:
        """The DP's content library as a folder on this machine (on the server's side)."""
        dp = self.console.distribution_points.get(name)
        return self.folders.get(name.lower(), Path(dp.address)) / dp.library_root

    def store(self, pid: str, version: int, files: dict[str, Path]) -> None:
        self.library.store(pid, version, files, ManifestFields("test@host"), make_current=True)

    def store_wim(self, pid: str, version: int, wim: Path) -> None:
        self.store(pid, version, {boot_image_name(pid): wim})

    def worker(self, *args: str, user: list[str] | None = None) -> subprocess.Popen[bytes]:
        env = {**os.environ, **FAST, "BOOTIMAGE_DB": self.console.url,
               "XDG_DATA_HOME": str(self.tmp / "data"), "PYTHONPATH": str(REPO), **self.env_extra}
        log = open(self.tmp / f"worker-{len(self.started)}.log", "wb")  # noqa: SIM115 - closed with the process
        command = [*(user or [sys.executable]), "-m", "console.cli", "worker", *args]
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.started.append(process)
        return process

    def serve(self) -> subprocess.Popen[bytes]:
        """Keep one worker running for the test: ``run_until_idle`` then waits for it to finish
        the queue instead of starting a worker each time (a worker takes seconds to start)."""
        self.serving = self.worker()
        return self.serving

    def run_until_idle(self, timeout: float = 180) -> None:
        if self.serving is not None:
            def done() -> bool:
                assert self.serving is not None and self.serving.poll() is None, "the worker stopped:\n" + self.logs()
                return all(job.finished for job in self.console.jobs.list())

            wait_for(done, "the worker to finish every job", timeout)
            return
        process = self.worker("--until-idle")
        assert process.wait(timeout=timeout) == 0, self.logs()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("worker-*.log")))

    def jobs(self, pid: str) -> list:
        return sorted((j for j in self.console.jobs.list(package_id=pid) if j.kind == "distribute"),
                      key=lambda j: j.queued_at)

    def row(self, pid: str, dp: str):
        return self.console.content.row(pid, dp)


@pytest.fixture
def dist(console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
    require_tool("wimlib-imagex")
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    quiet(console)
    site = Distribution(console, tmp_path)
    yield site
    for process in site.started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def quiet(console) -> None:
    """The tests start their own workers: queuing does not start the embedded detached worker."""
    from console.core.services.content_distribution import ContentDistribution

    console.__dict__["content"] = ContentDistribution(console.context, console.jobs)


def filelib_objects(root: Path) -> dict[str, Path]:
    """FileLib objects on a DP (or site) library: name -> path."""
    return {p.name: p for p in (root / "FileLib").glob("*/*") if p.is_file()}


def most_at_once(jobs: list, dp_names: set[str] | None = None) -> int:
    """The most distribute jobs (to ``dp_names``, lower case: all when None) between the end of
    their ``connect`` step and the end of their last step at one moment (every step recorded)."""
    from datetime import datetime
    from itertools import accumulate

    spans = [(datetime.fromisoformat(j.completed[0].finished_at), datetime.fromisoformat(j.completed[-1].finished_at))
             for j in jobs if dp_names is None or str(j.payload.get("dp", "")).lower() in dp_names]
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans], key=lambda e: (e[0], e[1]))
    return max(accumulate(step for _, step in edges), default=0)
