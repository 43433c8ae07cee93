"""The CLI as whole processes (issue 11): ``bootimage show ID --json`` against ``python -c
pass``; ``bootimage list --json`` on 100k packages against ``sqlite3 -json`` selecting the same
columns in the same order from the same file; ``list --json``'s peak memory at 1M packages.

Each command is measured twice: as a user's later commands run (served by the user's resident
command server, :mod:`console.cli.resident`, which the first command started; the goal is asserted
on this) and as the first command of a session runs (``BOOTIMAGE_RESIDENT=0``: its own process
imports everything; recorded). Memory is measured in the command's own process, where the work is.

Sizes scale with BOOTIMAGE_BENCH_LIST_COUNT (100k) and BOOTIMAGE_BENCH_MEMORY_COUNT (1M).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.bench.measure import Figures, paired, process_seconds, ratio, record, repeat, settle
from tests.bench.processes import PYTHON, bootimage, peak_rss_mib, process_env
from tests.bench.site_generator import site_database

pytestmark = pytest.mark.bench
LIST_COUNT = int(os.environ.get("BOOTIMAGE_BENCH_LIST_COUNT", "100000"))
MEMORY_COUNT = int(os.environ.get("BOOTIMAGE_BENCH_MEMORY_COUNT", "1000000"))


def listed_columns() -> str:
    """The columns ``list --json`` prints, in its order (the class's non-lazy properties)."""
    from console.app import load_registry
    from console.storage.package_repository import COLUMNS

    cls = load_registry()["SMS_BootImagePackage"]
    return ", ".join(COLUMNS[n] for n, p in cls.properties.items() if n in COLUMNS and not p.is_deferred)


@pytest.fixture
def served_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A process environment whose ``bootimage`` commands a resident server runs (started and
    ready before the measuring begins; stopped after)."""
    env = process_env(tmp_path, BOOTIMAGE_RESIDENT="1", BOOTIMAGE_RESIDENT_DIR=str(tmp_path / "resident"))
    subprocess.run(bootimage("--version"), env=env, capture_output=True, timeout=120, check=True)  # starts it
    deadline = time.monotonic() + 120
    status = bootimage("resident", "status", "--json")
    while not json.loads(subprocess.run(status, env=env, capture_output=True, timeout=60).stdout)["servers"]:
        assert time.monotonic() < deadline, "the resident command server did not start"
        time.sleep(0.2)
    yield env
    subprocess.run(bootimage("resident", "stop"), env=env, capture_output=True, timeout=60)


def own_process(env: dict[str, str]) -> dict[str, str]:
    return {**env, "BOOTIMAGE_RESIDENT": "0"}


def test_show_json_process(tmp_path: Path, served_env: dict[str, str]) -> None:
    db = site_database(100, tmp_path / "site.db")
    command = bootimage("--db", f"sqlite:///{db}", "show", "PS100001", "--json")
    bare = partial(process_seconds, [PYTHON, "-c", "pass"], served_env)
    ours, theirs = paired(partial(process_seconds, command, served_env), bare)
    first, first_bare = paired(partial(process_seconds, command, own_process(served_env)), bare)
    floor, floor_bare = paired(partial(process_seconds, [PYTHON, "-c", "import sqlalchemy.orm"], served_env), bare)
    record("cli-show", {
        "show": {"subject": ours, "reference": theirs, "goal": "≤ 8×",
                 "label": "`bootimage show ID --json` (whole process, run by the resident server) vs `python -c pass`"},
        "show_own_process": {"subject": first, "reference": first_bare, "goal": "—",
                             "label": "the same in its own process (a session's first command, or "
                                      "`BOOTIMAGE_RESIDENT=0`) vs `python -c pass`"},
        "sqlalchemy_orm": {"subject": floor, "reference": floor_bare, "goal": "—",
                           "label": "`python -c 'import sqlalchemy.orm'` vs `python -c pass` (the database layer's floor)"},
    })
    assert ratio(ours, theirs) <= 8


def test_list_json_against_sqlite3(tmp_path: Path, served_env: dict[str, str]) -> None:
    sqlite3 = shutil.which("sqlite3")
    assert sqlite3, "sqlite3 (the command) is needed: packaging/debian-packages.txt"
    db = site_database(LIST_COUNT, tmp_path / "site.db")
    settle()
    env = served_env
    sql = f"SELECT {listed_columns()} FROM boot_image_package ORDER BY lower(name), package_id"
    ours_cmd = bootimage("--db", f"sqlite:///{db}", "list", "--json")
    reference = partial(process_seconds, [sqlite3, "-json", str(db), sql], env)
    ours, theirs = paired(partial(process_seconds, ours_cmd, env), reference)
    first, first_theirs = paired(partial(process_seconds, ours_cmd, own_process(env)), reference)
    memory = repeat(lambda: peak_rss_mib(ours_cmd, own_process(env)), runs=1, unit="MiB")
    record("cli-list", {
        "list_json": {"subject": ours, "reference": theirs, "goal": "≤ 3×",
                      "label": f"`bootimage list --json`, {LIST_COUNT:,} packages (run by the resident server) "
                               "vs `sqlite3 -json` same columns"},
        "list_json_own_process": {"subject": first, "reference": first_theirs, "goal": "—",
                                  "label": "the same in its own process (a session's first command)"},
        "list_json_rss": {"subject": memory, "goal": "flat",
                          "label": f"`bootimage list --json` peak RSS, {LIST_COUNT:,} packages"},
    })
    assert ratio(ours, theirs) <= 3


def test_list_json_memory_is_flat_at_a_million(tmp_path: Path) -> None:
    started = time.perf_counter()
    db = site_database(MEMORY_COUNT, tmp_path / "site.db")
    settle()
    print(f"\nsite of {MEMORY_COUNT:,} packages ready in {time.perf_counter() - started:.1f} s, "
          f"{db.stat().st_size / 2**20:.0f} MiB")
    env = process_env(tmp_path, BOOTIMAGE_RESIDENT="0")  # the command's own process: where the work is
    out = tmp_path / "list.json"

    memory = Figures([peak_rss_mib(bootimage("--db", f"sqlite:///{db}", "list", "--json"), env, str(out))], unit="MiB")
    with out.open("rb") as f:
        records = sum(1 for line in f if line.startswith(b"{"))
    assert records == MEMORY_COUNT
    out.unlink()
    record("cli-list-memory", {"list_json_rss": {"subject": memory, "goal": "< 100 MiB",
                                                 "label": f"`bootimage list --json` peak RSS, {MEMORY_COUNT:,} packages"}})
    assert memory.max < 100
