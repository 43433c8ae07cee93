"""Helpers of the start-up and CLI benchmarks: whole processes in this venv, with byte code
written once (as an installed package has it) and a private settings folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.bench.measure import process_peak_rss_mib

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



def peak_rss_mib(argv: list[str], env: dict[str, str], out: str = os.devnull, timeout: float = 900) -> float:
    """Peak resident memory of the process ``argv`` alone (``measure.process_peak_rss_mib``)."""
    return process_peak_rss_mib(argv, env, timeout, out)
