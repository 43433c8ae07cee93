"""Crash-safe file primitives of the content library: temp name + fsync + rename, and the
library lock that keeps garbage collection away from a store in progress."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from console.core.content import ContentBusyError, ContentError

TEMP_SUFFIX = ".tmp"


def temp_name(final: Path, staging: Path | None = None) -> Path:
    """A hidden name that no reader takes for a finished file: beside ``final``, or in
    ``staging`` (a folder on the same file system, so the rename stays atomic)."""
    return (staging or final.parent) / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(final: Path, data: bytes | memoryview, *, sync_dir: bool = True, staging: Path | None = None) -> None:
    """Write ``data`` under a temporary name (in ``staging`` when given), fsync it, then rename
    it to ``final``: a reader (or a crash) sees the old file or the whole new one, never a part."""
    tmp = temp_name(final, staging)
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir:
        fsync_dir(final.parent)


def os_error(root: Path, exc: OSError, doing: str) -> ContentError:
    """A one-line message for a file-system failure in the library."""
    reason = exc.strerror or str(exc)
    hint = {
        errno.ENOSPC: "free some space or move the library (site setting ContentLibraryPath)",
        errno.EACCES: "give this user write access to the folder or choose another one",
        errno.EROFS: "the file system is read-only; choose another folder",
    }.get(exc.errno or 0, "")
    where = f" ({exc.filename})" if exc.filename else ""
    return ContentError(f"cannot {doing} in the content library {root}: {reason}{where}" + (f"; {hint}" if hint else ""))


@contextlib.contextmanager
def library_lock(root: Path, *, exclusive: bool, timeout: float = 30.0) -> Iterator[None]:
    """Stores hold the lock shared, garbage collection exclusive (so it never deletes a file
    a store has written but not yet named in a manifest). Waits at most ``timeout`` seconds."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    what = "a store is writing to" if exclusive else "garbage collection is running in"
                    raise ContentBusyError(f"{what} the content library {root}; try again in a minute") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _syncfs(folder: Path) -> bool:
    """Flush the file system holding ``folder`` (Linux syncfs); False where unavailable."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return bool(libc.syncfs(fd) == 0)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        return False


class WriteBatch:
    """Many new files made durable together: each is written under a temporary name (beside
    its final name, or in ``staging``), then ``commit`` flushes them (one syncfs instead of an
    fsync per file and per folder), renames them to their final names and flushes the renames.
    A crash before ``commit`` leaves only hidden temporary files; a final name always holds a
    complete file."""

    def __init__(self, folder: Path, staging: Path | None = None) -> None:
        self.folder = folder
        self.staging = staging
        self.pending: dict[Path, Path] = {}  # final -> temporary

    def add(self, final: Path, data: bytes | memoryview) -> bool:
        """Write ``data`` for ``final`` unless it is already pending; True when written."""
        if final in self.pending:
            return False
        tmp = temp_name(final, self.staging)
        try:
            with open(tmp, "wb") as out:
                out.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self.pending[final] = tmp
        return True

    def commit(self) -> None:
        if not self.pending:
            return
        if not _syncfs(self.folder):
            for tmp in self.pending.values():
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        for final, tmp in self.pending.items():
            os.replace(tmp, final)
        if not _syncfs(self.folder):
            for folder in {final.parent for final in self.pending}:
                fsync_dir(folder)
        self.pending.clear()

    def discard(self) -> None:
        for tmp in self.pending.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        self.pending.clear()
