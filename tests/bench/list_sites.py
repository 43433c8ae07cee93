"""Cached site databases for the long-list benchmarks (drivers, status messages, Content Status):
built once under ``measure.CACHE``, keyed by schema revision and size, then opened in place
(the benchmarks only read)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from console.app import ensure_default_site, open_console
from console.storage.engine import head_revision
from tests.bench.measure import CACHE, settle


def cached_site(kind: str, size: str, build: Callable[[object], None]) -> Path:
    """The SQLite file of a site with ``build(console)`` applied, made once per schema revision."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"lists-{kind}-{size}-{head_revision()}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        console = open_console(f"sqlite:///{partial}", user="bench@generator")
        ensure_default_site(console)
        build(console)
        with console.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        console.close()
        partial.rename(path)
        settle()
        print(f"\nbuilt {path.name} in {time.perf_counter() - started:.0f} s, "
              f"{path.stat().st_size / 1024 / 1024:,.0f} MiB on disk")
    else:
        print(f"\nusing cached {path.name} ({path.stat().st_size / 1024 / 1024:,.0f} MiB)")
    return path
