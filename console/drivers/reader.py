"""Driver folders on disk: find INF files, and turn one INF into a ``DriverCandidate``.

* ContentSourcePath is the folder that holds the INF; the driver's content is every file in
  that folder and its sub-folders (what gets copied into a boot image), so its size is
  theirs, and INFs that share a folder share its content.
* Each folder's content (its file listing, sizes and digests) is computed once per scan
  (``new_scan`` forgets it): a folder of 5,000 INFs is walked once, not once per INF.
* The content hash covers the INF's name and bytes plus the digest of its folder's content
  (the relative path and bytes of every content file): the same driver imported twice, from
  the same or a copied folder, has the same hash.
* Only regular files are read: a named pipe or device called ``*.inf`` (or inside a driver
  folder) is refused or left out, never opened for reading. A sub-folder of the content that
  cannot be read makes the INF fail with a message naming it (its content would be incomplete).
* DriverSigned is a *presence check*: the catalog file the INF names (``CatalogFile`` or a
  decorated ``CatalogFile.NTamd64``...) exists beside the INF. The signature inside the
  catalog is not verified.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from console.core.drivers import CancelCheck, DriverCandidate, InfError, ScanFailure
from console.core.errors import NotFoundError
from console.core.files import FileReadError, check_name_lengths, open_regular
from console.core.local_paths import unc_problem
from console.drivers.inf import InfFile, parse_inf, read_inf_bytes

_CHUNK = 1024 * 1024
_CACHE_LIMIT = 200_000
_HASH_FORMAT = b"bootimage-driver-content-2\0"


@dataclass(frozen=True)
class FolderContent:
    """A driver folder and its sub-folders, as read once: what every INF in it shares."""

    size: int  # bytes of every regular file
    digest: str  # sha256 over (relative path, file digest) of every regular file, sorted
    names: frozenset[str]  # case-folded names of the regular files directly in the folder
    problem: str  # "" or why the content is incomplete (an unreadable sub-folder)


class FileDriverReader:
    """The ``DriverReader`` of ``console.core.drivers``, over the local file system."""

    def __init__(self) -> None:
        # file digests by (path, size, mtime): INFs sharing a folder hash its files once
        self._digests: dict[tuple[str, int, int], str] = {}
        self._folders: dict[str, FolderContent] = {}
        #: directories listed since this reader was made (one per folder per scan)
        self.listings = 0

    def new_scan(self) -> None:
        """Forget folder contents read by an earlier scan (files may have changed since)."""
        self._folders = {}

    def find_infs(self, folder: str, failures: list[ScanFailure], cancelled: CancelCheck) -> Iterator[str]:
        """Every ``*.inf`` under ``folder`` (or ``folder`` itself when it is not a folder),
        sorted, without following symbolic links to folders. Unreadable folders are
        reported in ``failures`` and skipped."""
        try:
            check_name_lengths(folder, "folder")
        except FileReadError as exc:
            raise NotFoundError(exc.message) from None
        problem = unc_problem(folder, example="drivers")
        if problem:
            raise NotFoundError(problem)
        root = Path(folder)
        if not os.path.lexists(root):
            raise NotFoundError(f"{folder} does not exist: choose a folder that holds driver INF files")
        if not root.is_dir():
            yield str(root)  # read() says why a pipe, device or socket cannot be used
            return

        def report(exc: OSError) -> None:
            where = str(exc.filename or folder)
            failures.append(ScanFailure(where, f"{where}: cannot read this folder: {exc.strerror or exc}", folder=True))

        for current, _dirs, files in self._walk(str(root), report):
            if cancelled():
                return
            for name in files:
                if name.casefold().endswith(".inf"):
                    yield os.path.join(current, name)

    def read(self, inf_path: str) -> DriverCandidate:
        path = Path(inf_path)
        if any("\ud800" <= c <= "\udfff" for c in inf_path):
            raise InfError("the path is not UTF-8 text (a folder or file name holds other bytes), so it cannot be "
                           "recorded as the driver's source; rename it", file=inf_path)
        inf_bytes = read_inf_bytes(inf_path)
        inf = parse_inf(inf_bytes, inf_path)
        inf.require_device_driver()
        folder = str(path.parent)
        content = self._folders.get(folder)
        if content is None:
            try:
                content = self._folder_content(folder)
            except (OSError, FileReadError) as exc:
                reason = exc.reason if isinstance(exc, FileReadError) else f"{exc.strerror or exc} ({exc.filename})"
                raise InfError(f"cannot read the driver's files: {reason}", file=inf_path) from None
            self._folders[folder] = content
        if content.problem:
            raise InfError(content.problem, file=inf_path)
        digest = hashlib.sha256(_HASH_FORMAT)
        digest.update(path.name.casefold().encode("utf-8", "surrogateescape") + b"\0" + inf_bytes)
        digest.update(b"\0" + content.digest.encode("ascii"))
        signed = _has_catalog(content.names, inf)
        return _candidate(inf, path, content.size, digest.hexdigest(), signed)

    # -- helpers -------------------------------------------------------------------------

    def _walk(self, top: str, onerror: Callable[[OSError], object]) -> Iterator[tuple[str, list[str], list[str]]]:
        """``os.walk`` (sorted, no symbolic links followed) that counts its listings."""
        for current, dirs, files in os.walk(top, onerror=onerror, followlinks=False):
            self.listings += 1
            dirs.sort()
            files.sort()
            yield current, dirs, files

    def _folder_content(self, folder: str) -> FolderContent:
        unreadable: list[str] = []

        def report(exc: OSError) -> None:
            unreadable.append(f"{exc.filename or folder} ({exc.strerror or exc})")

        entries: list[tuple[str, str, int, int]] = []  # relative, full, size, mtime
        names: set[str] = set()
        for current, _dirs, files in self._walk(folder, report):
            for name in files:
                full = os.path.join(current, name)
                st = os.lstat(full)
                if not stat.S_ISREG(st.st_mode):
                    continue  # symbolic links, pipes, devices, sockets are not content
                if current == folder:
                    names.add(name.casefold())
                relative = os.path.relpath(full, folder).replace(os.sep, "/")
                entries.append((relative, full, st.st_size, st.st_mtime_ns))
        if unreadable:
            shown = "; ".join(unreadable[:3]) + (f" and {len(unreadable) - 3} more" if len(unreadable) > 3 else "")
            problem = (f"the driver's content is incomplete: cannot read the sub-folder {shown}; "
                       "the driver is not imported (make it readable and import again)")
            return FolderContent(0, "", frozenset(names), problem)
        entries.sort()
        digest = hashlib.sha256()
        for relative, full, size, mtime in entries:
            digest.update(b"\0" + relative.encode("utf-8", "surrogateescape") + b"\0")
            digest.update(self._file_digest(full, size, mtime).encode("ascii"))
        return FolderContent(sum(e[2] for e in entries), digest.hexdigest(), frozenset(names), "")

    def _file_digest(self, full: str, size: int, mtime: int) -> str:
        key = (full, size, mtime)
        cached = self._digests.get(key)
        if cached is not None:
            return cached
        digest = hashlib.sha256()
        fd, _ = open_regular(full)
        try:
            while chunk := os.read(fd, _CHUNK):
                digest.update(chunk)
        finally:
            os.close(fd)
        if len(self._digests) >= _CACHE_LIMIT:
            self._digests.clear()
        value = digest.hexdigest()
        self._digests[key] = value
        return value


def _has_catalog(present: frozenset[str], inf: InfFile) -> bool:
    wanted = {name.strip().casefold() for _, name in inf.catalog_files if name.strip()}
    return bool(wanted & present)


def _candidate(inf: InfFile, path: Path, size: int, content_hash: str, signed: bool) -> DriverCandidate:
    name = next((m.description for m in inf.models if m.description.strip()), "") or path.name
    return DriverCandidate(
        inf_path=str(path),
        inf_file=path.name,
        folder=str(path.parent),
        name=name.strip(),
        driver_class=inf.driver_class,
        class_guid=inf.class_guid,
        provider=inf.provider,
        version=inf.driver_version,
        date=inf.driver_date,
        catalog_file=inf.catalog_file,
        signed=signed,
        architectures=inf.architectures,
        models=inf.models,
        size=size,
        content_hash=content_hash,
        warnings=inf.warnings,
    )
