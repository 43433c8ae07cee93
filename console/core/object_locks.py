"""Object locks: Configuration Manager's SEDO (Serialized Editing of Distributed Objects).

Opening Properties (or a wizard that changes it) on a package takes a lock in the site database:
who (the administrator's login), which console (host and process id), since when, and a
heartbeat the console renews every few minutes. A lock whose heartbeat is older than
``LOCK_TIMEOUT`` has expired: anyone may take it over. While another console holds a live lock,
changes to the object are refused (``ObjectLockedError``) and other consoles show its sheet
read-only; ``SedoObjectVersion`` stays the last line of defence against lost updates.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.core.errors import ConsoleError

#: A lock whose heartbeat is older than this has expired (ConfigMgr: 30 minutes).
LOCK_TIMEOUT = timedelta(minutes=30)
#: How often an open console renews its locks (well inside LOCK_TIMEOUT).
HEARTBEAT_INTERVAL = timedelta(minutes=3)
PACKAGE = "SMS_BootImagePackage"


@dataclass(frozen=True)
class ConsoleId:
    """One running console (GUI or CLI process): the host it runs on and its process id."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)

    @property
    def text(self) -> str:
        return f"{self.host}:{self.pid}"


@dataclass(frozen=True)
class ObjectLock:
    object_type: str
    object_id: str
    lock_id: str
    login: str
    console: ConsoleId
    purpose: str
    acquired_at: datetime
    heartbeat_at: datetime

    @property
    def holder(self) -> str:
        """Who holds it, as a message names them: ``alice@ws1`` (a login that names its host
        already, such as ``alice@ws1`` or ``CONTOSO\\alice``, is shown as it is)."""
        if "@" in self.login:
            return self.login
        return f"{self.login}@{self.console.host}" if self.console.host else self.login

    def expired(self, now: datetime) -> bool:
        return self.heartbeat_at < now - LOCK_TIMEOUT

    def held_by(self, login: str, console: ConsoleId) -> bool:
        return self.login == login and self.console == console


def clock_text(moment: datetime, now: datetime | None = None) -> str:
    """``10:42`` (local time) today, ``2026-12-01 10:42`` on another day."""
    local = moment.astimezone()
    today = (now or datetime.now(local.tzinfo)).astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


class ObjectLockedError(ConsoleError):
    """Another administrator's console holds a live lock on the object."""

    title = "Locked by another administrator"

    def __init__(self, lock: ObjectLock) -> None:
        self.lock = lock
        purpose = f" ({lock.purpose} open in their console)" if lock.purpose else ""
        super().__init__(
            f"{lock.object_id} is locked by {lock.holder} since {clock_text(lock.acquired_at)}{purpose}; "
            "try again when they close it, or ask a Full Administrator to release the lock"
        )


class LockLostError(ConsoleError):
    """This console's lock was released by a Full Administrator (or taken over after it expired)."""

    title = "Lock lost"
