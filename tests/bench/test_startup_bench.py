"""Cold start of the console as whole processes (issue 11): to the window shown, and to the
first rows painted on a 100k-package site, each against a bare ``QMainWindow`` script
started the same way in the same venv, alternately in the same run.

``tests/bench/startup_probe.py`` takes the path ``bootimage-console`` takes and exits the
moment the window (or the list's first rows) is painted. Three floors are measured beside
them: the bare script importing SQLAlchemy's ORM, and the two start-up designs that could paint
rows before the ORM is imported (SQLAlchemy Core on a thread; a second process reading the page
while the window's process imports Qt), each with nothing of the console in it.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest

from tests.bench.measure import paired, process_seconds, ratio, record, settle
from tests.bench.processes import probe, process_env
from tests.bench.site_generator import site_database

pytestmark = pytest.mark.bench
COUNT = int(os.environ.get("BOOTIMAGE_BENCH_STARTUP_COUNT", "100000"))


def test_cold_start_to_window_and_first_rows(tmp_path: Path) -> None:
    env = process_env(tmp_path)
    small = tmp_path / "small.db"
    site_database(100, small)
    big = site_database(COUNT, tmp_path / "big.db")
    settle()
    bare = partial(process_seconds, probe("bare", "shown"), env)
    shown, bare_shown = paired(partial(process_seconds, probe("console", "shown", f"sqlite:///{small}"), env), bare)
    rows, bare_rows = paired(partial(process_seconds, probe("console", "rows", f"sqlite:///{big}"), env), bare)
    floor, floor_bare = paired(partial(process_seconds, probe("bare-orm", "shown"), env), bare)
    core, core_bare = paired(partial(process_seconds, probe("core-rows", "rows", f"sqlite:///{big}"), env), bare)
    child, child_bare = paired(partial(process_seconds, probe("child-rows", "rows", f"sqlite:///{big}"), env), bare)
    record("startup", {
        "window_shown": {"subject": shown, "reference": bare_shown, "goal": "≤ 2×",
                         "label": "Cold start to the window shown (offscreen) vs bare QMainWindow script"},
        "first_rows": {"subject": rows, "reference": bare_rows, "goal": "≤ 4×",
                       "label": f"Cold start to first rows painted, {COUNT:,}-package site vs bare QMainWindow script"},
        "first_rows_floor": {"subject": floor, "reference": floor_bare, "goal": "—",
                             "label": "the floor of first rows: the bare script importing SQLAlchemy's ORM first "
                                      "vs the bare script"},
        "first_rows_floor_core": {"subject": core, "reference": core_bare, "goal": "—",
                                  "label": "floor of a Core-only start-up: the bare script painting the first 200 "
                                           "rows read with SQLAlchemy Core on a thread vs the bare script"},
        "first_rows_floor_child": {"subject": child, "reference": child_bare, "goal": "—",
                                   "label": "floor of a two-process start-up: the same rows read with SQLAlchemy Core "
                                            "by a second process started before Qt vs the bare script"},
    }, notes="Whole processes (python -m tests.bench.startup_probe), byte code cached, offscreen; "
             "the probe exits at the paint it waits for.")
    assert ratio(shown, bare_shown) <= 2
    assert ratio(rows, bare_rows) <= 4
