"""How every benchmark in ``make bench`` measures: paired runs, a reference from the same run,
min/median/max over at least five runs, results written where ``docs/benchmarks`` is made from.

A benchmark times its subject and its reference *alternately* (``paired``; ``alternate`` for
more than two contenders), so a machine that gets busier half-way through slows both, and
asserts the ratio of the medians against the goal of the issue that set it. Whole processes are
measured with ``process_usage`` (wall time, CPU time, peak memory of the child alone), in
``child_env``: with their bytecode cached, as an installed package has it. ``record`` writes
the figures to ``tests/bench/results/<name>.json`` (with the load average) and prints them;
``python -m tests.bench.summary`` (run by ``make bench`` after the benchmarks) turns all results
into ``docs/benchmarks/summary.md``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
RUNS = int(os.environ.get("BOOTIMAGE_BENCH_RUNS", "5"))
#: data that takes long to build (1M-package sites, 3M-row content tables) is kept here,
#: outside the repository, keyed by what it was built from (schema revision, sizes)
CACHE = Path(os.environ.get("BOOTIMAGE_BENCH_CACHE", "/var/tmp/bootimage-console-bench"))


@dataclass
class Figures:
    """Repeated measurements of one thing (seconds, MiB, …)."""

    values: list[float] = field(default_factory=list)
    unit: str = "s"

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def __str__(self) -> str:
        scale, unit = (1e3, "ms") if self.unit == "s" and self.median < 1 else (1, self.unit)
        return (f"{self.min * scale:.4g} / {self.median * scale:.4g} / {self.max * scale:.4g} {unit} "
                f"(min / median / max of {len(self.values)})")

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "runs": len(self.values), "min": _sig(self.min),
                "median": _sig(self.median), "max": _sig(self.max)}


def settle() -> None:
    """Untimed: the benchmark's own freshly written data (a generated site, its copy) is written
    to disk before anything is measured, so no measurement competes with that write-back (a
    1M-package site is 1.3 GiB; in a ``make bench`` that had just built it, the filter keystrokes
    and a Content Status page measured 5-20 % over their goals, and under them when run again)."""
    os.sync()


def _sig(value: float) -> float:
    """Four significant digits: sub-millisecond figures keep their precision."""
    return float(f"{value:.4g}")


def repeat(fn: Callable[[], float | None], runs: int = RUNS, unit: str = "s") -> Figures:
    """``fn`` run ``runs`` times; it returns its own measurement, or None to be timed whole."""
    figures = Figures(unit=unit)
    for _ in range(runs):
        started = time.perf_counter()
        value = fn()
        figures.values.append(time.perf_counter() - started if value is None else value)
    return figures


def paired(subject: Callable[[], float | None], reference: Callable[[], float | None],
           runs: int = RUNS, unit: str = "s") -> tuple[Figures, Figures]:
    """Subject and reference taking turns, ``runs`` times each (one warm-up of each first)."""
    figures = alternate({"subject": subject, "reference": reference}, runs, unit)
    return figures["subject"], figures["reference"]


def alternate(contenders: Mapping[str, Callable[[], float | None]], runs: int = RUNS, unit: str = "s",
              warm_up: bool = True) -> dict[str, Figures]:
    """Several contenders taking turns in the order given, ``runs`` times each (after one
    warm-up of each, unless ``warm_up`` is False: for runs that cost minutes and need no warming).
    Each returns its own measurement, or None to be timed whole."""
    if warm_up:
        for fn in contenders.values():
            fn()
    figures = {name: Figures(unit=unit) for name in contenders}
    for _ in range(runs):
        for name, fn in contenders.items():
            started = time.perf_counter()
            value = fn()
            figures[name].values.append(time.perf_counter() - started if value is None else value)
    return figures


def ratio(subject: Figures, reference: Figures) -> float:
    return subject.median / reference.median


#: Bytecode for child processes: kept outside the repository (``PYTHONPYCACHEPREFIX``), written even
#: when this environment sets ``PYTHONDONTWRITEBYTECODE`` (then every child would compile all of
#: our modules from source on every start, ~15 ms of CPU an installed package never pays).
PYCACHE = CACHE / "pycache"


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) as a child process should run in a benchmark: with
    its bytecode cached under ``PYCACHE``, as a user's installed package has it."""
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    out.setdefault("PYTHONPYCACHEPREFIX", str(PYCACHE))
    return out


@dataclass(frozen=True)
class Usage:
    """What one whole child process cost: wall time start to exit and CPU time (user + system,
    steadier than wall time on a busy machine). Its peak memory: ``process_peak_rss_mib``."""

    wall: float
    cpu: float


def process_usage(argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 600) -> Usage:
    """Run ``argv`` to its end (it must succeed) in ``child_env(env)``; what it cost."""
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty child never blocks on it
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=child_env(env), stdout=subprocess.DEVNULL, stderr=stderr)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)  # blocking: the wall time is exact
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            stderr.seek(0)
            why = f"ran longer than {timeout} s" if wall >= timeout else f"exited {proc.returncode}"
            raise AssertionError(f"{' '.join(argv)} {why}: {stderr.read().decode(errors='replace')[-2000:]}")
    return Usage(wall, usage.ru_utime + usage.ru_stime)


def process_seconds(argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 600) -> float:
    """Wall time of a whole process, start to exit (it must succeed)."""
    return process_usage(argv, env, timeout).wall


#: started by ``process_peak_rss_mib``: starts the measured command (stdout to a file) and
#: prints the command's peak RSS in KiB, then exits with the command's code
_RSS_REPORTER = """
import os, sys
out, argv = sys.argv[1], sys.argv[2:]
actions = [(os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
_pid, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def process_peak_rss_mib(argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 600,
                         out: str = os.devnull) -> float:
    """Peak resident memory of the process ``argv`` alone (its stdout written to ``out``).

    A child started straight from this process cannot be measured: on Linux a child's
    ``ru_maxrss`` starts at the high-water mark of the memory it was forked (or vforked /
    posix_spawned) from, so ``python -c pass`` started from a 300 MiB pytest reports at least
    300 MiB. A small reporter process (``python -S``, ~10 MiB) starts the command instead and
    reports the command's own peak.
    """
    program = argv[0] if "/" in argv[0] else shutil.which(argv[0])
    assert program, f"{argv[0]} is not installed"
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty child never blocks on it
        proc = subprocess.run([sys.executable, "-S", "-c", _RSS_REPORTER, out, program, *argv[1:]],
                              env=child_env(env), stdout=subprocess.PIPE, stderr=stderr, timeout=timeout)
        if proc.returncode != 0:
            stderr.seek(0)
            raise AssertionError(f"{' '.join(argv)} exited {proc.returncode}: "
                                 f"{stderr.read().decode(errors='replace')[-2000:]}")
    return int(proc.stdout.split()[-1]) / 1024


def self_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def record(name: str, measures: Mapping[str, Mapping[str, Any]], notes: str = "",
           folder: Path | None = None) -> dict[str, Any]:
    """Write and print the results of one benchmark.

    ``measures`` maps a measure's name to ``{"subject": Figures, "reference": Figures | None,
    "goal": "≤ 3×" (text), "ratio": float | None, "label": "what was measured"}``.
    """
    out: dict[str, Any] = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()],
                    "python": platform.python_version()},
        "notes": notes,
        "measures": {},
    }
    for key, m in measures.items():
        entry: dict[str, Any] = {k: v for k, v in m.items() if k not in ("subject", "reference")}
        entry["subject"] = m["subject"].as_dict()
        if m.get("reference") is not None:
            entry["reference"] = m["reference"].as_dict()
            entry.setdefault("ratio", round(ratio(m["subject"], m["reference"]), 3))
        out["measures"][key] = entry
    folder = RESULTS if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print("\n" + json.dumps(out, indent=2, ensure_ascii=False))
    return out
