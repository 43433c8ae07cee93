"""Driver import benchmark (``make bench``): the same 5,000 INFs (one INF and one ``.sys`` file
each) imported into fresh site databases, once as 5,000 folders of one driver and once as one
flat folder, and a bare walk + SHA-256 of the same flat folder's files, taking turns in one run
(``tests/bench/measure.py``).

The goal: the flat folder costs at most twice the separate folders (issue 8 item 10: before the
fix it was walked once per INF, 808 s against 6 s). The ratio of an import to the bare walk +
hash of its files (the I/O floor) is recorded, without a goal (no issue sets one): the rest is
reading each INF, checking it, and writing catalog rows in one transaction. No warm-up round
(the files were just written; each import starts from a new database), so a run stays within
about ten minutes on a busy 2-core machine. ``BOOTIMAGE_BENCH_INFS`` changes the number of INFs.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from console.app import ensure_default_site, open_console
from tests.bench.measure import alternate, ratio, record
from tests.driver_fixtures import LOCAL_INF

pytestmark = pytest.mark.bench

COUNT = int(os.environ.get("BOOTIMAGE_BENCH_INFS", "5000"))
FLAT_LIMIT = 2.0


def importer(folder: Path, databases: Path) -> Callable[[], float]:
    """One run: import ``folder`` into a new site database (created untimed, removed afterwards)."""
    numbers = itertools.count()

    def run() -> float:
        db = databases / f"{folder.name}-{next(numbers)}.db"
        console = open_console(f"sqlite:///{db}", user="bench@host")
        try:
            ensure_default_site(console)
            started = time.perf_counter()
            result = console.drivers.import_drivers(str(folder)).value
            elapsed = time.perf_counter() - started
        finally:
            console.close()
            for leftover in databases.glob(f"{db.name}*"):
                leftover.unlink()
        assert len(result.imported) == COUNT, (len(result.imported), result.failed[:3])
        return elapsed

    return run


def walk_and_hash(folder: Path) -> Callable[[], None]:
    """The floor: list the folder and SHA-256 every file in it, nothing else."""

    def run() -> None:
        files = 0
        for top, _dirs, names in os.walk(folder):
            for name in names:
                with open(os.path.join(top, name), "rb") as handle:
                    hashlib.file_digest(handle, "sha256")
                files += 1
        assert files == 2 * COUNT

    return run


def test_driver_import_flat_against_separate_folders_and_a_bare_walk_and_hash(tmp_path):
    data = sorted(LOCAL_INF.glob("*.inf"))[0].read_bytes()
    flat = tmp_path / "flat"
    flat.mkdir()
    separate = tmp_path / "separate"
    for i in range(COUNT):
        (flat / f"d{i:05}.inf").write_bytes(data)
        (flat / f"d{i:05}.sys").write_bytes(b"MZ %d" % i)
        one = separate / f"d{i:05}"
        one.mkdir(parents=True)
        (one / f"d{i:05}.inf").write_bytes(data)
        (one / f"d{i:05}.sys").write_bytes(b"MZ %d" % i)
    databases = tmp_path / "db"
    databases.mkdir()
    runs = alternate({"flat": importer(flat, databases), "separate": importer(separate, databases),
                      "walk": walk_and_hash(flat)}, warm_up=False)  # the files were just written: warm
    flat_ratio, walk_ratio = ratio(runs["flat"], runs["separate"]), ratio(runs["flat"], runs["walk"])
    record("driver_import", {
        "flat_vs_separate": {"subject": runs["flat"], "reference": runs["separate"], "goal": f"≤ {FLAT_LIMIT:g}×",
                             "met": flat_ratio <= FLAT_LIMIT,
                             "label": f"import {COUNT:,} INFs from one flat folder vs from {COUNT:,} folders"},
        "flat_vs_walk": {"subject": runs["flat"], "reference": runs["walk"], "goal": "— (recorded: the I/O floor)",
                         "label": f"import {COUNT:,} INFs (flat folder) vs a bare walk + SHA-256 of its files"},
    }, notes="Each import into a new SQLite site database; the three took turns.")
    assert flat_ratio <= FLAT_LIMIT, f"flat {runs['flat']} against separate {runs['separate']}"
    print(f"import against a bare walk + hash of its files: {walk_ratio:.0f}x")
