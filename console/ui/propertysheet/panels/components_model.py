"""The optional components of a boot image, with what is pending and what is required."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from console.core.errors import ValidationError
from console.core.optional_components import OptionalComponentCatalog
from console.ui.models.headed_table_model import HeadedTableModel, Index

HEADERS = ("Component", "ID", "State", "Purpose")

ADDED = "Will be added"
REMOVED = "Will be removed"
REQUIRED = "Required"
ALWAYS = "Required (always added)"
INSTALLED = "Included"


@dataclass(frozen=True)
class ComponentRow:
    id: int
    name: str
    state: str
    purpose: str


def component_rows(catalog: OptionalComponentCatalog, architecture: str, current: Sequence[int],
                   original: Sequence[int]) -> list[ComponentRow]:
    """Current components in install order, then removed ones, then required ones not listed."""
    try:
        required = set(catalog.required_by_config_mgr(architecture))
    except ValidationError:
        required = set()
    rows: list[ComponentRow] = []

    def row(cid: int, state: str) -> ComponentRow:
        try:
            comp = catalog.by_id(cid)
        except KeyError:
            return ComponentRow(cid, f"Unknown component {cid}", state, "")
        return ComponentRow(cid, comp.name, state, comp.purpose)

    for cid in current:
        if cid in required:
            state = REQUIRED
        elif cid not in original:
            state = ADDED
        else:
            state = INSTALLED
        rows.append(row(cid, state))
    rows.extend(row(cid, REMOVED) for cid in original if cid not in current)
    rows.extend(row(cid, ALWAYS) for cid in sorted(required) if cid not in current)
    return rows


class ComponentsModel(HeadedTableModel):
    """Rows are ``ComponentRow``s."""

    headers = HEADERS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.name, str(row.id), row.state, row.purpose)[index.column()]
        if role == Qt.ItemDataRole.FontRole and row.state in (ADDED, REMOVED):
            font = QFont()
            font.setBold(row.state == ADDED)
            font.setStrikeOut(row.state == REMOVED)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.state == ALWAYS:
            return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def rows(self) -> list[ComponentRow]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[ComponentRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
