"""Builds (once, then cached) a site database with many realistic boot image packages."""

from __future__ import annotations

import random
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from console.app import open_console
from console.storage.engine import head_revision
from console.storage.package_repository import search_text
from console.storage.schema import OptionalComponentRow, PackageRow, SiteRow

CACHE = Path.home() / ".cache" / "bootimage-console-bench"
FAMILIES = ["Boot image", "WinPE", "Field boot", "Lab PXE", "Recovery", "Imaging", "Kiosk", "Branch office"]
LANGS = ["en-US", "de-DE", "fr-FR", "ja-JP", "es-ES", "nl-NL", "sv-SE", "pt-BR"]
OS = ["10.0.19041.1", "10.0.22621.1", "10.0.26100.1", "6.3.9600.16384"]


def _rows(count: int, now: datetime) -> list[dict]:
    rng = random.Random(42)
    rows = []
    for n in range(1, count + 1):
        arch = "x64" if rng.random() < 0.8 else "x86"
        name = f"{rng.choice(FAMILIES)} ({arch}) {n:06d}"
        pid = f"PS1{n:05X}"
        version = f"{rng.randint(1, 12)}.{rng.randint(0, 9)}"
        description = rng.choice(["", "Production", "Pilot ring", "Contains NIC drivers for HP G9", "Do not use"])
        rows.append(dict(
            package_id=pid, name=name, version=version, description=description, language=rng.choice(LANGS),
            architecture=arch, image_os_version=rng.choice(OS), image_path=f"\\\\cm01\\sources\\boot\\{pid}\\boot.wim",
            package_size=rng.randint(300_000, 1_800_000), package_type=258, pkg_flags=0, pkg_source_flag=2,
            priority=2, sedo_object_version=str(uuid.UUID(int=rng.getrandbits(128))).upper(), share_type=1,
            source_site="PS1", source_version=rng.randint(1, 40), source_date=now - timedelta(days=rng.randint(0, 900)),
            scratch_space=rng.choice([32, 64, 128, 256, 512]), image_index=1, secured_scope_names=["Default"],
            localized_category_instance_names=[], extra_properties={}, last_modified_by="bench@generator",
            last_modified_at=now, search_text=search_text({"Name": name, "PackageID": pid, "Version": version, "Description": description}),
        ))
    return rows


def site_database(count: int, target: Path) -> Path:
    """Copy of a cached site database with ``count`` packages at ``target``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"site-{count}-{head_revision()}.db"
    if not cached.exists():
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        console = open_console(f"sqlite:///{partial}")
        now = datetime.now(UTC)
        with console.engine.begin() as conn:
            conn.execute(insert(SiteRow), [dict(site_code="PS1", site_name="Primary site", is_local=True,
                                                 next_package_number=count + 1, created_at=now)])
            rows = _rows(count, now)
            for start in range(0, count, 5000):
                conn.execute(insert(PackageRow), rows[start:start + 5000])
            conn.execute(insert(OptionalComponentRow), [dict(package_id=r["package_id"], component_id=52, position=0)
                                                         for r in rows[:1000] if r["architecture"] == "x64"])
        console.engine.dispose()
        partial.rename(cached)
    shutil.copyfile(cached, target)
    return target
