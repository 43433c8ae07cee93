"""Helpers of the start-up and CLI benchmarks: whole processes in this venv, with byte code
written once (as an installed package has it) and a private settings folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def process_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a measured process: offscreen Qt, ``home`` for QSettings and the
    data folder, byte code cached (``PYTHONDONTWRITEBYTECODE`` would recompile every module
    at every start, which no installed console does)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "BOOTIMAGE_DB")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"), PYTHONPATH=str(ROOT), **extra)
    return env


def bootimage(*args: str) -> list[str]:
    return [PYTHON, "-m", "console.cli", *args]


def probe(*args: str) -> list[str]:
    return [PYTHON, "-m", "tests.bench.startup_probe", *args]



#: started by the benchmark: starts the measured command (its stdout to a file) and prints
#: the command's peak RSS in KiB
_RSS_REPORTER = """
import os, sys
out, argv = sys.argv[1], sys.argv[2:]
actions = [(os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
_pid, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_rss_mib(argv: list[str], env: dict[str, str], out: str = os.devnull, timeout: float = 900) -> float:
    """Peak resident memory of the process ``argv`` alone (its stdout written to ``out``).

    ``measure.process_peak_rss_mib`` cannot tell this from the benchmark's own size: on Linux
    a child's ``ru_maxrss`` starts at the high-water mark of the memory it was forked or
    vforked from, so a command started straight from a 300 MiB pytest reports at least
    300 MiB. A small reporter process starts the command and reads its usage instead.
    """
    import shutil
    import subprocess

    program = argv[0] if "/" in argv[0] else shutil.which(argv[0])
    assert program, argv[0]
    proc = subprocess.run([sys.executable, "-S", "-c", _RSS_REPORTER, out, program, *argv[1:]], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return int(proc.stdout.split()[-1]) / 1024
