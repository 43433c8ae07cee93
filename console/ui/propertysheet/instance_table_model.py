"""Table model over an array of embedded instances (RefreshSchedule, ReferencedDrivers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from console.core.classdef import ClassRegistry, PropertyDef
from console.core.instance import Instance
from console.core.sheet_layout import class_title, humanize
from console.core.values import format_value
from console.ui.propertysheet.instance_text import describe_instance
from console.ui.propertysheet.roles import InstanceRole

Index = QModelIndex | QPersistentModelIndex


class InstanceTableModel(QAbstractTableModel):
    """Columns come from metadata: a class with subclasses (schedule tokens) shows one
    sentence per row (the concrete class in the tooltip); a plain class shows one column
    per property."""

    def __init__(self, registry: ClassRegistry, base_class: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._registry = registry
        self._polymorphic = bool(registry.subclasses(base_class))
        self._title = class_title(base_class)
        self._props: tuple[PropertyDef, ...] = (
            () if self._polymorphic else tuple(registry[base_class].properties.values())
        )
        self._rows: list[Instance] = []

    # -- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return 1 if self._polymorphic else len(self._props)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        instance = self._rows[index.row()]
        if role == InstanceRole:
            return instance
        if role == Qt.ItemDataRole.ToolTipRole and self._polymorphic:
            cls = self._registry.get(instance.class_name)
            return f"{instance.class_name}: {cls.description if cls else ''}".rstrip(": ")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if self._polymorphic:
                return describe_instance(instance, self._registry)
            prop = self._props[index.column()]
            return format_value(prop, instance.get(prop.name))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        if self._polymorphic:
            return self._title if section == 0 else None
        return humanize(self._props[section].name) if 0 <= section < len(self._props) else None

    # -- own -----------------------------------------------------------------------------------

    def instances(self) -> tuple[Instance, ...]:
        return tuple(self._rows)

    def set_instances(self, instances: Sequence[Instance]) -> None:
        self.beginResetModel()
        self._rows = list(instances)
        self.endResetModel()

    def append(self, instance: Instance) -> None:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(instance)
        self.endInsertRows()

    def replace(self, row: int, instance: Instance) -> None:
        self._rows[row] = instance
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def remove_rows(self, rows: Sequence[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
