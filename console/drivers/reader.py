"""Driver folders on disk: find INF files, and turn one INF into a ``DriverCandidate``.

* ContentSourcePath is the folder that holds the INF; the driver's content is every file in
  that folder and its sub-folders (what gets copied into a boot image), so its size is
  theirs, and INFs that share a folder share its content.
* The content hash covers the INF's name and bytes plus the relative path and bytes of every
  content file: the same driver imported twice, from the same or a copied folder, has the
  same hash.
* DriverSigned is a *presence check*: the catalog file the INF names (``CatalogFile`` or a
  decorated ``CatalogFile.NTamd64``...) exists beside the INF. The signature inside the
  catalog is not verified.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from console.core.drivers import CancelCheck, DriverCandidate, InfError, ScanFailure
from console.core.errors import NotFoundError
from console.drivers.inf import InfFile, read_inf

_CHUNK = 1024 * 1024
_CACHE_LIMIT = 200_000


class FileDriverReader:
    """The ``DriverReader`` of ``console.core.drivers``, over the local file system."""

    def __init__(self) -> None:
        # file digests by (path, size, mtime): INFs sharing a folder hash its files once
        self._digests: dict[tuple[str, int, int], str] = {}

    def find_infs(self, folder: str, failures: list[ScanFailure], cancelled: CancelCheck) -> Iterator[str]:
        """Every ``*.inf`` under ``folder`` (or ``folder`` itself when it is an INF file),
        sorted, without following symbolic links to folders. Unreadable folders are
        reported in ``failures`` and skipped."""
        root = Path(folder)
        if not root.exists():
            raise NotFoundError(f"{folder} does not exist: choose a folder that holds driver INF files")
        if root.is_file():
            yield str(root)
            return

        def report(exc: OSError) -> None:
            failures.append(ScanFailure(str(exc.filename or folder), f"cannot read this folder: {exc.strerror or exc}"))

        for current, dirs, files in os.walk(root, onerror=report, followlinks=False):
            if cancelled():
                return
            dirs.sort()
            for name in sorted(files):
                if name.casefold().endswith(".inf"):
                    yield os.path.join(current, name)

    def read(self, inf_path: str) -> DriverCandidate:
        path = Path(inf_path)
        inf = read_inf(path)
        inf.require_device_driver()
        folder = path.parent
        try:
            files = self._content_files(folder)
            inf_bytes = path.read_bytes()
            size = sum(s for _, _, s in files)
            digest = hashlib.sha256()
            digest.update(path.name.casefold().encode("utf-8") + b"\0" + inf_bytes)
            for relative, full, file_size in files:
                digest.update(b"\0" + relative.encode("utf-8", "surrogateescape") + b"\0")
                digest.update(self._file_digest(full, file_size).encode("ascii"))
        except OSError as exc:
            raise InfError(f"cannot read the driver's files: {exc.strerror or exc} ({exc.filename})", file=str(path)) from None
        return _candidate(inf, path, size, digest.hexdigest(), self._has_catalog(folder, inf))

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _content_files(folder: Path) -> list[tuple[str, str, int]]:
        """(relative path with '/', full path, size) of every regular file, sorted."""
        result = []
        for current, dirs, files in os.walk(folder, followlinks=False):
            dirs.sort()
            for name in files:
                full = os.path.join(current, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                relative = os.path.relpath(full, folder).replace(os.sep, "/")
                result.append((relative, full, os.path.getsize(full)))
        result.sort()
        return result

    def _file_digest(self, full: str, size: int) -> str:
        key = (full, size, os.stat(full).st_mtime_ns)
        cached = self._digests.get(key)
        if cached is not None:
            return cached
        digest = hashlib.sha256()
        with open(full, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        if len(self._digests) >= _CACHE_LIMIT:
            self._digests.clear()
        value = digest.hexdigest()
        self._digests[key] = value
        return value

    @staticmethod
    def _has_catalog(folder: Path, inf: InfFile) -> bool:
        wanted = {name.strip().casefold() for _, name in inf.catalog_files if name.strip()}
        if not wanted:
            return False
        try:
            present = {entry.name.casefold() for entry in folder.iterdir() if entry.is_file()}
        except OSError:
            return False
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
