"""Real driver INF files for the tests, and driver folder trees built from them on disk.

The INFs under permissive licences live in ``tests/data/inf`` (see its NOTICE); the GPL/LGPL
ones are read from ``../shared/testdata/inf`` when that folder exists.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, SHARED

LOCAL_INF = REPO / "tests" / "data" / "inf"
SHARED_INF = SHARED / "testdata" / "inf"
MALFORMED_INF = b"[Version]\r\nSignature=\"$Windows NT$\"\r\nClass=Net\r\n[Manufacturer\r\n%Mfg%=Models,NTamd64\r\n"


@dataclass(frozen=True)
class InfRow:
    """One SOURCES.tsv row: where the file is and the values read from it by hand."""

    saved_name: str
    path: Path
    license: str
    values: dict[str, str]


def inf_rows() -> list[InfRow]:
    """Every INF of the test data: the local copies, then the shared-only (GPL) files."""
    rows: dict[str, InfRow] = {}
    for folder in (LOCAL_INF, SHARED_INF):
        tsv = folder / "SOURCES.tsv"
        if not tsv.exists():
            continue
        with tsv.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["saved_name"] not in rows:
                    rows[row["saved_name"]] = InfRow(row["saved_name"], folder / row["saved_name"], row["license"], row)
    if not (SHARED_INF / "SOURCES.tsv").exists():
        return list(rows.values())
    return sorted(rows.values(), key=lambda r: r.saved_name)


def inf_source_folder() -> Path:
    """All 55 INFs when ../shared is present, else the local permissive subset."""
    return SHARED_INF if (SHARED_INF / "SOURCES.tsv").exists() else LOCAL_INF


def build_driver_tree(root: Path, *, with_catalogs: int = 5) -> Path:
    """A driver share as administrators keep one: each INF in its own folder with a .sys
    file; the first ``with_catalogs`` INFs that name a catalog get that .cat file beside
    them; plus ``broken/broken.inf`` (a section header without ']') and a stampinf-stamped
    copy of an NT$ARCH$ network INF (``stamped/cxwmbclass.inf`` for amd64)."""
    from console.drivers.inf import read_inf

    root.mkdir(parents=True, exist_ok=True)
    catalogs = 0
    for inf in sorted(inf_source_folder().glob("*.inf")):
        folder = root / inf.stem
        folder.mkdir()
        shutil.copyfile(inf, folder / inf.name)
        (folder / f"{inf.stem[-20:]}.sys").write_bytes(b"MZ driver binary of " + inf.name.encode())
        catalog = read_inf(inf).catalog_file
        if catalog and catalogs < with_catalogs:
            (folder / catalog).write_bytes(b"catalog")
            catalogs += 1
    broken = root / "broken"
    broken.mkdir()
    (broken / "broken.inf").write_bytes(MALFORMED_INF)
    stamped = root / "stamped"
    stamped.mkdir()
    original = (inf_source_folder() / "microsoft__Windows-driver-samples__network__wwan__cxwmbclass__cxwmbclass__cxwmbclass.inf")
    (stamped / "cxwmbclass.inf").write_bytes(original.read_bytes().replace(b"$ARCH$", b"amd64"))
    (stamped / "cxwmbclass.cat").write_bytes(b"catalog")
    (stamped / "cxwmbclass.sys").write_bytes(b"MZ cxwmbclass")
    return root
