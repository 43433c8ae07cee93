"""The benchmark tools (tests/bench/measure.py, summary.py): docs/benchmarks/summary.md is made
with them, so they run in the normal suite (quickly: real child processes, no benchmark)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bench import measure, summary


def test_paired_warms_up_once_then_alternates_subject_and_reference():
    calls: list[str] = []

    def contender(name: str, value: float) -> Callable[[], float]:
        def run() -> float:
            calls.append(name)
            return value + len(calls)  # each call measures something different
        return run

    ours, theirs = measure.paired(contender("S", 0.0), contender("R", 100.0), runs=5)
    assert calls == ["S", "R"] + ["S", "R"] * 5
    assert ours.values == [3, 5, 7, 9, 11] and theirs.values == [104, 106, 108, 110, 112]
    assert (ours.min, ours.median, ours.max) == (3, 7, 11)
    assert measure.ratio(ours, theirs) == pytest.approx(7 / 108)


def test_alternate_keeps_the_order_given_and_can_skip_the_warm_up():
    calls: list[str] = []
    figures = measure.alternate({n: (lambda n=n: calls.append(n)) for n in ("a", "b", "c")}, runs=2, warm_up=False)
    assert calls == ["a", "b", "c", "a", "b", "c"]
    assert all(len(f.values) == 2 and f.min >= 0 for f in figures.values())  # None: timed whole


def test_figures_median_of_an_even_count_and_their_text():
    figures = measure.Figures([0.004, 0.001, 0.003, 0.002], unit="s")
    assert figures.median == 0.0025
    assert figures.as_dict() == {"unit": "s", "runs": 4, "min": 0.001, "median": 0.0025, "max": 0.004}
    assert str(figures) == "1 / 2.5 / 4 ms (min / median / max of 4)"
    assert str(measure.Figures([100.0, 300.0, 200.0], unit="MiB")) == "100 / 200 / 300 MiB (min / median / max of 3)"


def test_whole_processes_are_timed_and_their_own_cpu_and_peak_memory_measured():
    code = ("import time; b = bytearray(80 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); "
            "t = time.process_time() + 0.1\nwhile time.process_time() < t: pass\ntime.sleep(0.2)")
    usage = measure.process_usage([sys.executable, "-c", code])
    assert 0.3 <= usage.wall < 30 and 0.1 <= usage.cpu < usage.wall
    assert 0.2 <= measure.process_seconds([sys.executable, "-c", code]) < 30
    assert 80 <= measure.process_peak_rss_mib([sys.executable, "-c", code]) < 120
    ballast = bytearray(300 * 1024 * 1024)  # this process grows: its children's own peaks do not
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert measure.process_peak_rss_mib([sys.executable, "-c", "pass"]) < 60
    del ballast
    with pytest.raises(AssertionError, match="exited 1: boom"):
        measure.process_seconds([sys.executable, "-c", "import sys; sys.exit('boom')"])
    with pytest.raises(AssertionError, match=r"ran longer than 0\.5 s"):
        measure.process_usage([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    chatty = "import sys; sys.stderr.write('x' * 300_000)"  # more than a pipe holds
    assert measure.process_peak_rss_mib([sys.executable, "-c", chatty], timeout=20) > 0


def test_child_processes_write_their_bytecode_outside_the_repository(tmp_path):
    env = measure.child_env({"PATH": "/usr/bin", "PYTHONDONTWRITEBYTECODE": "1"})
    assert env == {"PATH": "/usr/bin", "PYTHONPYCACHEPREFIX": str(measure.PYCACHE)}
    module = tmp_path / "bench_probe_module.py"
    module.write_text("VALUE = 1\n")
    prefix = tmp_path / "pycache"
    measure.process_usage([sys.executable, "-c", "import bench_probe_module"],
                          env={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path),
                               "PYTHONPYCACHEPREFIX": str(prefix)})
    assert list(prefix.rglob("bench_probe_module.*.pyc")) and not (tmp_path / "__pycache__").exists()


def test_record_then_summary_renders_one_table_per_benchmark(tmp_path):
    results = tmp_path / "results"
    ours, theirs = measure.Figures([0.2, 0.1, 0.3]), measure.Figures([0.05, 0.04, 0.06])
    written = measure.record("cli_show", {"show": {"subject": ours, "reference": theirs, "goal": "≤ 8×", "met": True,
                                                   "label": "`bootimage show ID --json`"}},
                             notes="Whole processes.", folder=results)
    measure.record("a_memory", {"rss": {"subject": measure.Figures([90.0], unit="MiB"), "goal": "< 100 MiB",
                                        "met": False}}, folder=results)
    stored = json.loads((results / "cli_show.json").read_text())
    assert stored == written
    assert stored["measures"]["show"]["ratio"] == 4.0 and stored["measures"]["show"]["reference"]["median"] == 0.05
    assert len(stored["machine"]["load_avg"]) == 3

    target = tmp_path / "summary.md"
    assert summary.main(results, target) == 0
    text = target.read_text()
    assert text.index("## a_memory") < text.index("## cli_show")  # sorted by name
    row = ("| `bootimage show ID --json` | 0.1 / **0.2** / 0.3 s (3 runs) | 0.04 / **0.05** / 0.06 s (3 runs) "
           "| 4.00× | ≤ 8× (met) |")
    assert row in text
    assert "| rss | 90 / **90** / 90 MiB (1 runs) | — | — | < 100 MiB (**missed**) |" in text
    assert "Whole processes." in text and "load average" in text


def test_summary_without_results_says_so(tmp_path, capsys):
    assert summary.main(tmp_path, tmp_path / "summary.md") == 1
    assert "run `make bench` first" in capsys.readouterr().err
    assert not (tmp_path / "summary.md").exists()


def test_make_bench_runs_every_benchmark_then_renders_the_summary_even_when_one_fails():
    repo = Path(__file__).resolve().parents[2]
    recipe = subprocess.run(["make", "-n", "--no-print-directory", "bench"], cwd=repo, capture_output=True,
                            text=True, timeout=60, check=True).stdout
    run = next(line for line in recipe.splitlines() if "pytest" in line)
    assert "-m bench tests/bench" in run
    assert "status=$?" in recipe and "-m tests.bench.summary" in recipe and "exit $status" in recipe
    assert recipe.index("-m bench tests/bench") < recipe.index("-m tests.bench.summary")
