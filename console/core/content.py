"""The site's content library: what a stored content version is, and the port to the library.

The layout follows ConfigMgr's SCCMContentLib (single instance by SHA-256): ``FileLib`` holds
the bytes once per hash, ``DataLib`` one manifest per content version (``PS100004.3``),
``PkgLib`` the package pointer to its current version, written last. Files larger than
``CHUNK_THRESHOLD`` are stored as content-defined chunks (FastCDC), each a FileLib object of
its own, so a changed image shares most of its chunks with the previous revision and a
transfer to a distribution point sends only the chunks it lacks.

Standard library only (the adapter lives in ``console.content``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from console.core.errors import ConsoleError, NotFoundError

#: Files above this size are stored as content-defined chunks.
CHUNK_THRESHOLD = 8 * 1024 * 1024
#: Revisions a package keeps by default (a site setting).
DEFAULT_RETENTION = 5

SHA256 = re.compile(r"^[0-9a-f]{64}$")
PACKAGE_ID = re.compile(r"^[A-Z0-9]{3}[0-9A-F]{5}$")
CONTEXT_ID = re.compile(r"^[A-Za-z0-9{}._-]{1,80}$")

JsonValue = Any  # what json.dumps accepts
#: path inside the image -> (size in bytes, hash as the image reports it)
ImageListing = Mapping[str, tuple[int, str]]
#: (bytes done, bytes in all) during long file work
ProgressCallback = Callable[[int, int], None]


class ContentError(ConsoleError):
    title = "Content library"


class RevisionNotFoundError(NotFoundError):
    title = "No such revision"


class ContentCorruptError(ContentError):
    """Bytes in the library no longer match their hash (or are missing)."""

    title = "Damaged content"


class ContentVersionExistsError(ContentError):
    """A version is already stored with other files (a stored version never changes)."""


class ContentBusyError(ContentError):
    title = "Content library busy"


class ContentCancelled(ContentError):
    title = "Cancelled"


def boot_image_name(package_id: str) -> str:
    """The built image's name in a boot image package's content (as ConfigMgr names it)."""
    return f"boot.{check_package_id(package_id)}.wim"


def check_package_id(package_id: str) -> str:
    pid = package_id.strip().upper()
    if not PACKAGE_ID.match(pid):
        raise ContentError(f"{package_id!r} is not a PackageID (3 letters or digits, then 5 hex digits: PS100004)")
    return pid


def check_relpath(path: str) -> str:
    """A content file's path relative to the package root, with forward slashes."""
    text = path.replace("\\", "/").strip("/")
    parts = text.split("/")
    if not text or any(p in ("", ".", "..") for p in parts) or ":" in text:
        raise ContentError(f"{path!r} is not a relative path inside the package content")
    return text


@dataclass(frozen=True)
class ContentFile:
    """One file of a content version. ``chunks`` (sha256, size) in order when it is chunked."""

    path: str
    size: int
    sha256: str
    chunks: tuple[tuple[str, int], ...] = ()

    @property
    def chunked(self) -> bool:
        return bool(self.chunks)

    def blobs(self) -> tuple[tuple[str, int], ...]:
        """The FileLib objects that hold this file's bytes."""
        return self.chunks if self.chunks else ((self.sha256, self.size),)

    def to_json(self) -> dict[str, JsonValue]:
        data: dict[str, JsonValue] = {"path": self.path, "size": self.size, "sha256": self.sha256}
        if self.chunks:
            data["chunks"] = [[h, n] for h, n in self.chunks]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> ContentFile:
        chunks = tuple((str(h), int(n)) for h, n in data.get("chunks") or ())
        return cls(str(data["path"]), int(data["size"]), str(data["sha256"]), chunks)


@dataclass(frozen=True)
class RegistryValue:
    """A registry value the build set in an offline hive (``HKLM\\SYSTEM\\...``)."""

    key: str
    name: str
    value: JsonValue
    type: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        return {"key": self.key, "name": self.name, "value": self.value, "type": self.type}

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> RegistryValue:
        return cls(str(data["key"]), str(data["name"]), data.get("value"), str(data.get("type") or ""))


@dataclass(frozen=True)
class ManifestFields:
    """What a caller says about a version besides its files (see ``Manifest``)."""

    created_by: str
    created_at: datetime | None = None
    properties: Mapping[str, JsonValue] = field(default_factory=dict)
    image_listing: ImageListing | None = None
    registry: tuple[RegistryValue, ...] = ()
    image_values: Mapping[str, JsonValue] = field(default_factory=dict)
    summary: str = ""
    changes: tuple[str, ...] = ()
    context_id: str = ""
    origin: str = "build"  # "build" | "rollback"
    rolled_back_from: int | None = None


@dataclass(frozen=True)
class Manifest:
    """One content version of a package (a DataLib entry): its files and what it was built from.

    ``properties``: the package's property values that shaped the image (JSON forms).
    ``image_listing``: the files inside the built WIM, for diffs. ``registry``: values the
    build set. ``image_values``: package properties that describe this image (ImageOSVersion,
    ImageProperty, ...), applied again by a rollback. ``summary``/``changes``: what a user reads.
    """

    package_id: str
    version: int
    created_at: datetime
    created_by: str
    files: tuple[ContentFile, ...]
    properties: Mapping[str, JsonValue] = field(default_factory=dict)
    image_listing: ImageListing | None = None
    registry: tuple[RegistryValue, ...] = ()
    image_values: Mapping[str, JsonValue] = field(default_factory=dict)
    summary: str = ""
    changes: tuple[str, ...] = ()
    context_id: str = ""
    origin: str = "build"
    rolled_back_from: int | None = None

    @property
    def content_id(self) -> str:
        return f"{self.package_id}.{self.version}"

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def blobs(self) -> set[tuple[str, int]]:
        return {b for f in self.files for b in f.blobs()}

    def same_content(self, other: Manifest) -> bool:
        return {(f.path, f.sha256) for f in self.files} == {(f.path, f.sha256) for f in other.files}

    @classmethod
    def build(cls, package_id: str, version: int, files: Iterable[ContentFile], fields: ManifestFields) -> Manifest:
        return cls(
            package_id, version, fields.created_at or datetime.now(UTC).replace(microsecond=0), fields.created_by,
            tuple(sorted(files, key=lambda f: f.path)), dict(fields.properties),
            dict(fields.image_listing) if fields.image_listing is not None else None, tuple(fields.registry),
            dict(fields.image_values), fields.summary, tuple(fields.changes), fields.context_id, fields.origin,
            fields.rolled_back_from,
        )

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "format": 1,
            "package_id": self.package_id,
            "version": self.version,
            "content_id": self.content_id,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "origin": self.origin,
            "rolled_back_from": self.rolled_back_from,
            "context_id": self.context_id,
            "summary": self.summary,
            "changes": list(self.changes),
            "size": self.size,
            "files": [f.to_json() for f in self.files],
            "properties": dict(self.properties),
            "image_values": dict(self.image_values),
            "registry": [r.to_json() for r in self.registry],
            "image_listing": None if self.image_listing is None
            else {p: [s, h] for p, (s, h) in sorted(self.image_listing.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> Manifest:
        listing = data.get("image_listing")
        back = data.get("rolled_back_from")
        return cls(
            str(data["package_id"]), int(data["version"]), datetime.fromisoformat(str(data["created_at"])),
            str(data.get("created_by") or ""), tuple(ContentFile.from_json(f) for f in data.get("files") or ()),
            dict(data.get("properties") or {}),
            None if listing is None else {str(p): (int(v[0]), str(v[1])) for p, v in listing.items()},
            tuple(RegistryValue.from_json(r) for r in data.get("registry") or ()), dict(data.get("image_values") or {}),
            str(data.get("summary") or ""), tuple(str(c) for c in data.get("changes") or ()),
            str(data.get("context_id") or ""), str(data.get("origin") or "build"), None if back is None else int(back),
        )


@dataclass(frozen=True)
class GarbageReport:
    files_removed: int
    bytes_freed: int
    temporary_removed: int


class ContentLibrary(Protocol):
    """A content library on a file system (the site's; later the same on each distribution point)."""

    @property
    def root(self) -> Path: ...

    def work_dir(self, context_id: str) -> Path:
        """``<root>/Work/<ContextID>/`` (created): where a build job writes before ``store``."""
        ...

    def remove_work_dir(self, context_id: str) -> None: ...

    def work_ids(self) -> list[str]:
        """ContextIDs of the work folders under ``<root>/Work``."""
        ...

    def store(
        self, package_id: str, version: int, files: Mapping[str, Path], fields: ManifestFields, *,
        progress: ProgressCallback | None = None, cancelled: Callable[[], bool] | None = None, make_current: bool = False,
    ) -> Manifest:
        """Store ``files`` (relative path -> file) as ``package_id`` version ``version``: the
        objects, then the manifest, then (``make_current``) the package pointer, last.
        Idempotent: the same content again returns the stored manifest; other content under an
        existing version is refused (ContentVersionExistsError)."""
        ...

    def add_manifest(self, manifest: Manifest) -> Manifest:
        """Write a manifest whose files are all in FileLib already (a rollback's new version)."""
        ...

    def versions(self, package_id: str) -> list[int]: ...
    def current_version(self, package_id: str) -> int | None: ...
    def current(self, package_id: str) -> Manifest | None: ...
    def manifest(self, package_id: str, version: int) -> Manifest: ...
    def revisions(self, package_id: str) -> list[Manifest]: ...
    def set_current(self, package_id: str, version: int) -> None: ...
    def materialize(self, package_id: str, version: int, dest_dir: Path) -> list[Path]: ...
    def materialize_file(self, file: ContentFile, dest: Path) -> Path: ...
    def remove_revision(self, package_id: str, version: int) -> None: ...
    def remove_package(self, package_id: str) -> list[int]: ...
    def apply_retention(self, package_id: str, keep: int = DEFAULT_RETENTION) -> list[int]: ...
    def collect_garbage(self, *, grace_seconds: float | None = None) -> GarbageReport: ...
    def verify(self, package_id: str, version: int) -> list[str]: ...
    def has_blob(self, sha256: str) -> bool: ...
    def blob_path(self, sha256: str) -> Path: ...
    def put_blob(self, sha256: str, data: bytes) -> None: ...
    def free_bytes(self) -> int: ...
