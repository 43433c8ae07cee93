"""Starting a detached ``bootimage worker --until-idle`` (the embedded default): when the
console or the CLI queues a job and no worker heartbeats, so closing the console does not stop
the job. Kept apart from ``console.worker`` so the composition root can use it without an
import cycle."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from console.core.console_services import ConsoleServices
from console.core.jobs import JobSettings
from console.paths import data_dir
from console.self_command import self_command, self_environment

#: How much the console's own detached worker lowers its CPU priority: an interactive console on
#: a 2-core desktop must stay responsive while wimlib compresses on every core.
WORKER_NICE = 10


def lower_cpu_priority(nice: int) -> None:
    """Lower this process's CPU priority by ``nice`` (0–19), its session's too on Linux.

    ``nice`` alone does not reach far: the detached worker runs in a session of its own
    (``start_new_session``), and Linux, with autogroup scheduling on (the default of most
    desktop kernels), shares the CPU between sessions first and applies a process's nice only
    inside its session: the worker's compressing and hashing threads took as much CPU as the
    whole console beside them. The session's own nice (``/proc/self/autogroup``, which a process
    may raise without privileges) makes the worker yield to the console there too. Only when the
    worker leads its session (started detached): a worker started in a terminal would otherwise
    lower the priority of that terminal's shell and everything else run in it."""
    if not nice:
        return
    if hasattr(os, "nice"):
        os.nice(nice)  # wimlib's compressor threads inherit it
    autogroup = Path("/proc/self/autogroup")
    # Linux with CONFIG_SCHED_AUTOGROUP; elsewhere nice is all there is
    if hasattr(os, "getsid") and os.getsid(0) == os.getpid() and autogroup.exists():
        for _attempt in range(3):
            try:
                autogroup.write_text(f"{nice}\n")
                return
            except BlockingIOError:  # the kernel takes one such change per 100 ms, machine-wide
                time.sleep(0.1)
            except OSError:  # not allowed here: nice still applies inside the session
                return


def worker_log_path() -> Path:
    return data_dir() / "worker.log"


#: Detached workers this process started: kept (and reaped when they end) so a long-lived
#: console neither leaves zombies behind nor drops a running child's handle.
_STARTED: list[subprocess.Popen[bytes]] = []


def ensure_worker(console: ConsoleServices, settings: JobSettings | None = None) -> int | None:
    """Start ``bootimage worker --until-idle`` detached when no live worker heartbeats.
    Returns the new process id, or None when a worker is running."""
    _STARTED[:] = [p for p in _STARTED if p.poll() is None]
    if console.jobs.live_workers(settings):
        return None
    log_path = worker_log_path()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**self_environment(), "BOOTIMAGE_DB": console.url}  # not on the command line: it may hold a password
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        # its own session (POSIX) or process group without a console (Windows): closing the
        # console, or its terminal, does not stop the worker
        detach: dict[str, Any] = (
            {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
            if os.name == "nt" else {"start_new_session": True})
        process = subprocess.Popen(
            self_command("bootimage", "worker", "--until-idle", "--nice", str(WORKER_NICE)),
            stdin=devnull, stdout=log, stderr=subprocess.STDOUT, env=env, close_fds=True, **detach,
        )
    _STARTED.append(process)
    return process.pid
