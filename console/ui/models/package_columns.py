"""Columns of the Boot Images list: header, backing property and how a value is shown."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from console.core.classdef import ClassDef
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
    value = package.get(column.property)
    if value is None:
        return ""
    if column.property == "PackageSize":
        return f"{value:,}"
    if column.property == "ScratchSpace":
        return f"{value} MB"
    if column.property == "SourceDate":
        return format_datetime(value).replace("T", " ")[:16]
    if column.property == "Description":
        return " ".join(str(value).split())
    if column.property == "Architecture":
        return str(value)
    return format_value(cls.properties[column.property], value)
