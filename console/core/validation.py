"""Validation of property values against the class metadata.

Each rule comes from a qualifier (``ValueMap``, ``bits``/``BitMap``, ``SizeLimit``,
``Range``, ``max``, ``not_null``, ``read``/``write``, ``key``); nothing here knows
a property by name.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from typing import Any

from console.core.classdef import ClassDef, ClassRegistry, PropertyDef
from console.core.errors import (
    Problem,
    ReadOnlyPropertyError,
    UnknownPropertyError,
    ValidationError,
)
from console.core.instance import Instance
from console.core.values import ValueCoercer, describe_choices

UNIT_NAMES = {"MegaBytes": "MB", "KiloBytes": "KB", "Bytes": "bytes", "Minutes": "minutes"}


class Validator:
    def __init__(self, registry: ClassRegistry) -> None:
        self.registry = registry
        self.coercer = ValueCoercer(registry)

    def resolve(self, cls: ClassDef, name: str) -> PropertyDef:
        prop = cls.property(name)
        if prop is None:
            close = difflib.get_close_matches(name, list(cls.properties), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownPropertyError(
                [Problem(name, f"{cls.name} has no property {name!r}{hint}")]
            )
        return prop

    def check_writable(self, cls: ClassDef, prop: PropertyDef) -> None:
        if prop.is_read_only:
            what = "the key" if prop.is_key else "read-only"
            raise ReadOnlyPropertyError(
                [
                    Problem(
                        prop.name,
                        f"{prop.name} is {what} on {cls.name} and cannot be set. {prop.description}".strip(),
                    )
                ]
            )

    def prepare_changes(
        self, cls: ClassDef, changes: Mapping[str, Any], *, allow_read_only: bool = False
    ) -> dict[str, Any]:
        """Coerce and check every change; report all problems at once."""
        problems: list[Problem] = []
        result: dict[str, Any] = {}
        read_only: list[Problem] = []
        unknown: list[Problem] = []
        for name, raw in changes.items():
            try:
                prop = self.resolve(cls, name)
                if not allow_read_only:
                    self.check_writable(cls, prop)
                value = trimmed(prop, self.coercer.coerce(prop, raw))
                self.check_value(prop, value)
                result[prop.name] = value
            except ReadOnlyPropertyError as exc:
                read_only.extend(exc.problems)
            except UnknownPropertyError as exc:
                unknown.extend(exc.problems)
            except ValidationError as exc:
                problems.extend(exc.problems)
        if unknown:
            raise UnknownPropertyError(unknown + read_only + problems)
        if read_only:
            raise ReadOnlyPropertyError(read_only + problems)
        if problems:
            raise ValidationError(problems)
        return result

    def check_value(self, prop: PropertyDef, value: Any) -> None:
        """Raise ValidationError if a canonical value breaks a qualifier rule."""
        if value is None:
            if prop.not_null:
                raise ValidationError.single(prop.name, f"{prop.name} is required")
            return
        if prop.is_array:
            limit = prop.max_items
            count = len(value)
            if limit is not None and count > limit:
                raise ValidationError.single(
                    prop.name,
                    f"{prop.name} holds at most {limit} items; got {count}",
                )
            if isinstance(value, bytes):
                return
            for index, item in enumerate(value):
                self._check_scalar(prop, item, f"{prop.name}[{index}]")
            return
        self._check_scalar(prop, value, prop.name)

    def _check_scalar(self, prop: PropertyDef, value: Any, where: str) -> None:
        if isinstance(value, Instance):
            self._check_instance(prop, value, where)
            return
        choices = prop.choices
        if choices and str(value) not in {c.value for c in choices}:
            unit = f" ({UNIT_NAMES.get(prop.units, prop.units)})" if prop.units else ""
            raise ValidationError.single(
                prop.name,
                f"{where} must be one of {describe_choices(prop)}{unit}; got {_shown(value)}",
            )
        if prop.is_bits and isinstance(value, int):
            known = 0
            for flag in prop.bit_flags:
                known |= flag.mask
            unknown = value & ~known
            if unknown:
                names = ", ".join(f"{f.name} (0x{f.mask:08X})" for f in prop.bit_flags)
                raise ValidationError.single(
                    prop.name,
                    f"{where} sets undocumented bits 0x{unknown:08X}; documented flags: {names}",
                )
        limits = prop.value_range
        if limits and isinstance(value, int) and not limits[0] <= value <= limits[1]:
            raise ValidationError.single(
                prop.name, f"{where} must be between {limits[0]} and {limits[1]}; got {value}"
            )
        size = prop.size_limit
        if size and isinstance(value, str):
            low, high = size
            if low == high and len(value) != low and value:
                raise ValidationError.single(
                    prop.name, f"{where} must be exactly {low} characters; got {len(value)}"
                )
            if len(value) > high:
                raise ValidationError.single(
                    prop.name, f"{where} is limited to {high} characters; got {len(value)}"
                )
            if len(value) < low and low != high:
                if low == 1:
                    raise ValidationError.single(prop.name, f"{where} is required and cannot be empty")
                raise ValidationError.single(
                    prop.name, f"{where} needs at least {low} characters; got {len(value)}"
                )

    def _check_instance(self, prop: PropertyDef, value: Instance, where: str) -> None:
        cls = self.registry[value.class_name]
        problems: list[Problem] = []
        for name, sub in cls.properties.items():
            try:
                self.check_value(sub, value.values.get(name))
            except ValidationError as exc:
                problems.extend(Problem(prop.name, f"{where}.{p.message}") for p in exc.problems)
        if problems:
            raise ValidationError(problems)


def trimmed(prop: PropertyDef, value: Any) -> Any:
    """Text with a ``SizeLimit`` (names, versions, comments, paths) loses surrounding
    whitespace before it is checked and stored, from the GUI and the CLI alike."""
    if isinstance(value, str) and prop.size_limit and not prop.is_array:
        return value.strip()
    return value


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


#: Decision: the Windows PE background is a UNC path (\\server\share\bg.jpg, as Configuration
#: Manager needs) or an absolute path on the machine that builds the image (/srv/bg.jpg, C:\bg.jpg);
#: a BMP or JPEG file, checked by its header when the console can reach it.
BACKGROUND_EXTENSIONS = (".bmp", ".jpg", ".jpeg")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def background_path_problem(path: str) -> str | None:
    """What is wrong with a BackgroundBitmapPath (its form only; no file access)."""
    if not path:
        return None
    is_unc = path.startswith("\\\\") and len([p for p in path[2:].split("\\") if p]) >= 3
    is_absolute = path.startswith("/") or bool(_WINDOWS_ABSOLUTE.match(path))
    if not (is_unc or is_absolute):
        return (f"BackgroundBitmapPath {path!r} must be a UNC path (\\\\server\\share\\background.jpg) "
                "or an absolute path on this machine")
    if not path.lower().endswith(BACKGROUND_EXTENSIONS):
        return f"BackgroundBitmapPath {path!r} must name a .bmp, .jpg or .jpeg file"
    return None


def background_file_problem(path: str) -> str | None:
    """When the file is reachable from here: is it really a BMP or a JPEG (by its header)?"""
    if not path or background_path_problem(path) or not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            header = handle.read(3)
    except OSError as exc:
        return f"BackgroundBitmapPath {path!r} cannot be read: {exc.strerror or exc}"
    if header[:2] == b"BM" or header == b"\xff\xd8\xff":
        return None
    return f"BackgroundBitmapPath {path!r} is not a BMP or JPEG image (its first bytes say otherwise)"
