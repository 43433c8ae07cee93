"""Driver import walks each folder once (issue 8, item 10): a flat folder of N INFs costs a
bounded number of directory listings and file stats, not N times the folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.driver_fixtures import LOCAL_INF

INF = sorted(LOCAL_INF.glob("*.inf"))[0]


def _flat_folder(root: Path, count: int) -> Path:
    root.mkdir()
    data = INF.read_bytes()
    for i in range(count):
        (root / f"driver{i:04}.inf").write_bytes(data)
        (root / f"driver{i:04}.sys").write_bytes(b"MZ %d" % i)
    return root


def test_a_flat_folder_of_infs_is_listed_once_and_each_file_is_stat_once(console, tmp_path, monkeypatch):
    count = 60
    folder = _flat_folder(tmp_path / "flat", count)
    calls = {"scandir": 0, "listdir": 0, "stat": 0}
    real = {name: getattr(os, name) for name in ("scandir", "listdir", "stat", "lstat")}

    def counting(name: str, key: str):  # counts calls into the real os functions
        def call(*args, **kwargs):
            calls[key] += 1
            return real[name](*args, **kwargs)
        return call

    monkeypatch.setattr(os, "scandir", counting("scandir", "scandir"))
    monkeypatch.setattr(os, "listdir", counting("listdir", "listdir"))
    monkeypatch.setattr(os, "stat", counting("stat", "stat"))
    monkeypatch.setattr(os, "lstat", counting("lstat", "stat"))
    scan = console.drivers.scan(folder)
    monkeypatch.undo()

    assert len(scan.found) == count and not scan.failed
    assert calls["scandir"] + calls["listdir"] <= 3, calls  # the search, and the content once
    assert calls["stat"] <= 4 * 2 * count, calls  # a few per file, not per file per INF
    assert len({c.size for c in scan.found}) == 1, "INFs sharing a folder share its content"


@pytest.mark.parametrize("change", ["add", "modify"])
def test_a_new_scan_sees_changed_folder_content(console, tmp_path, change):
    folder = _flat_folder(tmp_path / "flat", 2)
    first = console.drivers.scan(folder).found
    if change == "add":
        (folder / "extra.dll").write_bytes(b"more content")
    else:
        (folder / "driver0000.sys").write_bytes(b"MZ changed and longer")
    second = console.drivers.scan(folder).found
    assert [c.content_hash for c in first] != [c.content_hash for c in second]
    assert first[0].size != second[0].size
