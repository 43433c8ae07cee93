"""Sizes shown in the unit the class metadata gives (``Units`` qualifier), formatted one way.

Decision: image and package sizes are shown in PackageSize's unit (KiloBytes: ``Size (KB)``),
rounded up so that a non-empty image never shows 0, with thousands separators."""

from __future__ import annotations

from console.core.classdef import ClassDef

UNIT_BYTES = {"Bytes": 1, "KiloBytes": 1024, "MegaBytes": 1024 * 1024}
UNIT_LABELS = {"Bytes": "bytes", "KiloBytes": "KB", "MegaBytes": "MB"}
#: The property whose unit image sizes follow.
SIZE_PROPERTY = "PackageSize"


def size_units(cls: ClassDef, prop: str = SIZE_PROPERTY) -> str:
    definition = cls.property(prop)
    return (definition.units if definition is not None else "") or "KiloBytes"


def size_in(units: str, n_bytes: int | None) -> str:
    """``12,345`` (no unit: the column header carries it)."""
    divisor = UNIT_BYTES.get(units, 1024)
    return f"{-(-int(n_bytes or 0) // divisor):,}"


def size_header(units: str) -> str:
    return f"Size ({UNIT_LABELS.get(units, units)})"


def human_bytes(n_bytes: int | None, *, unknown: str = "") -> str:
    """A byte count in the largest fitting unit: ``512 bytes``, ``1.5 KB``, ``3.2 GB`` (free
    space, transfers, revisions); ``unknown`` when there is no figure."""
    if n_bytes is None:
        return unknown
    value = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024:
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} TB"
