"""The drivers a boot image references, with what the driver catalog knows about them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from console.core.instance import Instance
from console.ui.models.headed_table_model import HeadedTableModel, Index

HEADERS = ("Name", "Version", "Class", "Provider", "ID")
NOT_IN_CATALOG = "(not in the driver catalog)"


class DriversModel(HeadedTableModel):
    """Rows are ``SMS_Driver_Details`` instances; ``details`` maps CI_ID to catalog drivers
    (``console.core.drivers.Driver``). Drivers added since the dialog opened are bold."""

    headers = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._details: dict[int, Any] = {}
        self._original: set[int] = set()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        reference: Instance | None = self.row_at(index)
        if reference is None:
            return None
        ci_id = int(reference.get("ID") or 0)
        driver = self._details.get(ci_id)
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 4:
                return str(ci_id)
            if driver is None:
                return NOT_IN_CATALOG if index.column() == 0 else ""
            return (driver.name, driver.version, driver.driver_class, driver.provider)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"CI_ID {ci_id}", f"Source: {reference.get('SourcePath') or ''}"]
            if driver is not None:
                lines.insert(0, f"{driver.name} ({driver.inf_file})")
                lines.append("Architectures: " + ", ".join(driver.architectures))
                lines.append("Signed" if driver.signed else "Not signed (no catalog file)")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.FontRole and ci_id not in self._original:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_details(self, details: Mapping[int, Any]) -> None:
        self._details = dict(details)
        self._all_rows_changed()

    def add_details(self, details: Mapping[int, Any]) -> None:
        self.set_details({**self._details, **details})

    def set_references(self, references: Sequence[Instance], original: Sequence[Instance]) -> None:
        self.beginResetModel()
        self._rows = list(references)
        self._original = {int(r.get("ID") or 0) for r in original}
        self.endResetModel()
