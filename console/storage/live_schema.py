"""Tables of the team features: object locks (SEDO) and the change log live consoles follow."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from console.storage.schema import Base


class ObjectLockRow(Base):
    """A lock on one object (``console.core.object_locks``): taken by opening its Properties or a
    wizard, renewed by the console's heartbeat, expired 30 minutes after the last one."""

    __tablename__ = "object_lock"

    object_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lock_id: Mapped[str] = mapped_column(String(36), unique=True)
    holder_login: Mapped[str] = mapped_column(String(255))
    console_host: Mapped[str] = mapped_column(String(255))
    console_pid: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(64), default="")
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChangeLogRow(Base):
    """SQLite's change feed: one row per changed package, driver, DP, (package, DP) state or job,
    written by triggers (so every writer is covered, the worker process too) and pruned by a
    trigger to the newest rows. Consoles read the rows after the last sequence they saw.
    (PostgreSQL consoles are told by LISTEN/NOTIFY instead; the table stays empty there.)"""

    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(8))
