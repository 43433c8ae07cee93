"""``python -m tests.bench.summary``: every result of the last ``make bench`` as one Markdown
page, ``docs/benchmarks/summary.md`` (min / median / max over the runs, reference, ratio, goal)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.bench.measure import RESULTS

TARGET = Path(__file__).resolve().parents[2] / "docs" / "benchmarks" / "summary.md"


def _cell(fig: dict[str, Any] | None) -> str:
    if not fig:
        return "—"
    unit = fig["unit"]
    return f"{fig['min']:g} / **{fig['median']:g}** / {fig['max']:g} {unit} ({fig['runs']} runs)"


def render(results: list[dict[str, Any]]) -> str:
    lines = ["# Benchmark summary", "",
             "Made by `python -m tests.bench.summary` from the results of `make bench`",
             "(`tests/bench/results/*.json`). Each cell is min / **median** / max over the runs; subject",
             "and reference ran alternately in the same process run; the ratio is of the medians.", ""]
    for result in sorted(results, key=lambda r: r["benchmark"]):
        machine = result["machine"]
        lines += [f"## {result['benchmark']}", "",
                  f"{result['when']}, {machine['cpus']} CPUs, load average {machine['load_avg']}.", ""]
        if result.get("notes"):
            lines += [result["notes"], ""]
        lines += ["| Measure | Ours | Reference | Ratio | Goal |", "|---|---|---|---|---|"]
        for key, m in result["measures"].items():
            ratio = f"{m['ratio']:.2f}×" if m.get("ratio") is not None else "—"
            goal = m.get("goal", "—") + {True: " (met)", False: " (**missed**)"}.get(m.get("met"), "")
            lines.append(f"| {m.get('label', key)} | {_cell(m['subject'])} | {_cell(m.get('reference'))} "
                         f"| {ratio} | {goal} |")
        lines.append("")
    return "\n".join(lines)


def main(results_folder: Path = RESULTS, target: Path = TARGET) -> int:
    results = [json.loads(p.read_text()) for p in sorted(results_folder.glob("*.json"))]
    results = [r for r in results if "measures" in r]
    if not results:
        print("no results: run `make bench` first", file=sys.stderr)
        return 1
    target.write_text(render(results))
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
