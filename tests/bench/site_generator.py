"""Builds (once, then cached) a site database with many realistic boot image packages.

The site is cached under ``tests.bench.measure.CACHE``, keyed by schema revision and count.
Rows are generated and inserted in batches (never all held at once) into a database at the
schema before the list indexes (0009) with journaling off; migrating it to the newest schema
then builds the indexes and the text-search index over the rows in one pass (as an existing
site is upgraded). Building 1M packages prints how long it took and the disk it uses.
"""

from __future__ import annotations

import contextlib
import random
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from console.app import open_console
from console.storage.engine import create_site_engine, head_revision, upgrade
from console.storage.package_repository import search_text
from console.storage.schema import OptionalComponentRow, PackageRow, SiteRow
from tests.bench.measure import CACHE

FAMILIES = ["Boot image", "WinPE", "Field boot", "Lab PXE", "Recovery", "Imaging", "Kiosk", "Branch office"]
LANGS = ["en-US", "de-DE", "fr-FR", "ja-JP", "es-ES", "nl-NL", "sv-SE", "pt-BR"]
OS = ["10.0.19041.1", "10.0.22621.1", "10.0.26100.1", "6.3.9600.16384"]
BATCH = 5000
#: the schema the rows are inserted at (before the list indexes and the text index)
BULK_REVISION = "0009"
#: bumped when the data or the indexes of a revision change (the cache key)
LAYOUT = "v3"  # v3: the search index merged into one segment when built


def package_rows(count: int, now: datetime, *, first: int = 1, seed: int = 42) -> Iterator[list[dict[str, Any]]]:
    """Packages ``first`` … ``first + count - 1`` as insert parameters, ``BATCH`` at a time.
    Names, versions and sizes repeat (ties), 5% have no SourceDate (NULL)."""
    rng = random.Random(seed)
    batch: list[dict[str, Any]] = []
    for n in range(first, first + count):
        arch = "x64" if rng.random() < 0.8 else "x86"
        name = f"{rng.choice(FAMILIES)} ({arch}) {n:06d}"
        pid = f"PS1{n:05X}"
        version = f"{rng.randint(1, 12)}.{rng.randint(0, 9)}"
        description = rng.choice(["", "Production", "Pilot ring", "Contains NIC drivers for HP G9", "Do not use"])
        language, os_version = rng.choice(LANGS), rng.choice(OS)
        source_date = None if rng.random() < 0.05 else now - timedelta(days=rng.randint(0, 900))
        batch.append(dict(
            package_id=pid, name=name, version=version, description=description, language=language,
            architecture=arch, image_os_version=os_version, image_path=f"\\\\cm01\\sources\\boot\\{pid}\\boot.wim",
            package_size=rng.randint(300_000, 1_800_000), package_type=258, pkg_flags=0, pkg_source_flag=2,
            priority=2, sedo_object_version=str(uuid.UUID(int=rng.getrandbits(128))).upper(), share_type=1,
            source_site="PS1", source_version=rng.randint(1, 40), source_date=source_date,
            scratch_space=rng.choice([32, 64, 128, 256, 512]), image_index=1, secured_scope_names=["Default"],
            localized_category_instance_names=[], extra_properties={}, last_modified_by="bench@generator",
            last_modified_at=now, default_image=rng.random() < 0.01,
            search_text=search_text({"Name": name, "PackageID": pid, "Version": version, "Description": description,
                                     "ImageOSVersion": os_version, "Language": language}),
        ))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def build_site(count: int, path: Path) -> None:
    """A new site database at ``path`` with ``count`` packages (see the module's notes)."""
    engine = create_site_engine(f"sqlite:///{path}")
    upgrade(engine, BULK_REVISION)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB while building
        conn.execute(insert(SiteRow), [dict(site_code="PS1", site_name="Primary site", is_local=True,
                                             next_package_number=count + 1, created_at=now)])
        for n, batch in enumerate(package_rows(count, now)):
            conn.execute(insert(PackageRow), batch)
            if n == 0:
                conn.execute(insert(OptionalComponentRow), [dict(package_id=r["package_id"], component_id=52, position=0)
                                                            for r in batch[:1000] if r["architecture"] == "x64"])
    upgrade(engine)  # builds the list indexes and the text index over the rows
    engine.dispose()
    open_console(f"sqlite:///{path}").engine.dispose()  # the way the console opens it works
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy


def site_database(count: int, target: Path) -> Path:
    """Copy of a cached site database with ``count`` packages at ``target``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"site-{count}-{head_revision()}-{LAYOUT}.db"
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        started = time.perf_counter()
        build_site(count, partial)
        partial.rename(cached)
        print(f"\nbuilt the {count:,}-package site in {time.perf_counter() - started:.1f} s: "
              f"{cached.stat().st_size / 2**20:.0f} MiB at {cached}")
    shutil.copyfile(cached, target)
    return target
