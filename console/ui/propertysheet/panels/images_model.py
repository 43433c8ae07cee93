"""The images inside the package's source WIM (from its ImageProperty)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from console.core.sizes import size_in
from console.core.values import format_datetime
from console.ui.models.headed_table_model import HeadedTableModel, Index

#: Image sizes follow PackageSize's unit (KiloBytes); the Properties dialog's class is the
#: boot image class, whose PackageSize is in KB (``console.core.sizes``).
IMAGE_SIZE_UNITS = "KiloBytes"

#: Column header → attribute of ``console.core.images.ImageInfo``.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Index", "index"),
    ("Name", "name"),
    ("Architecture", "architecture"),
    ("OS version", "os_version"),
    ("Size (KB)", "total_bytes"),
)
#: Label → attribute, for the details of the selected image.
DETAILS: tuple[tuple[str, str], ...] = (
    ("Description", "description"),
    ("Edition", "edition_id"),
    ("Installation type", "installation_type"),
    ("Languages", "languages"),
    ("Files", "file_count"),
    ("Directories", "dir_count"),
    ("Created", "creation_time"),
    ("Modified", "modification_time"),
    ("Boot index", "is_boot_image"),
)


def boot_index_text(boot: int | None, info: Any) -> str:
    """``1 (this image)``, ``2 (image 2, not this one)`` or ``not set``: the WIM header's boot
    index, which says which image Windows boots from the file (not whether this one can boot)."""
    if boot is None:
        return "unknown (the image file could not be read)"
    if boot == 0:
        return "not set (no image of this file is marked bootable)"
    return f"{boot} (this image)" if boot == getattr(info, "index", None) else f"{boot} (image {boot}, not this one)"


def shown(info: Any, attribute: str) -> str:
    value = getattr(info, attribute, None)
    if value is None or value == "":
        return ""
    if attribute == "total_bytes":
        return size_in(IMAGE_SIZE_UNITS, int(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return format_datetime(value).replace("T", " ").replace("Z", " UTC")
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


class ImagesModel(HeadedTableModel):
    """Rows are ``ImageInfo``s; the one the package uses (``selected_index``) is bold."""

    headers = tuple(header for header, _attribute in COLUMNS)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selected_index = 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        info = self.row_at(index)
        if info is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(info, COLUMNS[index.column()][1])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(info)
        if role == Qt.ItemDataRole.FontRole and self.is_selected_image(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[index.column()][1] in ("index", "total_bytes"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def images(self) -> list[Any]:
        return list(self._rows)

    def set_images(self, images: Sequence[Any], selected_index: int) -> None:
        self.beginResetModel()
        self._rows = list(images)
        self._selected_index = selected_index
        self.endResetModel()

    def is_selected_image(self, row: int) -> bool:
        return getattr(self._rows[row], "index", None) == self._selected_index

    def row_of_selected(self) -> int | None:
        for row in range(len(self._rows)):
            if self.is_selected_image(row):
                return row
        return None

    @staticmethod
    def _tooltip(info: Any) -> str:
        lines = [f"{label}: {shown(info, attr)}" for label, attr in DETAILS if shown(info, attr) and attr != "is_boot_image"]
        return "\n".join(lines)
