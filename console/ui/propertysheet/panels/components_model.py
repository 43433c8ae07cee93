"""The optional components of a boot image, with what is pending and what is required."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from console.core.optional_components import (
    CHOSEN,
    SITE_REQUIRED,
    OptionalComponentCatalog,
    component_groups,
    component_name,
)
from console.ui.models.headed_table_model import HeadedTableModel, Index

HEADERS = ("Component", "ID", "Included as", "Purpose")

ADDED = "Will be added"
REMOVED = "Will be removed"


@dataclass(frozen=True)
class ComponentRow:
    id: int
    name: str
    state: str
    purpose: str
    group: str = CHOSEN


def component_rows(catalog: OptionalComponentCatalog, architecture: str, current: Sequence[int],
                   original: Sequence[int]) -> list[ComponentRow]:
    """The three groups of ``component_groups`` (chosen, prerequisites, required by the site),
    then the components the pending change removes."""
    groups = component_groups(catalog, current, architecture)
    rows: list[ComponentRow] = []

    def row(cid: int, state: str, group: str) -> ComponentRow:
        try:
            comp = catalog.by_id(cid)
        except KeyError:
            return ComponentRow(cid, component_name(catalog, cid), state, "", group)
        return ComponentRow(cid, comp.name, state, comp.purpose, group)

    for cid in groups.all_ids():
        label, group = groups.label(cid), groups.group_of(cid)
        pending = group != SITE_REQUIRED and cid not in original
        rows.append(row(cid, f"{ADDED} ({label.lower()})" if pending else label, group))
    site = set(groups.site_required)
    rows.extend(row(cid, REMOVED, CHOSEN) for cid in original if cid not in current and cid not in site)
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
        if role == Qt.ItemDataRole.FontRole and (row.state.startswith(ADDED) or row.state == REMOVED):
            font = QFont()
            font.setBold(row.state.startswith(ADDED))
            font.setStrikeOut(row.state == REMOVED)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.group == SITE_REQUIRED:
            return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def rows(self) -> list[ComponentRow]:
        return list(self._rows)

    def set_rows(self, rows: Sequence[ComponentRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()
