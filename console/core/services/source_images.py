"""The package's source image: GetImageProperties, ReloadImageProperties, import from a WIM.

Mixed into ``BootImagePackages``. The WIM itself is read by the ``ImageReader`` the
composition root puts into ``ServiceContext.images`` (``console.wim.reader.WimReader``).
Nothing is written when the file cannot be read, the index is not in it, or the image
is not a usable boot image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from console.core.changes import Changes, Result
from console.core.classdef import ClassDef
from console.core.errors import ConsoleError, Problem, ValidationError
from console.core.image_facts import ImageFacts
from console.core.images import ImageInfo, ImageReader, WimInfo
from console.core.instance import Instance
from console.core.local_paths import unc_problem
from console.core.ports import PackageRecord, UnitOfWork
from console.core.services.object_locks import refuse_if_locked
from console.core.servicing import SourceFingerprint
from console.core.wim_errors import ImageIndexError, UnsupportedImageError, WimError

if TYPE_CHECKING:
    from console.core.services.context import ServiceContext

#: The properties a package takes from its source image (never typed in by a user).
IMAGE_PROPERTIES = ("Architecture", "ImageOSVersion", "Language", "ImageProperty", "PackageSize")


class _Packages(Protocol):
    _ctx: ServiceContext

    @property
    def cls(self) -> ClassDef: ...
    def create(self, *, name: str, image_path: str, image_index: int = 1, version: str = "",
               description: str = "", image: ImageFacts | None = None,
               properties: Mapping[str, Any] | None = None, folder_id: int | None = None) -> Result[Instance]: ...
    def get(self, package_id: str, *, lazy: bool = False) -> Instance: ...
    def _record_or_fail(self, uow: UnitOfWork, package_id: str, *, lazy: bool) -> PackageRecord: ...
    def _check_owner(self, record: PackageRecord, local: str) -> None: ...
    def _check_version(self, record: PackageRecord, expected: str) -> None: ...
    def _write(self, uow: UnitOfWork, record: PackageRecord, changed: Mapping[str, Any], expected: str) -> str: ...


def _readable(path: str) -> str:
    """``path``, unless it is a UNC path this machine cannot open (ValidationError says so)."""
    problem = unc_problem(path, example="boot.wim")
    if problem:
        raise ValidationError.single("ImagePath", problem)
    return path


def _reader(ctx: ServiceContext) -> ImageReader:
    if ctx.images is None:
        raise ConsoleError("this console was started without a WIM reader, so image files cannot be read")
    return ctx.images


def choose_image(info: WimInfo, index: int) -> ImageInfo:
    """The image at ``index`` or ImageIndexError naming what the file holds."""
    image = info.image(index)
    if image is None:
        names = ", ".join(f"{i.index} {i.name or '(unnamed)'}" for i in info.images) or "no images"
        raise ImageIndexError.single(
            "ImageIndex", f"{info.path} holds {info.image_count} image(s) ({names}); there is no image {index}"
        )
    return image


def image_problems(info: WimInfo, image: ImageInfo) -> list[str]:
    problems = image.problems()
    if info.is_split:
        problems.append(
            f"{info.path} is part {info.part_number} of a {info.total_parts}-part split WIM; a boot image must be "
            "one .wim file (join the parts with `wimlib-imagex join`)"
        )
    return problems


def fingerprint_of(info: WimInfo) -> SourceFingerprint:
    """The file as it was just read: its size and WIM GUID (from the reader) and its
    modification time (None when the file can no longer be looked at)."""
    try:
        mtime: float | None = os.stat(info.path).st_mtime
    except OSError:
        mtime = None
    return SourceFingerprint(size=info.file_size, mtime=mtime, guid=info.guid)


def facts_from(ctx: ServiceContext, cls: ClassDef, info: WimInfo, image: ImageInfo) -> ImageFacts:
    facts = ImageFacts(
        architecture=image.architecture, os_version=image.os_version, language=image.default_language,
        image_property=info.xml, size_kb=image.size_kb, image_name=image.name, is_windows_pe=image.is_windows_pe,
        source=fingerprint_of(info),
    )
    try:
        ctx.validator.prepare_changes(cls, facts.as_properties(), allow_read_only=True)
    except ValidationError as exc:
        raise ValidationError(
            [Problem(p.property, f"{info.path} image {image.index}: {p.message}") for p in exc.problems]
        ) from None
    return facts


def default_name(cls: ClassDef, image: ImageInfo) -> str:
    """The image's name as the package name, cut to Name's size limit."""
    text = image.name or f"Boot image ({image.architecture_text})"
    prop = cls.property("Name")
    limit = prop.size_limit if prop is not None else None
    return text[: limit[1]].rstrip() if limit else text


def describe_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """``Architecture: x86 -> x64`` per changed property (ImageProperty by size)."""
    lines = []
    for name in IMAGE_PROPERTIES:
        before, after = old.get(name), new[name]
        if before == after:
            continue
        if name == "ImageProperty":
            lines.append(f"ImageProperty: XML metadata updated ({len(before or '')} -> {len(after)} characters)")
        else:
            unit = " KB" if name == "PackageSize" else ""
            lines.append(f"{name}: {before or '(empty)'}{unit if before else ''} -> {after or '(empty)'}{unit if after else ''}")
    return lines


class SourceImageMethods:
    """GetImageProperties, ReloadImageProperties and Add Boot Image from a WIM file."""

    def get_image_properties(self: _Packages, source_image_path: str) -> WimInfo:
        """GetImageProperties(SourceImagePath): header + XML metadata of a WIM.
        ``.image_property`` is the XML (the ImageProperty string), ``.images`` the parsed images."""
        return _reader(self._ctx).read(_readable(source_image_path))

    def image_list(self: _Packages, package: Instance | str) -> list[ImageInfo]:
        """The images recorded in a package's ImageProperty (no file access; for the GUI)."""
        if isinstance(package, str) or "ImageProperty" not in package:
            package = self.get(package if isinstance(package, str) else package["PackageID"], lazy=True)
        text = package.get("ImageProperty") or ""
        if not text.strip():
            return []
        source = f"ImageProperty of {package['PackageID']}"
        return _reader(self._ctx).parse_image_xml(text, source=source)

    def package_image(self: _Packages, package: Instance | str) -> ImageInfo | None:
        """The package's chosen image (ImageIndex) as recorded in its ImageProperty."""
        if isinstance(package, str) or "ImageIndex" not in package:
            package = self.get(package if isinstance(package, str) else package["PackageID"], lazy=True)
        index = package.get("ImageIndex") or 1
        return next((i for i in SourceImageMethods.image_list(self, package) if i.index == index), None)

    def source_fingerprint(self: _Packages, package_id: str) -> SourceFingerprint:
        """What the package's source WIM looked like when its image facts were last read (at
        import, a new ImagePath/ImageIndex or a reload); unknown (all None) for packages whose
        image was never read since fingerprints are recorded. Not a class property."""
        with self._ctx.uow() as uow:
            pid = self._record_or_fail(uow, package_id, lazy=False).values["PackageID"]
            return uow.packages.source_fingerprint(pid) or SourceFingerprint()

    def create_from_wim(
        self: _Packages,
        path: str,
        index: int,
        name: str = "",
        version: str = "",
        description: str = "",
        folder_id: int | None = None,
        *,
        allow_unsupported: bool = False,
        properties: Mapping[str, Any] | None = None,
    ) -> Result[Instance]:
        """Add Boot Image (New-CMBootImage): read the WIM, check the index and that the image
        is a Windows PE image of a boot image architecture, then create the package with
        the image's facts. ``name`` defaults to the image's name. An unsupported image is
        refused unless ``allow_unsupported``; then it is imported and the result's
        ``changes.notes`` carry the warnings."""
        info = _reader(self._ctx).read(_readable(path))
        image = choose_image(info, index)
        problems = image_problems(info, image)
        if problems and not allow_unsupported:
            raise UnsupportedImageError(
                [Problem("ImageIndex", f"{p}; ConfigMgr cannot use it as a boot image "
                         "(import it anyway with allow_unsupported / --allow-unsupported)") for p in problems]
            )
        facts = facts_from(self._ctx, self.cls, info, image)
        full_path = os.path.abspath(path)
        result = self.create(
            name=name or default_name(self.cls, image), image_path=full_path, image_index=index, version=version, description=description,
            image=facts, properties=properties, folder_id=folder_id,
        )
        notes = tuple(f"warning: {p}" for p in problems) + tuple(f"warning: {w}" for w in info.warnings)
        if notes:
            pid = result.value["PackageID"]
            with self._ctx.uow(write=True) as uow:
                site = self._ctx.local_site(uow)
                uow.status.add(time=self._ctx.clock(), severity="warning", kind="image", package_id=pid,
                               text=f"Imported {full_path} index {index} with warnings: " + "; ".join(notes),
                               user=self._ctx.user, site_code=site.code)
                uow.commit()
        return Result(result.value, result.changes | Changes(notes=notes))

    def reload_image_properties(self: _Packages, package_id: str, *, expected_version: str | None = None) -> Result[Instance]:
        """ReloadImageProperties(): re-read ImagePath and update the image properties.
        The status message and ``changes.notes`` say what changed (``old -> new``). The WIM is
        read before the write lock is taken; the save re-checks the version."""
        for _attempt in range(MAX_IMAGE_READS):
            with self._ctx.uow() as uow:
                site = self._ctx.local_site(uow)
                record = self._record_or_fail(uow, package_id, lazy=True)
            pid = record.values["PackageID"]
            self._check_owner(record, site.code)
            if expected_version:
                self._check_version(record, expected_version)
            path = record.values.get("ImagePath") or ""
            index = record.values.get("ImageIndex") or 1
            if not path:
                raise ValidationError.single("ImagePath", f"{pid} has no ImagePath to reload from; set one first")
            info, image, facts = _read_for_reload(self, pid, path, index)  # file I/O, no lock held
            new = facts.as_properties()
            with self._ctx.uow(write=True) as uow:
                site = self._ctx.local_site(uow)
                fresh = self._record_or_fail(uow, pid, lazy=True)
                self._check_owner(fresh, site.code)
                refuse_if_locked(self._ctx, uow, pid)
                version = expected_version or fresh.values["SedoObjectVersion"]
                self._check_version(fresh, version)
                if (fresh.values.get("ImagePath") or "", fresh.values.get("ImageIndex") or 1) != (path, index):
                    continue  # another console pointed the package at another image meanwhile: read again
                check_components_fit(self._ctx, fresh.values, str(new["Architecture"]))
                lines = describe_changes(fresh.values, new)
                changed = {k: v for k, v in new.items() if fresh.values.get(k) != v}
                if changed:
                    self._write(uow, fresh, changed, version)
                uow.packages.set_source_fingerprint(pid, facts.source)  # the file as it is now, even unchanged
                warnings = [f"warning: {p}" for p in image_problems(info, image)]
                text = f"Image properties reloaded from {path} index {index}: " + ("; ".join(lines) or "no changes")
                uow.status.add(time=self._ctx.clock(), severity="warning" if warnings else "information", kind="image",
                               package_id=pid, text=text, user=self._ctx.user, site_code=site.code)
                uow.commit()
            updated = frozenset({pid}) if changed else frozenset()
            notes = tuple(lines or ["no changes"]) + tuple(warnings)
            return Result(self.get(pid, lazy=True), Changes(updated=updated, status_messages=True, notes=notes))
        raise ConsoleError(f"{package_id}: its source image was changed by another console {MAX_IMAGE_READS} times "
                           "while it was being read; nothing was changed. Try again")

    def _read_new_image(self: _Packages, package_id: str, prepared: Mapping[str, Any]) -> ImageRead | None:
        """For a change of ImagePath or ImageIndex: the new image's facts, read before the
        write lock is taken (or the change is refused)."""
        if "ImagePath" not in prepared and "ImageIndex" not in prepared:
            return None
        with self._ctx.uow() as uow:
            current = self._record_or_fail(uow, package_id, lazy=True).values  # ImageIndex is lazy
        key = image_key(current, prepared)
        if key == (current.get("ImagePath") or "", current.get("ImageIndex") or 1):
            return ImageRead(key, None)
        path, index = key
        if not path:
            raise ValidationError.single("ImagePath", "ImagePath cannot be emptied: a boot image needs its source WIM")
        info = _reader(self._ctx).read(_readable(path))
        image = choose_image(info, index)
        problems = image_problems(info, image)
        if problems:
            raise UnsupportedImageError(
                [Problem("ImageIndex", f"{p}; ConfigMgr cannot use it as a boot image") for p in problems]
            )
        facts = facts_from(self._ctx, self.cls, info, image)
        return ImageRead(key, facts.as_properties(), facts.source)


MAX_IMAGE_READS = 3


class ImageMoved(Exception):
    """The package's ImagePath/ImageIndex changed between reading the image and saving."""


@dataclass(frozen=True)
class ImageRead:
    key: tuple[str, int]  # (ImagePath, ImageIndex) that was read
    facts: dict[str, Any] | None  # None: it was the package's own image, nothing read
    source: SourceFingerprint | None = None  # the file as it was read (with ``facts``)


def image_key(current: Mapping[str, Any], prepared: Mapping[str, Any]) -> tuple[str, int]:
    """The (ImagePath, ImageIndex) the package has after ``prepared`` is applied to ``current``."""
    return (str(prepared.get("ImagePath", current.get("ImagePath")) or ""),
            int(prepared.get("ImageIndex", current.get("ImageIndex")) or 1))


def image_facts_for(image: ImageRead | None, current: Mapping[str, Any], prepared: Mapping[str, Any]) -> dict[str, Any]:
    """The image properties to save with ``prepared`` on the stored ``current`` (inside the
    write transaction): those read for the new image, nothing if the image stays the same."""
    if image is None:
        return {}
    key = image_key(current, prepared)
    if key == (current.get("ImagePath") or "", current.get("ImageIndex") or 1):
        return {}
    if image.key != key or image.facts is None:
        raise ImageMoved
    return image.facts


def _read_for_reload(packages: _Packages, pid: str, path: str, index: int) -> tuple[WimInfo, ImageInfo, ImageFacts]:
    try:
        info = _reader(packages._ctx).read(_readable(path))
    except WimError as exc:
        raise type(exc)(exc.path, f"{exc.reason} (source image of {pid}; nothing was changed)") from None
    if index > info.image_count:
        raise ImageIndexError.single(
            "ImageIndex", f"{path} now holds {info.image_count} image(s), fewer than {pid}'s ImageIndex "
            f"{index}; nothing was changed (choose another image: set ImageIndex)"
        )
    image = choose_image(info, index)
    return info, image, facts_from(packages._ctx, packages.cls, info, image)


def check_components_fit(ctx: ServiceContext, values: Mapping[str, Any], architecture: str) -> None:
    """Optional component ids are per architecture: refuse an image of another one."""
    ids = list(values.get("OptionalComponents") or ())
    old = values.get("Architecture") or ""
    if ids and architecture != old:
        names = ", ".join(ctx.catalog.by_id(i).name for i in ids)
        raise ValidationError.single(
            "OptionalComponents", f"{values['PackageID']} has {old} optional components ({names}) but the image "
            f"is {architecture or 'of unknown architecture'}; nothing was changed: remove the optional components "
            "first or choose an image of the same architecture"
        )
