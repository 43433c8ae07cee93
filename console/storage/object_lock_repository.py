"""Object locks in the site database (``object_lock``); see ``console.core.object_locks``.

``acquire`` is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` statement (SQLite and PostgreSQL):
the row is inserted, or taken over when its heartbeat is older than the cut-off, or renewed when
the same login and console hold it; two consoles can never both believe they hold a lock.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from console.core.object_locks import ConsoleId, ObjectLock
from console.core.values import as_utc
from console.storage.live_schema import ObjectLockRow
from console.storage.statements import dialect_insert

LOCKS = ObjectLockRow.__table__


def _lock(row: Row[Any] | ObjectLockRow) -> ObjectLock:
    return ObjectLock(row.object_type, row.object_id, row.lock_id, row.holder_login,
                      ConsoleId(row.console_host, row.console_pid), row.purpose,
                      as_utc(row.acquired_at), as_utc(row.heartbeat_at))


class SqlObjectLockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acquire(self, lock: ObjectLock, *, stale_before: datetime) -> ObjectLock | None:
        insert = dialect_insert(self.session.get_bind().dialect.name)
        stmt = insert(ObjectLockRow).values(
            object_type=lock.object_type, object_id=lock.object_id, lock_id=lock.lock_id, holder_login=lock.login,
            console_host=lock.console.host, console_pid=lock.console.pid, purpose=lock.purpose,
            acquired_at=lock.acquired_at, heartbeat_at=lock.heartbeat_at,
        )
        new, c = stmt.excluded, LOCKS.c
        same = and_(c.holder_login == new.holder_login, c.console_host == new.console_host,
                    c.console_pid == new.console_pid)

        def keep_if_same(column: str) -> Any:
            return case((same, c[column]), else_=new[column])

        upsert = stmt.on_conflict_do_update(
            index_elements=[c.object_type, c.object_id],
            set_={"lock_id": keep_if_same("lock_id"), "acquired_at": keep_if_same("acquired_at"),
                  "purpose": keep_if_same("purpose"), "holder_login": new.holder_login,
                  "console_host": new.console_host, "console_pid": new.console_pid,
                  "heartbeat_at": new.heartbeat_at},
            where=or_(c.heartbeat_at < stale_before, same),
        ).returning(*LOCKS.c)
        row = self.session.execute(upsert).first()
        return _lock(row) if row is not None else None

    def get(self, object_type: str, object_id: str) -> ObjectLock | None:
        row = self.session.get(ObjectLockRow, (object_type, object_id))
        return _lock(row) if row is not None else None

    def find(self, key: str) -> ObjectLock | None:
        rows = self.session.execute(
            select(ObjectLockRow).where(or_(ObjectLockRow.lock_id == key, ObjectLockRow.object_id == key.upper()))
        ).scalars().all()
        by_lock = [r for r in rows if r.lock_id == key]
        return _lock((by_lock or rows)[0]) if rows else None

    def list(self) -> builtins.list[ObjectLock]:
        rows = self.session.execute(
            select(ObjectLockRow).order_by(ObjectLockRow.object_type, ObjectLockRow.object_id)).scalars()
        return [_lock(r) for r in rows]

    def heartbeat(self, lock_id: str, now: datetime) -> bool:
        done = self.session.execute(update(ObjectLockRow).where(ObjectLockRow.lock_id == lock_id)
                                    .values(heartbeat_at=now))
        return bool(getattr(done, "rowcount", 0))

    def release(self, lock_id: str) -> ObjectLock | None:
        row = self.session.execute(
            delete(ObjectLockRow).where(ObjectLockRow.lock_id == lock_id).returning(*LOCKS.c)).first()
        return _lock(row) if row is not None else None
