"""The folder transport: a DP whose library is a local or mounted folder."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from console.core.distribution import DistributionPoint, TransportError
from console.distribution.paths import relative

try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no C library to ask: os.sync() instead
    _LIBC = None

#: errno -> TransportError cause
ERRNO_CAUSES = {
    errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EACCES: "permission", errno.EPERM: "permission",
    errno.EROFS: "permission", errno.ENOENT: "not_found", errno.ETIMEDOUT: "timeout",
    errno.EHOSTUNREACH: "unreachable", errno.ENETUNREACH: "unreachable",
}


def os_failure(error: OSError, what: str) -> TransportError:
    cause = ERRNO_CAUSES.get(error.errno or 0, "io")
    return TransportError(f"{what}: {error.strerror or error}", cause=cause)


class FolderConnection:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._deferred = 0
        if not root.is_dir():
            raise TransportError(f"{root} is not a folder (is the share mounted?)", cause="unreachable")

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Streams written inside skip their own fsync; the DP's file system is synced once at
        the end (a batch of FileLib objects is durable before a manifest names them)."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            if not self._deferred:
                self._syncfs()

    def _syncfs(self) -> None:
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _LIBC is None or _LIBC.syncfs(fd) != 0:
                os.sync()
        finally:
            os.close(fd)

    def _path(self, path: str) -> Path:
        return self.root / relative(path)

    def free_space(self) -> int:
        try:
            return shutil.disk_usage(self.root).free
        except OSError as error:
            raise os_failure(error, str(self.root)) from None

    def exists(self, path: str) -> bool:
        return self._path(path).exists()

    def size(self, path: str) -> int | None:
        try:
            return self._path(path).stat().st_size
        except FileNotFoundError:
            return None
        except OSError as error:
            raise os_failure(error, path) from None

    def listdir(self, path: str) -> list[str]:
        target = self.root if path in ("", ".") else self._path(path)
        try:
            return sorted(os.listdir(target))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise os_failure(error, path) from None

    def makedirs(self, path: str) -> None:
        try:
            self._path(path).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise os_failure(error, path) from None

    def read_bytes(self, path: str) -> bytes:
        try:
            return self._path(path).read_bytes()
        except OSError as error:
            raise os_failure(error, path) from None

    def write_bytes(self, path: str, data: bytes) -> None:
        target = self._path(path)
        temp = target.with_name(f".{target.name}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except OSError as error:
            raise os_failure(error, path) from None

    def write_stream(self, path: str, chunks: Iterable[bytes], *, offset: int = 0) -> int:
        target = self._path(path)
        try:
            with _open_creating(target, "r+b" if offset and target.exists() else "wb") as handle:
                handle.truncate(offset)
                handle.seek(offset)
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                if not self._deferred:
                    os.fsync(handle.fileno())
                return handle.tell()
        except OSError as error:
            raise os_failure(error, path) from None

    def read_stream(self, path: str, *, block: int = 1 << 20) -> Iterator[bytes]:
        try:
            with open(self._path(path), "rb") as handle:
                while data := handle.read(block):
                    yield data
        except OSError as error:
            raise os_failure(error, path) from None

    def sha256(self, path: str) -> str:
        digest = hashlib.sha256()
        for data in self.read_stream(path):
            digest.update(data)
        return digest.hexdigest()

    def concatenate(self, parts: list[str], dest: str) -> None:
        target = self._path(dest)
        try:
            with _open_creating(target, "wb") as out:
                for part in parts:
                    with open(self._path(part), "rb") as source:
                        shutil.copyfileobj(source, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            raise os_failure(error, dest) from None

    def rename(self, src: str, dst: str) -> None:
        try:
            target = self._path(dst)
            try:
                os.replace(self._path(src), target)
            except FileNotFoundError:  # the destination's folder is new (the source missing: raised again)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self._path(src), target)
        except OSError as error:
            raise os_failure(error, dst) from None

    def remove(self, path: str) -> None:
        try:
            self._path(path).unlink(missing_ok=True)
        except OSError as error:
            raise os_failure(error, path) from None

    def remove_tree(self, path: str) -> None:
        shutil.rmtree(self._path(path), ignore_errors=True)

    def hard_link(self, src: str, dst: str) -> bool:
        target = self._path(dst)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            os.link(self._path(src), target)
        except OSError as error:
            if error.errno in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
                return False  # another file system, or one without hard links: the caller copies
            raise os_failure(error, dst) from None
        return True

    def swap_link(self, link: str, target: str) -> None:
        path = self._path(link)
        temp = path.with_name(f".{path.name}.link-{os.getpid()}")
        try:
            temp.unlink(missing_ok=True)
            os.symlink(relative(target).rpartition("/")[2], temp)
            os.replace(temp, path)
        except OSError as error:
            raise os_failure(error, link) from None

    def read_link(self, link: str) -> str | None:
        path = self._path(link)
        return os.readlink(path) if path.is_symlink() else None

    def close(self) -> None:
        pass


def _open_creating(target: Path, mode: str) -> IO[bytes]:
    """``open`` that creates the parent folders when they are missing (one mkdir per new folder,
    not one per file: thousands of FileLib objects go through here)."""
    try:
        return cast(IO[bytes], open(target, mode))
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        return cast(IO[bytes], open(target, mode))


def connect_folder(dp: DistributionPoint) -> FolderConnection:
    root = Path(dp.address).expanduser()
    if not root.is_dir():
        raise TransportError(f"{dp.name}: {root} is not a folder (is the share mounted?)", cause="unreachable")
    library = root / dp.library_root if dp.library_root else root
    try:
        library.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise os_failure(error, str(library)) from None
    return FolderConnection(library)
