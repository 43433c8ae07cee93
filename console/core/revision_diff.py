"""What differs between two revisions of a package's content: property values, the files
inside the image, registry values, and the stored content files themselves.

A build records the listing of its image's files and the registry values it manages with the
revision; a revision built before that has neither, and the diff says "unknown" for both
rather than claiming there were no changes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.core.content import ImageListing, Manifest, RegistryValue
from console.core.values import CLASS_KEY


@dataclass(frozen=True)
class ValueChange:
    """One property or registry value: ``old`` None = added, ``new`` None = removed."""

    name: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "old": self.old, "new": self.new}

    def describe(self) -> str:
        if isinstance(self.old, list) or isinstance(self.new, list):
            old, new = list(self.old or []), list(self.new or [])
            added = [show(v) for v in new if v not in old]
            removed = [show(v) for v in old if v not in new]
            parts = ([f"added {', '.join(added)}"] if added else []) + ([f"removed {', '.join(removed)}"] if removed else [])
            return f"{self.name}: " + ("; ".join(parts) or f"{show(self.old)} -> {show(self.new)}")
        return f"{self.name}: {show(self.old)} -> {show(self.new)}"


@dataclass(frozen=True)
class FileChange:
    """A file inside the image (or a stored content file): (size, hash) before and after."""

    path: str
    old: tuple[int, str] | None
    new: tuple[int, str] | None

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "change": self.kind,
                "old_size": self.old[0] if self.old else None, "new_size": self.new[0] if self.new else None,
                "old_hash": self.old[1] if self.old else None, "new_hash": self.new[1] if self.new else None}


@dataclass(frozen=True)
class RevisionDiff:
    package_id: str
    a: int
    b: int
    properties: tuple[ValueChange, ...]
    image_files: tuple[FileChange, ...]
    image_listing_known: bool  # False when either revision has no listing of its image
    registry: tuple[ValueChange, ...]
    content_files: tuple[FileChange, ...]
    registry_known: bool = True  # False when either revision was built before its values were recorded

    def image(self, kind: str) -> list[str]:
        return [c.path for c in self.image_files if c.kind == kind]

    @property
    def empty(self) -> bool:
        return self.image_listing_known and self.registry_known and not (
            self.properties or self.image_files or self.registry or self.content_files)

    def summary(self) -> list[str]:
        """Short lines: what a revision list says under "what changed"."""
        lines = [c.describe() for c in self.properties]
        counts = [f"{len(self.image(k))} {k}" for k in ("added", "removed", "changed") if self.image(k)]
        if counts:
            lines.append("image files: " + ", ".join(counts))
        if self.registry:
            lines.append(f"registry: {len(self.registry)} value(s) changed")
        if not lines and self.content_files:
            lines.append("content: " + ", ".join(f"{c.path} {c.kind}" for c in self.content_files))
        return lines

    def lines(self) -> list[str]:
        """The full report (``bootimage diff``)."""
        out = [f"{self.package_id}: revision {self.a} -> revision {self.b}"]
        out.append("Properties:")
        out += [f"  {c.describe()}" for c in self.properties] or ["  no changes"]
        out.append("Image files:")
        if not self.image_listing_known:
            out.append(f"  {UNKNOWN}")
        for kind, mark in (("added", "+"), ("removed", "-"), ("changed", "~")):
            out += [f"  {mark} {path}" for path in self.image(kind)]
        if self.image_listing_known and not self.image_files:
            out.append("  no changes")
        out.append("Registry values:")
        if not self.registry_known:
            out.append(f"  {UNKNOWN}")
        else:
            out += [f"  {c.describe()}" for c in self.registry] or ["  no changes"]
        out.append("Content files:")
        out += [f"  {c.path} {c.kind}" for c in self.content_files] or ["  no changes"]
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "package_id": self.package_id, "from": self.a, "to": self.b,
            "properties": [c.to_json() for c in self.properties],
            "image_listing_known": self.image_listing_known,
            "registry_known": self.registry_known,
            "image_files": {k: self.image(k) for k in ("added", "removed", "changed")},
            "image_file_details": [c.to_json() for c in self.image_files],
            "registry": [c.to_json() for c in self.registry],
            "content_files": [c.to_json() for c in self.content_files],
        }


#: What the diff says of a revision's image files or registry values it does not know.
UNKNOWN = "unknown (built before listings were recorded)"


def show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, Mapping):
        named = {k: v for k, v in value.items() if k != CLASS_KEY}
        if "ID" in named:
            return f"driver {named['ID']}" + (f" ({named['SourcePath']})" if named.get("SourcePath") else "")
        return json.dumps(named, sort_keys=True)
    if isinstance(value, str):
        return repr(value) if value == "" or value != value.strip() else value
    return json.dumps(value) if isinstance(value, list | bool) else str(value)


def value_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[ValueChange, ...]:
    return tuple(ValueChange(k, old.get(k), new.get(k)) for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))


def listing_changes(old: ImageListing, new: ImageListing) -> tuple[FileChange, ...]:
    paths = sorted(set(old) | set(new), key=str.lower)
    return tuple(FileChange(p, _pair(old.get(p)), _pair(new.get(p))) for p in paths if _pair(old.get(p)) != _pair(new.get(p)))


def _pair(value: Sequence[Any] | None) -> tuple[int, str] | None:
    return None if value is None else (int(value[0]), str(value[1]))


def registry_map(values: Sequence[RegistryValue]) -> dict[str, Any]:
    return {f"{r.key}\\{r.name}": r.value for r in values}


def diff_manifests(a: Manifest, b: Manifest) -> RevisionDiff:
    # a build records both together: a revision without its listing was built before either was
    known = a.image_listing is not None and b.image_listing is not None
    image = listing_changes(a.image_listing or {}, b.image_listing or {}) if known else ()
    registry = value_changes(registry_map(a.registry), registry_map(b.registry)) if known else ()
    content = listing_changes({f.path: (f.size, f.sha256) for f in a.files}, {f.path: (f.size, f.sha256) for f in b.files})
    return RevisionDiff(
        b.package_id, a.version, b.version, value_changes(a.properties, b.properties), image, known, registry, content,
        registry_known=known,
    )
