"""Who is writing to a SQLite site database: a small note beside the file.

SQLite cannot say which process holds its write lock, so the console that takes it leaves
``site.db-writer`` (``user@host``, process id, since when) for the time of its write
transaction. A console that gives up waiting for the lock names that writer. The note is
best effort: a folder that cannot be written (read-only, disk full) just means no name.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Writer:
    user: str
    host: str
    pid: int
    since: str  # ISO 8601, UTC

    def describe(self) -> str:
        since = self.since.replace("T", " ").removesuffix("+00:00")
        who = self.user if "@" in self.user else f"{self.user} on {self.host}"
        return f"{who} (process {self.pid}) has been writing since {since} UTC"


class WriterNote:
    """The note file for one database file."""

    MAX_BYTES = 4096

    def __init__(self, database: str, user: str) -> None:
        self.path = Path(f"{database}-writer")
        self.user = user

    def write(self) -> None:
        note = {"user": self.user, "host": socket.gethostname(), "pid": os.getpid(),
                "since": datetime.now(UTC).replace(microsecond=0).isoformat()}
        with contextlib.suppress(OSError):
            self.path.write_text(json.dumps(note), encoding="utf-8")

    def remove(self) -> None:
        try:
            current = self.read()
            if current is None or current.pid == os.getpid():
                self.path.unlink(missing_ok=True)
        except OSError:
            pass

    def read(self) -> Writer | None:
        try:
            if not self.path.is_file():  # never open a pipe or device someone put there
                return None
            with self.path.open("rb") as handle:
                data = json.loads(handle.read(self.MAX_BYTES).decode("utf-8"))
            writer = Writer(str(data["user"]), str(data["host"]), int(data["pid"]), str(data["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return None if _gone(writer) else writer


def _gone(writer: Writer) -> bool:
    """A note left by a process of this machine that no longer runs (it crashed mid-write)."""
    if os.name != "posix" or writer.host != socket.gethostname() or writer.pid <= 0:
        return False  # other machines' processes cannot be checked
    try:
        os.kill(writer.pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False
