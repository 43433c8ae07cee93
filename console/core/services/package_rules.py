"""Rules that span several properties of a boot image package (beyond single qualifiers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.core.classdef import ClassDef
from console.core.errors import DuplicateNameError, Problem, ValidationError
from console.core.input_locales import InputLocaleCatalog
from console.core.local_paths import unc_problem
from console.core.optional_components import OptionalComponentCatalog
from console.core.ports import UnitOfWork
from console.core.validation import background_file_problem, background_path_problem

SHARE_SPECIFIC = 2
STORAGE_DIRECT = 2
_FORBIDDEN_SHARE_CHARS = set('"/[]:|<>+=;,?*')


def blob_size_pairs(cls: ClassDef) -> dict[str, str]:
    """``UInt8[]`` properties that have a ``<Name>Size`` companion (Icon/IconSize, ...)."""
    pairs = {}
    for prop in cls.properties.values():
        if prop.is_array and prop.cim_type == "uint8" and not prop.is_embedded:
            size = cls.property(prop.name + "Size")
            if size is not None and size.cim_type == "uint32" and not size.is_array:
                pairs[prop.name] = size.name
    return pairs


def sync_blob_sizes(cls: ClassDef, changes: dict[str, Any], current: Mapping[str, Any]) -> None:
    """Keep ``XSize`` equal to ``len(X)``; ``XSize = 0`` clears the blob."""
    problems = []
    for blob, size in blob_size_pairs(cls).items():
        if blob in changes:
            data = changes[blob] or b""
            if size in changes and changes[size] != len(data):
                problems.append(
                    Problem(size, f"{size} must equal the length of {blob} ({len(data)} bytes); "
                            f"leave it out and it is kept in step automatically")
                )
            changes[size] = len(data)
            if not data:
                changes[blob] = None
        elif size in changes:
            if changes[size] == 0:
                changes[blob] = None
            elif changes[size] != len(current.get(blob) or b""):
                problems.append(
                    Problem(size, f"{size} can only be set to 0 (to clear {blob}); "
                            f"it follows the length of {blob} otherwise")
                )
    if problems:
        raise ValidationError(problems)


def duplicate_name_error(name: str, owner: str) -> DuplicateNameError:
    """The one message for a name in use: from the check before a write, or from the database's
    unique index when another console took the name in between."""
    return DuplicateNameError([Problem("Name", f"a boot image named {name!r} already exists ({owner}); choose another name")])


def check_package_rules(
    uow: UnitOfWork,
    catalog: OptionalComponentCatalog,
    merged: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    package_id: str | None,
    input_locales: InputLocaleCatalog | None = None,
) -> None:
    """Raise ValidationError listing every broken cross-property rule."""
    problems: list[Problem] = []
    if "InputLocale" in changes and input_locales is not None:
        try:
            input_locales.check(str(merged.get("InputLocale") or ""))
        except ValidationError as exc:
            problems.extend(exc.problems)
    if "BackgroundBitmapPath" in changes:
        problem = background_path_problem(str(merged.get("BackgroundBitmapPath") or ""))
        if problem:
            problems.append(Problem("BackgroundBitmapPath", problem))
    if "Name" in changes:
        name = (merged.get("Name") or "").strip()
        if not name:
            problems.append(Problem("Name", "Name is required and cannot be empty"))
        else:
            owner = uow.packages.name_in_use(name, excluding=package_id)
            if owner:
                raise duplicate_name_error(name, owner)
    if "ShareType" in changes or "ShareName" in changes:
        share = merged.get("ShareName") or ""
        if merged.get("ShareType") == SHARE_SPECIFIC and not share:
            problems.append(
                Problem("ShareName", "ShareName is required when ShareType is SHARE_SPECIFIC (custom package share)")
            )
        bad = sorted(set(share) & _FORBIDDEN_SHARE_CHARS)
        if bad:
            problems.append(Problem("ShareName", f"ShareName cannot contain {' '.join(bad)}"))
        parts = share.split("\\")
        if len(parts) > 2 or any(len(p) > 80 for p in parts):
            problems.append(
                Problem("ShareName", "ShareName is a share name with at most one sub-folder (Share\\Folder), each at most 80 characters")
            )
    touched = "RefreshSchedule" in changes or "PkgSourceFlag" in changes
    if touched and merged.get("RefreshSchedule") and merged.get("PkgSourceFlag") != STORAGE_DIRECT:
        problems.append(
            Problem("RefreshSchedule", "a refresh schedule needs PkgSourceFlag = 2 (STORAGE_DIRECT): content is refreshed directly from the source")
        )
    if "OptionalComponents" in changes:
        ids = list(merged.get("OptionalComponents") or ())
        if ids:
            try:
                catalog.check_ids(ids, merged.get("Architecture") or "")
            except ValidationError as exc:
                problems.extend(exc.problems)
            else:
                for message in catalog.missing_prerequisites(ids, merged.get("Architecture") or ""):
                    problems.append(
                        Problem("OptionalComponents", f"{message}; add the prerequisites too "
                                "(update_optional_components / --add-optional-component adds them for you)")
                    )
            if len(set(ids)) != len(ids):
                problems.append(Problem("OptionalComponents", "OptionalComponents lists a component twice"))
    if "ReferencedDrivers" in changes:
        seen: set[int] = set()
        for driver in merged.get("ReferencedDrivers") or ():
            ident = driver.values.get("ID")
            if ident in seen:
                problems.append(Problem("ReferencedDrivers", f"driver {ident} is referenced twice"))
            seen.add(ident)
            if not (driver.values.get("SourcePath") or "").strip():
                problems.append(Problem("ReferencedDrivers", f"driver {ident} needs a SourcePath"))
    if problems:
        raise ValidationError(problems)


#: Paths the worker reads later (``example`` for the message): a UNC path is refused off Windows.
_SOURCE_PATHS = {"ImagePath": "boot.wim", "PreExecSourceDirectory": "prestart"}


def check_files(changes: Mapping[str, Any]) -> None:
    """Checks of files as this machine sees them (outside any transaction): source paths it can
    open (no UNC path off Windows) and the background image's header."""
    for name, example in _SOURCE_PATHS.items():
        problem = unc_problem(str(changes.get(name) or ""), example=example)
        if problem:
            raise ValidationError.single(name, f"{name}: {problem}")
    if "BackgroundBitmapPath" in changes:
        problem = background_file_problem(str(changes.get("BackgroundBitmapPath") or ""))
        if problem:
            raise ValidationError.single("BackgroundBitmapPath", problem)
