"""Files of a build's work folder: atomic writes, a step lock, and the undo record that lets
the customize step update the exported WIM in place and still start again after ``kill -9``.

``wimlib-imagex update`` appends to a WIM: it writes the new data over the old blob table,
XML data and integrity table at the end of the file (never over the file data before them),
then a new header. Saving the 208-byte header and that tail before the update is therefore
enough to turn an interrupted update back into the exported WIM, byte for byte, without
copying the whole file (a 400 MB copy would cost more than the update itself).
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.core.servicing import ServicingError

HEADER_SIZE = 208
_RESHDR = struct.Struct("<Q Q Q")  # size (7 bytes) + flags (1 byte), offset, original size
_BLOB_TABLE, _XML, _INTEGRITY = 0x30, 0x48, 0x7C
_RECORD = struct.Struct("<4sQQ")  # magic, file size, tail offset
_MAGIC = b"BIUR"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through ``path.tmp`` + fsync + rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@contextmanager
def step_lock(workdir: Path) -> Iterator[None]:
    """One step at a time per work folder (released by the kernel if the process dies)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / ".lock", "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ServicingError(f"another process is running a step of the build in {workdir}; "
                                 "wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _tail_offset(header: bytes, size: int) -> int:
    offsets: list[int] = []
    for at in (_BLOB_TABLE, _XML, _INTEGRITY):
        packed, offset, _original = _RESHDR.unpack_from(header, at)
        if packed & 0x00FFFFFFFFFFFFFF and offset:
            offsets.append(offset)
    if not offsets or min(offsets) < HEADER_SIZE or min(offsets) > size:
        raise ServicingError("the exported WIM's header has no valid blob table or XML offset; export it again")
    return int(min(offsets))


def save_undo(wim: Path, record: Path) -> None:
    """Remember ``wim``'s header and tail (its state before an in-place update)."""
    size = wim.stat().st_size
    with open(wim, "rb") as handle:
        header = handle.read(HEADER_SIZE)
        tail_at = _tail_offset(header, size)
        handle.seek(tail_at)
        tail = handle.read(size - tail_at)
    write_atomic(record, _RECORD.pack(_MAGIC, size, tail_at) + header + tail)


def undo(wim: Path, record: Path) -> None:
    """Put ``wim`` back into the state ``save_undo`` saved (then delete the record)."""
    data = record.read_bytes()
    magic, size, tail_at = _RECORD.unpack_from(data)
    header = data[_RECORD.size:_RECORD.size + HEADER_SIZE]
    tail = data[_RECORD.size + HEADER_SIZE:]
    if magic != _MAGIC or len(header) != HEADER_SIZE or tail_at + len(tail) != size:
        raise ServicingError(f"{record} is damaged; delete the work folder {record.parent} and build again")
    with open(wim, "r+b") as handle:
        handle.seek(tail_at)
        handle.write(tail)
        handle.truncate(size)
        handle.seek(0)
        handle.write(header)
        handle.flush()
        os.fsync(handle.fileno())
    record.unlink()
