"""Audit records: who changed which object, when, from where, and each property's old -> new value.

The site database writes them itself, in the same transaction as the change (PostgreSQL row
triggers calling a SECURITY DEFINER function, SQLite triggers; ``console/storage/audit_sql.py``),
so a change made outside the console (plain ``psql``) is audited too. The console only tells the
database who it acts for: the worker runs a job's steps inside ``acting_for(job.queued_by)``,
and each write transaction started meanwhile records that administrator as ``on_behalf_of``.
A refusal (``AccessDeniedError``) is written in its own short transaction.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CREATED = "created"
CHANGED = "changed"
DELETED = "deleted"
REFUSED = "refused"
ACTIONS = (CREATED, CHANGED, DELETED, REFUSED)

#: The administrator a worker acts for while it runs a job (empty: the connected login itself).
_ON_BEHALF_OF: ContextVar[str] = ContextVar("bootimage_on_behalf_of", default="")


def on_behalf_of() -> str:
    return _ON_BEHALF_OF.get()


@contextlib.contextmanager
def acting_for(user: str) -> Iterator[None]:
    """Write transactions started inside are audited as done on behalf of ``user``."""
    token = _ON_BEHALF_OF.set(user)
    try:
        yield
    finally:
        _ON_BEHALF_OF.reset(token)


#: The program an audit record names, when the entry point said (``bootimage worker``).
_PROGRAM: list[str] = []
#: ``python -m <module>`` runs ``<module>/__main__.py``: the command that module is installed as.
_MODULE_PROGRAMS = {("console", "cli"): "bootimage", ("", "console"): "bootimage-console"}


def set_client_program(name: str) -> None:
    """Name this process in audit records (``bootimage worker``) instead of its ``argv[0]``."""
    _PROGRAM[:] = [name]


def _program() -> str:
    if _PROGRAM:
        return _PROGRAM[0]
    path = sys.argv[0] or "python"
    name = os.path.basename(path) or "python"
    if name == "__main__.py":  # python -m console.cli: the command it stands for, not __main__.py
        parent = os.path.dirname(os.path.abspath(path))
        key = (os.path.basename(os.path.dirname(parent)), os.path.basename(parent))
        return _MODULE_PROGRAMS.get(key) or _MODULE_PROGRAMS.get(("", key[1])) or key[1] or name
    return name


def client_name() -> str:
    """What an audit record names as the client: host and program (``ws1 bootimage[4242]``,
    ``ws1 bootimage worker[4243]``)."""
    return f"{socket.gethostname()} {_program()}[{os.getpid()}]"[:255]


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    login: str
    on_behalf_of: str
    client: str
    object_type: str
    object_id: str
    object_name: str
    package_id: str | None
    action: str
    #: {property: [old, new]} (WMI property names where the column has one)
    changes: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""  # a refusal's message
    attempted: str = ""  # what a refused statement tried (INSERT, UPDATE, DELETE, …)
    transaction_id: int | None = None

    @property
    def who(self) -> str:
        """``worker1 for alice`` when a worker acted for an administrator, else the login."""
        return f"{self.login} for {self.on_behalf_of}" if self.on_behalf_of else self.login

    def as_json(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Time": self.at.isoformat(), "Login": self.login, "OnBehalfOf": self.on_behalf_of,
            "Client": self.client, "ObjectType": self.object_type, "ObjectId": self.object_id,
            "ObjectName": self.object_name, "PackageID": self.package_id, "Action": self.action,
            "Changes": {k: list(v) for k, v in self.changes.items()}, "Message": self.message,
            "Attempted": self.attempted, "Transaction": self.transaction_id,
        }


@dataclass(frozen=True)
class AuditQuery:
    """Newest first. ``object_id`` matches the object or, for a package, its child rows too;
    ``before`` is a keyset (the id of the last record of the page above)."""

    object_id: str = ""
    user: str = ""  # the login or the administrator a worker acted for
    since: datetime | None = None
    action: str = ""
    before: int | None = None
    limit: int = 200
    transaction_id: int | None = None
