"""Match counts kept for as long as the rows they counted are unchanged.

Counting what a common search text matches reads every match (FTS5 doclists or a scan of a
narrow column): about 0.1 s at 1,000,000 packages whatever the index. The same count is
asked for again and again while nothing changes: a text typed again (or back to it with
Backspace), another sort or folder view of the same search, the drivers page's count right
after its first page. A count is therefore kept under the site's *data version*, read in
the same snapshot as the count itself:

- **SQLite**: the change log's sequence number (``sqlite_sequence`` of ``change_log``,
  migration 0014). Row triggers on every tracked table (packages, drivers, DPs, jobs …)
  append to the change log inside the writer's own transaction, so two snapshots with the
  same sequence hold the same rows of those tables, whoever wrote them (another console, the
  worker process). A table's counts are kept only while its three change-log triggers are
  in place (checked on every call: a query on the schema table).
- **PostgreSQL** (and others): no version that cheap; every count is read.

Counts read in a writing unit of work are never kept: its own uncommitted writes move the
sequence and may be rolled back (and the number reused). A snapshot older than the newest
version seen neither reads nor fills the cache.

Usage (a repository's count)::

    total = counted(session, "boot_image_package", ("text", needle, folder), lambda: read_count())
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, column, func, select, table
from sqlalchemy.orm import Session

from console.storage.engine import READ_ONLY

T = TypeVar("T")
CAPACITY = 512  # counts kept per database: a few hundred texts and scopes
_OPERATIONS = ("insert", "update", "delete")
_MASTER = table("sqlite_master", column("type"), column("name"))
_SEQUENCE = table("sqlite_sequence", column("name"), column("seq"))


class CountCache:
    """Counts of one database under its newest data version (bounded, least recently used
    dropped first; safe across threads)."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._version = -1
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, version: int, key: Hashable) -> object | None:
        with self._lock:
            if version != self._version or key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return self._entries[key]

    def store(self, version: int, key: Hashable, value: object) -> None:
        with self._lock:
            if version < self._version:
                return  # read in an older snapshot
            if version > self._version:
                self._version = version
                self._entries.clear()
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_caches: WeakKeyDictionary[Engine, CountCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_of(engine: Engine) -> CountCache:
    """The count cache of ``engine``'s database (one per engine, made on first use)."""
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = CountCache()
        return cache


def data_version(session: Session, table_name: str) -> int | None:
    """The version of ``table_name``'s rows in the session's snapshot, or None when counts of
    it cannot be kept (not SQLite, a writing transaction, the change-log triggers missing)."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    if not session.connection().get_execution_options().get(READ_ONLY, False):
        return None
    triggers = [f"{table_name}_log_{operation}" for operation in _OPERATIONS]
    found = session.scalar(select(func.count()).select_from(_MASTER).where(
        _MASTER.c.type == "trigger", _MASTER.c.name.in_(triggers)))
    if found != len(triggers):
        return None
    # no row yet: nothing was written since the change log exists (migration 0014)
    return int(session.scalar(select(_SEQUENCE.c.seq).where(_SEQUENCE.c.name == "change_log")) or 0)


def counted(session: Session, table_name: str, key: Hashable, count: Callable[[], T]) -> T:
    """``count()``, or what it returned for ``key`` in a snapshot with the same rows."""
    version = data_version(session, table_name)
    if version is None:
        return count()
    cache = cache_of(session.get_bind().engine)
    kept = cache.lookup(version, (table_name, key))
    if kept is not None:
        return kept  # type: ignore[return-value]
    value = count()
    cache.store(version, (table_name, key), value)
    return value
