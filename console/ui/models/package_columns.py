"""Columns of the Boot Images list: header, backing property and how a value is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt

from console.core.classdef import ClassDef, PropertyDef
from console.core.instance import Instance
from console.core.values import format_datetime, format_value


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    property: str
    numeric: bool = False
    visible_by_default: bool = True

    def alignment(self) -> Qt.AlignmentFlag:
        if self.numeric:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


COLUMNS: tuple[Column, ...] = (
    Column("name", "Name", "Name"),
    Column("id", "Image ID", "PackageID"),
    Column("version", "Version", "Version"),
    Column("arch", "Architecture", "Architecture"),
    Column("os", "OS Version", "ImageOSVersion"),
    Column("language", "Language", "Language"),
    Column("size", "Size (KB)", "PackageSize", numeric=True),
    Column("scratch", "Scratch Space", "ScratchSpace", numeric=True),
    Column("source_version", "Source Version", "SourceVersion", numeric=True),
    Column("last_update", "Last Update", "SourceDate"),
    Column("comment", "Comment", "Description"),
    Column("default", "Default Image", "DefaultImage", visible_by_default=False),
)

#: Lazy properties the list needs (loaded for the visible page only).
LIST_LAZY_PROPERTIES = ("ScratchSpace",)


def cell_text(cls: ClassDef, column: Column, package: Instance) -> str:
    return property_text(cls.properties[column.property], package.get(column.property), in_list=True)


def property_text(prop: PropertyDef, value: Any, *, in_list: bool = False) -> str:
    """A package property as the list (``in_list``: one line, time to the minute) and the
    details pane show it."""
    if value is None:
        return ""
    if prop.name == "PackageSize":
        return f"{value:,}"
    if prop.name == "ScratchSpace":
        return f"{value} MB"
    if prop.name == "Architecture":
        return str(value)
    if in_list and prop.name == "SourceDate":
        return format_datetime(value).replace("T", " ")[:16]
    if in_list and prop.name == "Description":
        return " ".join(str(value).split())
    return format_value(prop, value)
