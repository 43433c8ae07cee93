"""Database trouble as one line that says what to do (``DatabaseError``), never SQL text.

The engine's ``handle_error`` event hands every driver error to ``translate``; what it
recognises (the file is read-only, not a database, damaged, on a full disk, locked by another
console; a PostgreSQL server that cannot be reached, refuses the login or is out of space)
becomes a ``DatabaseError``. Anything else is a bug and stays an internal error.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.core.errors import AccessDeniedError, ConsoleError
from console.storage.writer_note import WriterNote


class DatabaseError(ConsoleError):
    title = "Site database"


# SQLite primary result codes (https://sqlite.org/rescode.html)
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


@dataclass(frozen=True)
class Target:
    """What the messages name: the database file (SQLite) or the server URL (without password)."""

    label: str
    path: str | None = None
    timeout: float = 30.0
    note: WriterNote | None = None


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "this user"


def translate(exc: BaseException, target: Target, *, in_read_transaction: bool = False) -> ConsoleError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        if code & 0xFF == SQLITE_READONLY and in_read_transaction:
            return None  # a unit of work opened for reading tried to write: a bug, not trouble
        return _sqlite(code & 0xFF, exc, target)
    if type(exc).__module__.split(".")[0] in ("psycopg", "psycopg2"):
        return _postgres(exc, target)
    return None


def refusal(exc: BaseException, engine: Any, statement: str | None, parameters: Any) -> AccessDeniedError | None:
    """PostgreSQL refused the action to this login (SQLSTATE 42501: a grant it lacks, a
    row-level security policy, the scope trigger): ``AccessDeniedError`` naming role, site,
    action and object (made in ``console.storage.security_sql.access_denied``)."""
    if type(exc).__module__.split(".")[0] != "psycopg" or getattr(exc, "sqlstate", None) != "42501":
        return None
    from console.storage.security_sql import access_denied

    return access_denied(exc, engine, statement, parameters)


def is_unique_violation(exc: BaseException | None) -> bool:
    """A driver error that says a unique index or key refused a row (SQLite or PostgreSQL)."""
    return getattr(exc, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc)


def _sqlite(code: int, exc: BaseException, target: Target) -> DatabaseError | None:
    label = target.label
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        writer = target.note.read() if target.note is not None else None
        who = writer.describe() if writer is not None else "another console or program is writing to it"
        return DatabaseError(f"{label} is busy: {who}; gave up after {target.timeout:g} s, nothing was changed. "
                             "Try again when it has finished")
    if code == SQLITE_NOTADB:
        return DatabaseError(f"{label} is not a site database (not an SQLite database file); nothing was changed. "
                             "Choose another site database (--db or BOOTIMAGE_DB), or move the file away to start a new site there")
    if code == SQLITE_CORRUPT:
        return DatabaseError(f"{label} is damaged ({exc}); nothing was changed. Restore it from a backup")
    if code == SQLITE_FULL:
        return DatabaseError(f"the disk holding {label} is full; nothing was saved. Free some space there and try again")
    if code in (SQLITE_READONLY, SQLITE_PERM) or (code == SQLITE_CANTOPEN and _not_writable(target.path)):
        return DatabaseError(f"{label} is read-only for user {os_user()}; nothing was changed. Ask for write access "
                             "to the file and its folder, or work on a copy with --db")
    if code == SQLITE_CANTOPEN:
        return DatabaseError(f"cannot open {label}; check that the file and its folder exist and that "
                             f"user {os_user()} may read and write them")
    if code == SQLITE_IOERR:
        return DatabaseError(f"cannot read or write {label} (input/output error: {exc}); nothing was saved. "
                             "Check the disk or network share it is on")
    return None


def _not_writable(path: str | None) -> bool:
    if not path:
        return False
    file = Path(path)
    if file.exists():
        return not os.access(file, os.W_OK) or not os.access(file.parent, os.W_OK)
    return file.parent.exists() and not os.access(file.parent, os.W_OK)


def _postgres(exc: BaseException, target: Target) -> ConsoleError | None:
    state = str(getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or "") or _connect_state(str(exc))
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    label = target.label
    if state.startswith("28"):
        return DatabaseError(f"the database server refused the login for {label} ({first}); check the user and "
                             "password in the URL")
    if state == "3D000":
        return DatabaseError(f"{label} does not exist on the server; create the database or check the URL")
    if state == "42501":  # grants, row-level security, the audit guard: the site refused (audited)
        return AccessDeniedError(f"the site database refused this ({first}); nothing was changed. "
                                 "Ask a Full Administrator of the site for the role or scope it needs")
    if state in ("53100", "53000"):
        return DatabaseError(f"the database server of {label} is out of disk space; nothing was saved. "
                             "Ask its administrator to free space")
    if state == "25006":
        return DatabaseError(f"{label} is read-only (a standby server?); nothing was changed. Use the primary server")
    if state in ("55P03", "40P01", "57014", "40001"):
        return DatabaseError(f"{label} is busy: another console holds a lock on the same data; nothing was changed. "
                             "Try again")
    if state.startswith(("08", "57P")) or (not state and type(exc).__name__ == "OperationalError"):
        return DatabaseError(f"cannot reach the database server of {label} ({first}); check that the server is "
                             "running and the host and port in the URL")
    return None


def _connect_state(text: str) -> str:
    """A failed connection carries no SQLSTATE in psycopg 3: read the server's FATAL text."""
    if re.search(r'FATAL:\s+database ".*" does not exist', text):
        return "3D000"
    if re.search(r'FATAL:\s+(role ".*" does not exist|password authentication failed|'
                 r'no pg_hba.conf entry|Peer authentication failed)', text):
        return "28000"
    return ""
