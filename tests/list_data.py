"""Synthetic rows for the long-list tests and benchmarks: drivers with repeated sort values
(ties) and missing dates (NULLs), written straight into a site database."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from console.core.drivers import version_sort_key
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
            class_guid="", provider=provider, driver_version=version, driver_version_key=version_sort_key(version), driver_date=day, inf_file=inf,
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


def add_content(engine: Engine, packages: int, dps: int, *, seed: int = 11) -> None:
    """``dps`` distribution points, ``packages`` PackageIDs on all of them in random states, with
    their counters (as the distribution code keeps them)."""
    from console.storage.distribution_schema import (
        DistributionPointRow,
        DpContentSummaryRow,
        PackageContentSummaryRow,
        PackageDpRow,
    )

    rng = random.Random(seed)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    buckets = {0: "success", 1: "in_progress", 2: "in_progress", 3: "errors"}  # installed, pending, retrying, failed
    pids = [f"PS1{n:05X}" for n in range(1, packages + 1)]
    package_counts = {p: dict.fromkeys(("targeted", "success", "in_progress", "errors", "unknown"), 0) for p in pids}
    dp_counts = {d: dict.fromkeys(("targeted", "success", "in_progress", "errors", "unknown"), 0) for d in range(1, dps + 1)}
    rows = []
    for pid in pids:
        for dp in range(1, dps + 1):
            if rng.random() < 0.2:
                continue  # not on every DP
            state = rng.choice((0, 0, 0, 1, 2, 3))
            for counts in (package_counts[pid], dp_counts[dp]):
                counts["targeted"] += 1
                counts[buckets[state]] += 1
            rows.append(dict(package_id=pid, dp_id=dp, state=state, direct=True, source_version=1, target_version=1,
                             bytes_done=0, bytes_total=0, last_error="disk full" if state == 3 else "",
                             error_cause="", updated_at=now))
    with engine.begin() as conn:
        conn.execute(insert(DistributionPointRow), [dict(
            id=d, name=f"DP{d:05d}", name_key=f"dp{d:05d}", transport="folder", address=f"/srv/dp{d}", site_code="PS1",
            description="", credential="", username="", pxe=False, maintenance=False, rate_limit_kbps=0,
            schedule="o" * 24, concurrency=2, library_root="SCCMContentLib", version=1, created_at=now,
            modified_at=now, modified_by="bench") for d in range(1, dps + 1)])
        for start in range(0, len(rows), 5000):
            conn.execute(insert(PackageDpRow), rows[start:start + 5000])
        conn.execute(insert(PackageContentSummaryRow), [dict(package_id=p, **c) for p, c in package_counts.items()])
        conn.execute(insert(DpContentSummaryRow), [dict(dp_id=d, **c) for d, c in dp_counts.items()])


def add_status_messages(engine: Engine, count: int, *, severity: str = "information", batch: int = 10_000) -> None:
    from console.storage.schema import StatusMessageRow

    now = datetime(2026, 12, 1, tzinfo=UTC)
    for start in range(0, count, batch):
        with engine.begin() as conn:
            conn.execute(insert(StatusMessageRow), [dict(
                time=now, severity=severity, kind="properties_changed", package_id=f"PS1{n % 50000:05X}",
                text=f"Package PS1{n % 50000:05X} changed ({n})", user="bench@generator", site_code="PS1", details=None)
                for n in range(start, min(start + batch, count))])
