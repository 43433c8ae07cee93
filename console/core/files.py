"""Reading files a user names, safely: only regular files, and never more than a limit.

A named pipe or a device opened for reading can block forever (a FIFO with no writer) or
never end (``/dev/zero``); a huge file can exhaust memory. ``open_regular`` opens with
``O_NONBLOCK`` (so opening a FIFO cannot block) and refuses anything that is not a regular
file before a byte is read; ``read_regular`` also refuses files over a limit before reading.
"""

from __future__ import annotations

import os
import stat

from console.core.errors import ConsoleError

#: Longest file or folder name most file systems accept (bytes on Linux, UTF-16 units on NTFS).
MAX_NAME_LENGTH = 255


class FileReadError(ConsoleError):
    """A file that cannot be read as asked: missing, not a regular file, too large, denied."""

    title = "Cannot read file"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def kind_of(mode: int, *, folder: str = "a folder") -> str:
    """'' for a regular file, else what it is ("a named pipe", "a device"...; ``folder`` names
    a directory)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return folder
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_name_lengths(path: str, what: str = "path") -> None:
    """Refuse a path with a component longer than ``MAX_NAME_LENGTH`` (an OS error later)."""
    if "\0" in path:
        raise FileReadError(repr(path), f"the {what} contains a NUL character")
    for part in path.replace("\\", "/").split("/"):
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_LENGTH:
            shown = part[:40] + "…"
            raise FileReadError(
                shown, f"a name in the {what} is {len(part)} characters long; file and folder names "
                f"have at most {MAX_NAME_LENGTH}")


def open_regular(path: str, what: str = "a file") -> tuple[int, int]:
    """Open ``path`` for reading: (file descriptor, size). Refuses anything but a regular
    file, without blocking on a named pipe. The caller closes the descriptor."""
    check_name_lengths(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileReadError(path, "no such file") from None
    except IsADirectoryError:
        raise FileReadError(path, f"is a folder, not {what}") from None
    except PermissionError:
        raise FileReadError(path, "permission denied: this user may not read the file") from None
    except OSError as exc:
        raise FileReadError(path, f"cannot open the file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind:
            raise FileReadError(path, f"is {kind}, not {what}; only regular files are read")
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_regular(path: str, limit: int, what: str = "a file", limit_text: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; larger files are refused
    before they are read (and a file that grows while read is cut off and refused)."""
    fd, size = open_regular(path, what)
    try:
        if size > limit:
            raise FileReadError(path, f"is {size:,} bytes, more than {limit_text or f'{limit:,} bytes'}, the limit "
                                      f"for {what}; it is not read")
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileReadError(path, f"grew beyond {limit_text or f'{limit:,} bytes'} while it was read; it is not read")
        return b"".join(chunks)
    except OSError as exc:
        raise FileReadError(path, f"cannot read the file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
