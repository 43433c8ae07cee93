"""Every property of a class: name, type, qualifiers and value (the All Properties tab)."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from console.core.classdef import ClassRegistry, PropertyDef
from console.core.instance import Instance
from console.core.values import format_value
from console.ui.models.headed_table_model import HeadedTableModel, Index
from console.ui.propertysheet.editor_base import read_only_reason, tooltip_for
from console.ui.propertysheet.editor_factory import is_inline
from console.ui.propertysheet.instance_text import describe_instance
from console.ui.propertysheet.roles import InlineEditRole, PropertyRole
from console.ui.propertysheet.sheet_values import SheetValues

HEADERS = ("Name", "Type", "Qualifiers", "Value")
NAME, TYPE, QUALIFIERS, VALUE = range(4)
NOT_LOADED = "(not loaded)"


def qualifiers_text(prop: PropertyDef) -> str:
    """The qualifier summary without ``read, write`` (implied by a writable row)."""
    parts = [p.strip() for p in prop.qualifier_summary().split(", ") if p.strip()]
    if not prop.is_read_only:
        parts = [p for p in parts if p not in ("read", "write")]
    return ", ".join(parts)


class AllPropertiesModel(HeadedTableModel):
    """Adapter over ``SheetValues``: edits go to the shared values, so every tab agrees.
    Rows are the ``PropertyDef``s of the class."""

    headers = HEADERS

    def __init__(self, values: SheetValues, registry: ClassRegistry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._values = values
        self._registry = registry
        self._rows: list[PropertyDef] = list(values.cls.properties.values())
        self._row_by_name = {prop.name: row for row, prop in enumerate(self._rows)}
        self._problems: dict[str, list[str]] = {}
        values.value_changed.connect(self._value_changed)
        values.reset.connect(self._all_rows_changed)

    # -- Qt --------------------------------------------------------------------------------

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == VALUE and self._inline(self._rows[index.row()]):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        prop: PropertyDef | None = self.row_at(index)
        if prop is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(prop, column)
        if role == Qt.ItemDataRole.EditRole:
            return self._values.get(prop.name) if column == VALUE else self._display(prop, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(prop, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._problems.get(prop.name):
                return QColor(Qt.GlobalColor.red)
            if prop.is_read_only or not self._values.is_loaded(prop.name):
                return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            return None
        if role == Qt.ItemDataRole.FontRole and column == VALUE and self._values.is_modified(prop.name):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and column == NAME and self._problems.get(prop.name):
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole and column == NAME:
            return prop.description
        if role == PropertyRole:
            return prop
        if role == InlineEditRole:
            return self._inline(prop)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != VALUE:
            return False
        prop = self._rows[index.row()]
        if prop.is_read_only or not self._values.is_loaded(prop.name):
            return False
        self._values.set(prop.name, value)
        return True

    # -- own -------------------------------------------------------------------------------

    def row_of(self, name: str) -> int:
        return self._row_by_name[name]

    def set_problems(self, problems: Mapping[str, Sequence[str]]) -> None:
        self._problems = {name: list(messages) for name, messages in problems.items() if messages}
        self._all_rows_changed()

    def _inline(self, prop: PropertyDef) -> bool:
        return (not prop.is_read_only and self._values.is_loaded(prop.name)
                and is_inline(prop, self._values.get(prop.name)))

    def _display(self, prop: PropertyDef, column: int) -> str:
        if column == NAME:
            return prop.name
        if column == TYPE:
            return prop.display_type
        if column == QUALIFIERS:
            return qualifiers_text(prop)
        if not self._values.is_loaded(prop.name):
            return NOT_LOADED
        value = self._values.get(prop.name)
        if prop.is_embedded and value:
            texts = [describe_instance(item, self._registry) for item in value if isinstance(item, Instance)]
            return f"{len(texts)}: " + "; ".join(texts)
        text = format_value(prop, value)
        return text.replace("\n", " ⏎ ") if len(text) < 400 else text[:400].replace("\n", " ⏎ ") + " …"

    def _tooltip(self, prop: PropertyDef, column: int) -> str:
        reason = read_only_reason(prop) if prop.is_read_only else ""
        text = tooltip_for(prop, reason)
        problems = self._problems.get(prop.name)
        if problems:
            text += "".join(f"<p style='color:red'>{html.escape(message, quote=False)}</p>" for message in problems)
        return text

    def _value_changed(self, name: str) -> None:
        row = self._row_by_name.get(name)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))
