"""Live refresh between consoles: what another console (or a worker) committed, as row changes.

Every committed change to a package, driver, distribution point, (package, DP) state or job
reaches every open console as a ``RowChange`` (table, the row's id, operation). A ``ChangeFeed``
delivers them: on PostgreSQL pushed (``LISTEN/NOTIFY``, a listening connection on a background
thread calls ``wake``; ``poll`` then only drains memory), on SQLite pulled (``poll`` reads the
``change_log`` rows after the last one seen: one indexed read). ``LiveBatch`` says what the
views re-read: packages and drivers by id, the DP list, jobs by ContextID; ``everything`` when
the feed cannot tell (it fell behind the pruned log, or its connection was lost meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from console.core.changes import Changes

PACKAGE_TABLE = "boot_image_package"
DRIVER_TABLE = "driver"
DP_TABLES = frozenset({"distribution_point", "package_dp"})
JOB_TABLE = "job"


@dataclass(frozen=True)
class RowChange:
    table: str
    object_id: str
    operation: str  # INSERT | UPDATE | DELETE

    @classmethod
    def parse(cls, payload: str) -> RowChange | None:
        """``"<table> <operation> <id>"`` (a PostgreSQL notification's payload)."""
        table, _sep, rest = payload.partition(" ")
        operation, _sep, object_id = rest.partition(" ")
        return cls(table, object_id, operation) if table and operation else None


@dataclass(frozen=True)
class LiveBatch:
    changes: Changes = field(default_factory=Changes)
    jobs: frozenset[str] = frozenset()
    everything: bool = False

    @property
    def empty(self) -> bool:
        return self.changes.empty and not self.jobs and not self.everything

    @classmethod
    def merge(cls, batches: Iterable[LiveBatch]) -> LiveBatch:
        changes, jobs, everything = Changes(), frozenset[str](), False
        for batch in batches:
            changes, jobs, everything = changes | batch.changes, jobs | batch.jobs, everything or batch.everything
        return cls(changes, jobs, everything)

    @classmethod
    def of(cls, rows: Iterable[RowChange], *, everything: bool = False) -> LiveBatch:
        added: set[str] = set()
        updated: set[str] = set()
        removed: set[str] = set()
        drivers: set[int] = set()
        jobs: set[str] = set()
        distribution = False
        for row in rows:
            if row.table == PACKAGE_TABLE:
                {"INSERT": added, "DELETE": removed}.get(row.operation, updated).add(row.object_id)
            elif row.table == DRIVER_TABLE and row.object_id.isdigit():
                drivers.add(int(row.object_id))
            elif row.table in DP_TABLES:
                distribution = True
            elif row.table == JOB_TABLE:
                jobs.add(row.object_id)
        updated -= added | removed
        changes = Changes(added=frozenset(added), updated=frozenset(updated), removed=frozenset(removed),
                          drivers=frozenset(drivers), distribution=distribution)
        return cls(changes, frozenset(jobs), everything)


class ChangeFeed(Protocol):
    """One console's view of the site's committed changes (``console.storage.change_feed``)."""

    @property
    def push(self) -> bool:
        """True: ``start(wake)`` calls ``wake`` (from a background thread) when changes arrived and
        ``poll`` reads only memory; False: ``poll`` reads the database (run it off the GUI thread)."""
        ...

    def start(self, wake: Callable[[], None]) -> None: ...

    def poll(self) -> LiveBatch:
        """What was committed since the last poll (an empty batch when nothing was)."""
        ...

    def close(self) -> None: ...
