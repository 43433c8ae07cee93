"""Object locks (SEDO): take, renew, release and list locks; a Full Administrator releases
another's (audited). ``refuse_if_locked`` is what every change to a package checks, inside its
own write transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from console.core.changes import Changes, Result
from console.core.errors import AccessDeniedError, NotFoundError
from console.core.object_locks import LOCK_TIMEOUT, PACKAGE, ObjectLock, ObjectLockedError, clock_text
from console.core.ports import UnitOfWork
from console.core.services.context import ServiceContext


@dataclass(frozen=True)
class LockAttempt:
    """``held``: this console now holds ``lock``; otherwise ``lock`` is the live lock of another."""

    lock: ObjectLock
    held: bool


def refuse_if_locked(ctx: ServiceContext, uow: UnitOfWork, object_id: str, object_type: str = PACKAGE) -> None:
    """Raise ``ObjectLockedError`` when another console holds a live lock on the object. Called
    inside the change's write transaction (the lock and the change are read and written in it)."""
    if not ctx.honour_object_locks:
        return
    lock = uow.locks.get(object_type, object_id)
    if lock is not None and not lock.expired(ctx.clock()) and not lock.held_by(ctx.user, ctx.console):
        raise ObjectLockedError(lock)


class ObjectLocks:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def acquire(self, object_id: str, *, object_type: str = PACKAGE, purpose: str = "Properties") -> LockAttempt:
        """Take the lock on an object (or renew this console's own). A bounded retry covers a
        lock released between the refused take and the read of its holder."""
        now = self._ctx.clock()
        wanted = ObjectLock(object_type, object_id, uuid.uuid4().hex, self._ctx.user, self._ctx.console,
                            purpose, now, now)
        for _attempt in range(3):
            with self._ctx.uow(write=True) as uow:
                held = uow.locks.acquire(wanted, stale_before=now - LOCK_TIMEOUT)
                other = None if held is not None else uow.locks.get(object_type, object_id)
                uow.commit()
            if held is not None:
                return LockAttempt(held, True)
            if other is not None:
                return LockAttempt(other, False)
        raise NotFoundError(f"{object_id}: its lock changed hands three times while it was being taken; try again")

    def get(self, object_id: str, *, object_type: str = PACKAGE) -> ObjectLock | None:
        """The live lock on the object, if any (an expired one counts as none)."""
        with self._ctx.uow() as uow:
            lock = uow.locks.get(object_type, object_id)
        return lock if lock is not None and not lock.expired(self._ctx.clock()) else None

    def list(self) -> list[ObjectLock]:
        with self._ctx.uow() as uow:
            return uow.locks.list()

    def heartbeat(self, lock: ObjectLock) -> bool:
        """Renew a lock this console holds; False when it was lost (released by a Full
        Administrator, or taken over after it expired)."""
        with self._ctx.uow(write=True) as uow:
            alive = uow.locks.heartbeat(lock.lock_id, self._ctx.clock())
            uow.commit()
        return alive

    def release_own(self, lock: ObjectLock) -> bool:
        """Closing the sheet: release a lock this console holds (False when it was gone already)."""
        with self._ctx.uow(write=True) as uow:
            current = uow.locks.find(lock.lock_id)
            if current is None or current.lock_id != lock.lock_id or not current.held_by(self._ctx.user, self._ctx.console):
                return False
            uow.locks.release(lock.lock_id)
            uow.commit()
        return True

    def release(self, key: str) -> Result[ObjectLock]:
        """``bootimage lock release ID``: release a lock by its lock id or its object's id. An
        administrator releases their own locks; another's only a Full Administrator can
        (audited with a status message naming holder and console)."""
        with self._ctx.uow(write=True) as uow:
            lock = uow.locks.find(key.strip())
            if lock is None:
                raise NotFoundError(f"no lock {key!r}: `bootimage lock list` shows the locks held now")
            own = lock.login == self._ctx.user
            if not own and not self._ctx.is_full_administrator:
                site = self._ctx.local_site(uow)
                identity = self._ctx.identity
                role = identity.role_text if identity is not None else "no role"
                raise AccessDeniedError(
                    f"you have {role} on site {site.code}: only a Full Administrator can release the lock "
                    f"{lock.holder} holds on {lock.object_id} (since {clock_text(lock.acquired_at)})",
                    login=self._ctx.user, site_code=site.code, action="release lock", object_id=lock.object_id)
            uow.locks.release(lock.lock_id)
            if not own:
                site = self._ctx.local_site(uow)
                uow.status.add(
                    time=self._ctx.clock(), severity="warning", kind="audit",
                    package_id=lock.object_id if lock.object_type == PACKAGE else None,
                    text=(f"Lock on {lock.object_id} held by {lock.holder} (console {lock.console.text}, "
                          f"{lock.purpose or 'open'} since {lock.acquired_at:%Y-%m-%d %H:%M:%S} UTC, last heartbeat "
                          f"{lock.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC) released by {self._ctx.user}"),
                    user=self._ctx.user, site_code=site.code,
                    details={"lock_id": lock.lock_id, "holder": lock.login, "console": lock.console.text,
                             "acquired_at": lock.acquired_at.isoformat(), "heartbeat_at": lock.heartbeat_at.isoformat()},
                )
            uow.commit()
        return Result(lock, Changes(status_messages=not own))
