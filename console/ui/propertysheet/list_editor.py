"""Arrays of scalars (String[], UInt32[] without a ValueMap): a list with Add/Remove/Move."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.core.classdef import PropertyDef
from console.core.errors import ValidationError
from console.core.values import ValueCoercer
from console.ui.propertysheet.editor_base import EditorMixin


class ListEditor(EditorMixin, QWidget):
    """Items are edited in place (F2 or double-click); ``max(n)`` limits how many."""

    def __init__(self, prop: PropertyDef, coercer: ValueCoercer, parent: QWidget | None = None, *,
                 label: str = "", read_only: str = "") -> None:
        super().__init__(parent)
        self._coercer = coercer
        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.list.itemChanged.connect(self.emit_changed)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton("Add", self)
        self.remove_button = QPushButton("Remove", self)
        self.up_button = QPushButton("Move Up", self)
        self.down_button = QPushButton("Move Down", self)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        buttons = QVBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        self.setFocusProxy(self.list)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.init_editor(prop, label, read_only)
        self.list.setAccessibleName(self.accessibleName())
        self._update_buttons()

    def value(self) -> Any:
        texts = [self.list.item(row).text() for row in range(self.list.count())]
        try:
            return self._coercer.coerce(self.prop, texts)
        except ValidationError:
            return tuple(texts)  # the service names the bad item when saving

    def problem(self) -> str | None:
        texts = [self.list.item(row).text() for row in range(self.list.count())]
        try:
            self._coercer.coerce(self.prop, texts)
        except ValidationError as exc:
            return exc.message
        return None

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.list.clear()
            for item in value or ():
                self._append(str(item))
        self._update_buttons()

    def set_read_only(self, read_only: bool) -> None:
        self.list.setMaximumHeight(110 if read_only else 16777215)
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            button.setVisible(not read_only)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        for row in range(self.list.count()):
            self.list.item(row).setFlags(flags if read_only else flags | Qt.ItemFlag.ItemIsEditable)

    def _append(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text, self.list)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self.read_only:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        return item

    def _add(self) -> None:
        item = self._append("0" if self.prop.integer_range is not None else "")
        self.list.setCurrentItem(item)
        self.list.editItem(item)
        self.emit_changed()
        self._update_buttons()

    def _remove(self) -> None:
        rows = sorted((self.list.row(i) for i in self.list.selectedItems()), reverse=True)
        for row in rows:
            self.list.takeItem(row)
        if rows:
            self.emit_changed()
        self._update_buttons()

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.emit_changed()

    def _update_buttons(self) -> None:
        limit = self.prop.max_items
        full = limit is not None and self.list.count() >= limit
        self.add_button.setEnabled(not full)
        self.add_button.setToolTip(f"At most {limit} items" if full else "")
        selected = bool(self.list.selectedItems())
        self.remove_button.setEnabled(selected)
        self.up_button.setEnabled(selected and self.list.currentRow() > 0)
        self.down_button.setEnabled(selected and self.list.currentRow() < self.list.count() - 1)
