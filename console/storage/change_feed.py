"""The live change feed of a site database (``console.core.live_changes``).

* SQLite: row triggers append to ``change_log`` (migration 0014); ``poll`` reads the rows after
  the last sequence number seen (one range read on the primary key) in a read-only transaction.
  A console whose last row was pruned meanwhile gets ``everything``.
* PostgreSQL: row triggers call ``pg_notify('bootimage_change', '<table> <op> <id>')``, delivered
  at commit. A dedicated connection (autocommit, outside the engine's pool) LISTENs on a daemon
  thread, waiting at most ``WAIT_SECONDS`` at a time so ``close`` ends it promptly; lost
  connections are opened again (bounded back-off) and the next batch says ``everything``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text

from console.core.live_changes import LiveBatch, RowChange
from console.storage.engine import READ_ONLY

CHANNEL = "bootimage_change"
WAIT_SECONDS = 0.5
RECONNECT_SECONDS = 2.0
BATCH = 2000
log = logging.getLogger(__name__)


def open_change_feed(engine: Engine) -> SqliteChangeFeed | PostgresChangeFeed:
    return PostgresChangeFeed(engine) if engine.dialect.name == "postgresql" else SqliteChangeFeed(engine)


class SqliteChangeFeed:
    push = False

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._last: int | None = None
        self._lock = threading.Lock()

    def start(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._last = self._read_last()

    def _read_last(self) -> int:
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY: True})
            return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar() or 0)

    def poll(self) -> LiveBatch:
        with self._lock:  # one poll at a time: the cursor moves once per read
            if self._last is None:
                self._last = self._read_last()
                return LiveBatch()
            with self._engine.connect() as conn:
                conn = conn.execution_options(**{READ_ONLY: True})
                rows = conn.execute(text("SELECT seq, table_name, object_id, operation FROM change_log "
                                         "WHERE seq > :last ORDER BY seq LIMIT :limit"),
                                    {"last": self._last, "limit": BATCH}).all()
            if not rows:
                return LiveBatch()
            behind = rows[0][0] > self._last + 1  # the rows in between were pruned: read everything again
            self._last = rows[-1][0]
            return LiveBatch.of((RowChange(table, str(object_id), op) for _seq, table, object_id, op in rows),
                                everything=behind)

    def close(self) -> None:
        pass


class PostgresChangeFeed:
    push = True

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[RowChange] = []
        self._missed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set once LISTEN is in place (tests wait for it)

    def start(self, wake: Callable[[], None]) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, args=(wake,), name="bootimage-listen", daemon=True)
        self._thread.start()

    def _connect(self) -> Any:
        raw = self._engine.raw_connection()
        conn = raw.driver_connection
        raw.detach()  # its own connection, never handed back to the pool
        assert conn is not None
        try:
            conn.rollback()
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _run(self, wake: Callable[[], None]) -> None:
        first = True
        while not self._stop.is_set():  # bounded by close(): every wait below is at most a few seconds
            try:
                conn = self._connect()
            except Exception as exc:  # database down: try again after a pause
                log.warning("live refresh: cannot listen for changes: %s", exc)
                self._stop.wait(RECONNECT_SECONDS)
                continue
            if not first:
                with self._lock:
                    self._missed = True  # changes committed while no connection listened
                wake()
            first = False
            self.listening.set()
            try:
                while not self._stop.is_set():
                    for notification in conn.notifies(timeout=WAIT_SECONDS):  # each one at once
                        row = RowChange.parse(notification.payload)
                        if row is not None:
                            with self._lock:
                                self._pending.append(row)
                            wake()
            except Exception as exc:  # connection lost: open another
                log.warning("live refresh: the listening connection failed: %s", exc)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):  # already broken
                    conn.close()

    def poll(self) -> LiveBatch:
        with self._lock:
            rows, self._pending = self._pending, []
            missed, self._missed = self._missed, False
        return LiveBatch.of(rows, everything=missed) if rows or missed else LiveBatch()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=WAIT_SECONDS * 4 + 1)
            self._thread = None
