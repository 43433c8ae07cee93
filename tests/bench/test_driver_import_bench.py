"""Driver import benchmark (``make bench``, issue 8 item 10): 5,000 INFs in one flat folder
must cost at most twice as much as the same 5,000 INFs in 5,000 folders, both imported in
this run into fresh site databases (before the fix the flat folder was walked once per INF:
5,000 INFs took 808 s flat against 6 s in separate folders)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from console.app import ensure_default_site, open_console
from tests.driver_fixtures import LOCAL_INF

pytestmark = pytest.mark.bench

COUNT = int(os.environ.get("BOOTIMAGE_BENCH_INFS", "5000"))


def _import(folder: Path, db: Path) -> float:
    console = open_console(f"sqlite:///{db}", user="bench@host")
    try:
        ensure_default_site(console)
        started = time.perf_counter()
        result = console.drivers.import_drivers(str(folder)).value
        elapsed = time.perf_counter() - started
    finally:
        console.close()
    assert len(result.imported) == COUNT, (len(result.imported), result.failed[:3])
    return elapsed


def test_a_flat_folder_costs_at_most_twice_separate_folders(tmp_path):
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
    separate_s = _import(separate, tmp_path / "separate.db")
    flat_s = _import(flat, tmp_path / "flat.db")
    print(f"\n{COUNT} INFs: separate folders {separate_s:.1f} s, one flat folder {flat_s:.1f} s "
          f"(ratio {flat_s / separate_s:.2f})")
    assert flat_s <= 2 * separate_s
