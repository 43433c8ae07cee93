"""The content library on a file system (``console.core.content.ContentLibrary``).

Layout (as ConfigMgr's SCCMContentLib, JSON instead of INI)::

    <root>/FileLib/<first 4 hash chars>/<sha256>   the bytes, once per hash (files, or chunks)
    <root>/DataLib/<PkgID>.<version>.json          one manifest per content version
    <root>/PkgLib/<PkgID>.json                     the package pointer: its current version
    <root>/Work/<ContextID>/                       build jobs' work folders

Every file is written under a hidden temporary name, fsynced and renamed, so a crash leaves
either nothing or a complete file under a final name. A store writes its FileLib objects,
then the manifest; the pointer is switched separately (``set_current``), last.

The temporary files of a build job's store (its manifest names the job's ContextID) are
written in the job's work folder (``Work/<ContextID>/incoming``) while that folder exists, and
renamed from there: a worker killed in the middle of a store leaves its partial files only in
the work folder, which the job removes when it ends, never under FileLib, DataLib or PkgLib.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from console.content.files import TEMP_SUFFIX, WriteBatch, fsync_dir, is_temp, library_lock, os_error, write_atomic
from console.content.integrity import collect_unreferenced, verify_manifest
from console.core.content import (
    CHUNK_THRESHOLD,
    CONTEXT_ID,
    DEFAULT_RETENTION,
    SHA256,
    ContentCancelled,
    ContentCorruptError,
    ContentError,
    ContentFile,
    ContentVersionExistsError,
    GarbageReport,
    Manifest,
    ManifestFields,
    ProgressCallback,
    RevisionNotFoundError,
    check_package_id,
    check_relpath,
)

#: FastCDC average chunk size (min a quarter, max four times): ~1,600 chunks for a 400 MB WIM.
CHUNK_AVG = 256 * 1024


class FileContentLibrary:
    """A content library rooted at a folder (local disk or a shared mount)."""

    def __init__(
        self, root: Path, *, chunk_threshold: int = CHUNK_THRESHOLD, chunk_avg: int = CHUNK_AVG,
        gc_grace_seconds: float = 3600.0, lock_timeout: float = 30.0, store_wait_seconds: float = 600.0,
    ) -> None:
        self._root = Path(root)
        self.chunk_threshold = chunk_threshold
        self.chunk_avg = chunk_avg
        self.gc_grace_seconds = gc_grace_seconds
        self.lock_timeout = lock_timeout  # how long garbage collection waits for stores
        self.store_wait_seconds = store_wait_seconds  # how long a store waits for garbage collection

    # -- layout ------------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        return self._root

    @property
    def filelib(self) -> Path:
        return self._root / "FileLib"

    @property
    def datalib(self) -> Path:
        return self._root / "DataLib"

    @property
    def pkglib(self) -> Path:
        return self._root / "PkgLib"

    def blob_path(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ContentError(f"{sha256!r} is not a SHA-256 in hex")
        return self.filelib / sha256[:4] / sha256

    def _manifest_path(self, package_id: str, version: int) -> Path:
        return self.datalib / f"{package_id}.{int(version)}.json"

    def _pointer_path(self, package_id: str) -> Path:
        return self.pkglib / f"{package_id}.json"

    def _ensure_layout(self) -> None:
        for folder in (self.filelib, self.datalib, self.pkglib, self._root / "Work"):
            folder.mkdir(parents=True, exist_ok=True)

    def work_dir(self, context_id: str) -> Path:
        if not CONTEXT_ID.match(context_id):
            raise ContentError(f"{context_id!r} is not a ContextID")
        folder = self._root / "Work" / context_id
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(self._root, exc, "create a work folder") from None
        return folder

    def _staging(self, context_id: str, target: Path) -> Path | None:
        """Where temporary files of a store for job ``context_id`` go: ``Work/<ContextID>/incoming``
        when the job's work folder exists on ``target``'s file system (a rename from there is
        atomic); None (beside the final names) otherwise."""
        if not context_id or not CONTEXT_ID.match(context_id):
            return None
        work = self._root / "Work" / context_id
        try:
            if not work.is_dir() or work.stat().st_dev != target.stat().st_dev:
                return None
            incoming = work / "incoming"
            incoming.mkdir(exist_ok=True)
        except OSError:
            return None
        return incoming

    def remove_work_dir(self, context_id: str) -> None:
        if CONTEXT_ID.match(context_id):
            shutil.rmtree(self._root / "Work" / context_id, ignore_errors=True)

    def work_ids(self) -> list[str]:
        try:
            names = os.listdir(self._root / "Work")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise os_error(self._root / "Work", exc, "list the work folders") from None
        return sorted(name for name in names if CONTEXT_ID.match(name))

    def free_bytes(self) -> int:
        folder = self._root
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return shutil.disk_usage(folder).free

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """File-system failures as one-line ContentErrors (never a traceback)."""
        try:
            yield
        except OSError as exc:
            raise os_error(self._root, exc, doing) from None

    # -- FileLib -----------------------------------------------------------------------------

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def put_blob(self, sha256: str, data: bytes) -> None:
        """Receive one object (e.g. a chunk sent by a transfer); its hash is checked first."""
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ContentCorruptError(f"received object does not match its hash {sha256}")
        with library_lock(self._root, exclusive=False, timeout=self.store_wait_seconds):
            self._ensure_layout()
            if not self.has_blob(sha256):
                self.blob_path(sha256).parent.mkdir(exist_ok=True)
                write_atomic(self.blob_path(sha256), data)

    def _put(self, sha256: str, data: bytes | memoryview, batch: WriteBatch) -> None:
        """Store one object unless present (then touch it, so a grace-period GC keeps it)."""
        final = self.blob_path(sha256)
        if final.is_file():
            with contextlib.suppress(OSError):
                os.utime(final)
            return
        final.parent.mkdir(exist_ok=True)
        batch.add(final, data)

    # -- store ---------------------------------------------------------------------------------

    def store(
        self, package_id: str, version: int, files: Mapping[str, Path], fields: ManifestFields, *,
        progress: ProgressCallback | None = None, cancelled: Callable[[], bool] | None = None, make_current: bool = False,
    ) -> Manifest:
        manifest = self._store(package_id, version, files, fields, progress, cancelled)
        if make_current:
            self.set_current(manifest.package_id, manifest.version)
        return manifest

    def _store(
        self, package_id: str, version: int, files: Mapping[str, Path], fields: ManifestFields,
        progress: ProgressCallback | None, cancelled: Callable[[], bool] | None,
    ) -> Manifest:
        pid = check_package_id(package_id)
        if version < 1:
            raise ContentError(f"content version must be 1 or more, not {version}")
        named = {check_relpath(rel): Path(src) for rel, src in files.items()}
        if not named:
            raise ContentError(f"nothing to store for {pid}: the built content has no files")
        for rel, src in named.items():
            if not src.is_file():
                raise ContentError(f"cannot store {rel} of {pid}: {src} is not a file")
        total = sum(src.stat().st_size for src in named.values())
        try:
            with library_lock(self._root, exclusive=False, timeout=self.store_wait_seconds):
                self._ensure_layout()
                done = 0
                stored: list[ContentFile] = []
                staging = self._staging(fields.context_id, self.filelib)
                batch = WriteBatch(self.filelib, staging)
                try:
                    for rel, src in sorted(named.items()):
                        entry, done = self._store_file(rel, src, batch, done, total, progress, cancelled)
                        stored.append(entry)
                    batch.commit()  # every object durable under its final name before the manifest names it
                finally:
                    batch.discard()
                manifest = Manifest.build(pid, version, stored, fields)
                existing = self._read_manifest_or_none(pid, version)
                if existing is not None:
                    if existing.same_content(manifest):
                        return existing
                    raise ContentVersionExistsError(
                        f"{pid} content version {version} is already stored with other files; "
                        "a stored version never changes (store a new version)"
                    )
                self._write_manifest(manifest, staging)
                return manifest
        except OSError as exc:
            raise os_error(self._root, exc, f"store {pid} version {version}") from None

    def _store_file(
        self, rel: str, src: Path, batch: WriteBatch, done: int, total: int,
        progress: ProgressCallback | None, cancelled: Callable[[], bool] | None,
    ) -> tuple[ContentFile, int]:
        size = src.stat().st_size
        if cancelled is not None and cancelled():
            raise ContentCancelled("storing was cancelled; nothing was recorded")
        if size <= self.chunk_threshold:
            data = src.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            self._put(digest, data, batch)
            done += len(data)
            if progress is not None:
                progress(done, total)
            return ContentFile(rel, len(data), digest), done
        whole = hashlib.sha256()
        chunks: list[tuple[str, int]] = []
        from pyfastcdc import FastCDC  # imported on first use (a Cython extension)

        cdc = FastCDC(self.chunk_avg)
        for chunk in cdc.cut_file(str(src)):
            if cancelled is not None and cancelled():
                raise ContentCancelled("storing was cancelled; nothing was recorded")
            piece = chunk.data
            whole.update(piece)
            digest = hashlib.sha256(piece).hexdigest()
            self._put(digest, piece, batch)
            chunks.append((digest, chunk.length))
            done += chunk.length
            if progress is not None:
                progress(done, total)
        stored = sum(n for _, n in chunks)
        if stored != size:
            raise ContentError(f"{src} changed while it was being stored ({size} bytes, read {stored}); store it again")
        return ContentFile(rel, size, whole.hexdigest(), tuple(chunks)), done

    def add_manifest(self, manifest: Manifest) -> Manifest:
        pid = check_package_id(manifest.package_id)
        try:
            with library_lock(self._root, exclusive=False, timeout=self.store_wait_seconds):
                self._ensure_layout()
                for sha, _size in sorted(manifest.blobs()):
                    path = self.blob_path(sha)
                    if not path.is_file():
                        raise ContentCorruptError(f"object {sha} of {pid} is missing from the content library {self._root}")
                    os.utime(path)
                existing = self._read_manifest_or_none(pid, manifest.version)
                if existing is not None:
                    if existing.same_content(manifest):
                        return existing
                    raise ContentVersionExistsError(f"{pid} content version {manifest.version} is already stored with other files")
                self._write_manifest(manifest, self._staging(manifest.context_id, self.datalib))
                return manifest
        except OSError as exc:
            raise os_error(self._root, exc, f"write {pid} version {manifest.version}") from None

    def _write_manifest(self, manifest: Manifest, staging: Path | None = None) -> None:
        text = json.dumps(manifest.to_json(), indent=1, sort_keys=False, ensure_ascii=False)
        write_atomic(self._manifest_path(manifest.package_id, manifest.version), text.encode("utf-8"), staging=staging)

    # -- manifests and the pointer ---------------------------------------------------------------

    def _read_manifest_or_none(self, pid: str, version: int) -> Manifest | None:
        path = self._manifest_path(pid, version)
        try:
            data = json.loads(path.read_text("utf-8"))
            return Manifest.from_json(data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ContentCorruptError(f"the manifest {path} cannot be read: {exc}") from None

    def manifest(self, package_id: str, version: int) -> Manifest:
        pid = check_package_id(package_id)
        found = self._read_manifest_or_none(pid, version)
        if found is None:
            raise RevisionNotFoundError(f"{pid} has no revision {version} in the content library")
        return found

    def versions(self, package_id: str) -> list[int]:
        pid = check_package_id(package_id)
        found = []
        if self.datalib.is_dir():
            for path in self.datalib.glob(f"{pid}.*.json"):
                number = path.name[len(pid) + 1:-len(".json")]
                if number.isdigit() and not is_temp(path):
                    found.append(int(number))
        return sorted(found)

    def revisions(self, package_id: str) -> list[Manifest]:
        pid = check_package_id(package_id)
        manifests = (self._read_manifest_or_none(pid, v) for v in self.versions(pid))
        return [m for m in manifests if m is not None]

    def current_version(self, package_id: str) -> int | None:
        pid = check_package_id(package_id)
        path = self._pointer_path(pid)
        try:
            return int(json.loads(path.read_text("utf-8"))["current_version"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ContentCorruptError(f"the package pointer {path} cannot be read: {exc}") from None

    def current(self, package_id: str) -> Manifest | None:
        version = self.current_version(package_id)
        return None if version is None else self.manifest(package_id, version)

    def set_current(self, package_id: str, version: int) -> None:
        """Switch the package pointer (atomically) to a stored, complete version."""
        pid = check_package_id(package_id)
        manifest = self.manifest(pid, version)
        missing = [sha for sha, _ in manifest.blobs() if not self.blob_path(sha).is_file()]
        if missing:
            raise ContentCorruptError(
                f"{pid} revision {version} is incomplete ({len(missing)} object(s) missing from {self.filelib}); "
                "the package pointer was not changed"
            )
        data = {"package_id": pid, "current_version": version, "content_id": manifest.content_id,
                "updated_at": datetime.now(UTC).replace(microsecond=0).isoformat()}
        try:
            self._ensure_layout()
            write_atomic(self._pointer_path(pid), json.dumps(data, indent=1).encode("utf-8"),
                         staging=self._staging(manifest.context_id, self.pkglib))
        except OSError as exc:
            raise os_error(self._root, exc, f"switch {pid} to version {version}") from None

    # -- reading content back --------------------------------------------------------------------

    def materialize(self, package_id: str, version: int, dest_dir: Path) -> list[Path]:
        """Write every file of a version under ``dest_dir`` (chunks reassembled, hashes checked)."""
        with self._errors("write out a revision"):
            manifest = self.manifest(package_id, version)
            return [self._materialize_file(f, Path(dest_dir) / f.path) for f in manifest.files]

    def materialize_file(self, file: ContentFile, dest: Path) -> Path:
        """Write one file of a version to ``dest`` (temp name, hash checked, then renamed)."""
        with self._errors(f"write out {file.path}"):
            return self._materialize_file(file, dest)

    def _materialize_file(self, file: ContentFile, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}{TEMP_SUFFIX}")
        whole = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for sha, size in file.blobs():
                    data = self._read_blob(sha, file.path)
                    if len(data) != size or (file.chunked and hashlib.sha256(data).hexdigest() != sha):
                        raise ContentCorruptError(f"{file.path}: object {sha} in {self.filelib} is damaged")
                    whole.update(data)
                    out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if whole.hexdigest() != file.sha256:
                raise ContentCorruptError(f"{file.path}: reassembled bytes do not match its SHA-256 {file.sha256}")
            os.replace(tmp, dest)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return dest

    def _read_blob(self, sha: str, what: str) -> bytes:
        try:
            return self.blob_path(sha).read_bytes()
        except FileNotFoundError:
            raise ContentCorruptError(f"{what}: object {sha} is missing from {self.filelib}") from None

    def verify(self, package_id: str, version: int) -> list[str]:
        """Re-hash every object and file of a version; the problems found (empty: intact)."""
        with self._errors("verify a revision"):
            return verify_manifest(self.blob_path, self.manifest(package_id, version))

    # -- removal -----------------------------------------------------------------------------------

    def remove_revision(self, package_id: str, version: int) -> None:
        with self._errors("remove a revision"):
            pid = check_package_id(package_id)
            if self.current_version(pid) == version:
                raise ContentError(f"revision {version} is {pid}'s current content; it cannot be removed")
            path = self._manifest_path(pid, version)
            if not path.exists():
                raise RevisionNotFoundError(f"{pid} has no revision {version} in the content library")
            path.unlink()
            fsync_dir(path.parent)

    def remove_package(self, package_id: str) -> list[int]:
        """Forget a deleted package: its pointer, then its manifests (GC frees the bytes)."""
        with self._errors("remove a package"):
            pid = check_package_id(package_id)
            self._pointer_path(pid).unlink(missing_ok=True)
            versions = self.versions(pid)
            for version in versions:
                self._manifest_path(pid, version).unlink(missing_ok=True)
            if versions:
                fsync_dir(self.datalib)
            return versions

    def apply_retention(self, package_id: str, keep: int = DEFAULT_RETENTION) -> list[int]:
        """Remove all but the newest ``keep`` revisions up to the current one. The current one
        and newer ones (a build not yet recorded) are never removed. Returns what was removed."""
        with self._errors("prune revisions"):
            pid = check_package_id(package_id)
            current = self.current_version(pid)
            if current is None:
                return []
            older = [v for v in self.versions(pid) if v <= current]
            doomed = [v for v in older[:-max(keep, 1)] if v != current]
            for version in doomed:
                self.remove_revision(pid, version)
            return doomed

    def collect_garbage(self, *, grace_seconds: float | None = None) -> GarbageReport:
        """Delete FileLib objects no manifest references and leftover temporary files, both
        only when older than the grace period; waits for stores in progress to finish."""
        with self._errors("collect garbage"):
            grace = self.gc_grace_seconds if grace_seconds is None else grace_seconds
            if not self.filelib.is_dir():
                return GarbageReport(0, 0, 0)
            with library_lock(self._root, exclusive=True, timeout=self.lock_timeout):
                return collect_unreferenced(self.filelib, self.datalib, time.time() - grace)
