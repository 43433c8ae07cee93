"""Synthetic rows for the long-list tests and benchmarks: drivers with repeated sort values
(ties) and missing dates (NULLs), written straight into a site database."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from console.storage.driver_schema import FIRST_CI_ID, DriverRow

CLASSES = ["Net", "SCSIAdapter", "HDC", "System", "USB", "Display", "Bluetooth"]
PROVIDERS = ["Intel", "Realtek", "Red Hat Inc.", "Broadcom", "Marvell", "Äpfel GmbH", "qualcomm"]


def driver_rows(count: int, *, start: int = 0, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed + start)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    for n in range(start, start + count):
        ci_id = FIRST_CI_ID + n
        driver_class = rng.choice(CLASSES)
        provider = rng.choice(PROVIDERS)
        name = f"{provider} {driver_class} adapter {rng.randint(1, max(count // 3, 2))}"  # many ties
        day = None if rng.random() < 0.1 else now - timedelta(days=rng.randint(0, 300))
        inf = f"drv{rng.randint(1, max(count // 2, 2))}.inf"
        version = f"{rng.randint(1, 12)}.{rng.randint(0, 20)}.0.0"
        rows.append(dict(
            ci_id=ci_id, ci_unique_id=str(uuid.UUID(int=rng.getrandbits(128))), name=name, driver_class=driver_class,
            class_guid="", provider=provider, driver_version=version, driver_date=day, inf_file=inf,
            content_source_path=f"/drivers/{n}", catalog_file="", signed=rng.random() < 0.5,
            enabled=rng.random() < 0.9, architectures=" amd64 ", size_bytes=rng.choice([1024, 2048, 4096, rng.randint(1, 10**7)]),
            content_hash=f"{n:064x}", inf_warnings=[], source_site="PS1",
            search_text="\n".join((name, provider, driver_class, version, inf, f"/drivers/{n}", str(ci_id))).casefold(),
            created_at=now, created_by="bench@generator", modified_at=now, modified_by="bench@generator",
        ))
    return rows


def add_drivers(engine: Engine, count: int, *, batch: int = 5000) -> None:
    for start in range(0, count, batch):
        with engine.begin() as conn:
            conn.execute(insert(DriverRow), driver_rows(min(batch, count - start), start=start))
