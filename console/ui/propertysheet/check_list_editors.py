"""Check lists: the named bits of a ``bits`` property, the values of a ``ValueMap`` array."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from console.core.classdef import PropertyDef
from console.ui.propertysheet.choice_editors import choice_value
from console.ui.propertysheet.editor_base import EditorMixin

_MASK = Qt.ItemDataRole.UserRole


class _CheckList(EditorMixin, QListWidget):
    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.itemChanged.connect(self._item_changed)

    def _add(self, text: str, data: Any, tooltip: str = "") -> QListWidgetItem:
        with self.updating():
            return self._new_item(text, data, tooltip)

    def _new_item(self, text: str, data: Any, tooltip: str) -> QListWidgetItem:
        item = QListWidgetItem(text, self)
        item.setData(_MASK, data)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not self.read_only:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        item.setFlags(flags)
        item.setCheckState(Qt.CheckState.Unchecked)
        if tooltip:
            item.setToolTip(tooltip)
        return item

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(row) for row in range(self.count())]

    def _item_changed(self, item: QListWidgetItem) -> None:
        if not self._updating:
            self.on_toggled(item)
            self.emit_changed()

    def on_toggled(self, item: QListWidgetItem) -> None:
        """Hook: a user checked or cleared ``item``."""

    def set_read_only(self, read_only: bool) -> None:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not read_only:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        with self.updating():
            for item in self._items():
                item.setFlags(flags)


class BitsEditor(_CheckList):
    """A ``bits`` property as a check list of its documented flags; undocumented bits
    already set stay visible (and can be cleared) instead of being dropped."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        self._flags = prop.bit_flags
        self._known = sum(flag.mask for flag in self._flags)
        for flag in self._flags:
            self._add(f"{flag.name}  (0x{flag.mask:08X})", flag.mask, f"bit {flag.bit}")
        self._extra: QListWidgetItem | None = None
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        total = 0
        for item in self._items():
            if item.checkState() == Qt.CheckState.Checked:
                total |= int(item.data(_MASK))
        return total

    def set_value(self, value: Any) -> None:
        value = int(value or 0)
        with self.updating():
            unknown = value & ~self._known
            if unknown and self._extra is None:
                self._extra = self._add("", 0, "Bits the class metadata does not document")
            if self._extra is not None:
                self._extra.setData(_MASK, unknown)
                self._extra.setText(f"Undocumented bits  (0x{unknown:08X})")
                self._extra.setHidden(not unknown)
            for item in self._items():
                mask = int(item.data(_MASK))
                checked = bool(mask) and value & mask == mask
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)


class ValueListEditor(_CheckList):
    """An array with a ``ValueMap`` (OptionalComponents): check the values it holds.
    The existing order is kept; newly checked values are appended."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "") -> None:
        super().__init__(parent)
        for choice in prop.choices:
            self._add(f"{choice.name}  ({choice.value})" if choice.name != choice.value else choice.value,
                      choice_value(prop, choice.value))
        self._order: list[Any] = []
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return tuple(self._order)

    def set_value(self, value: Any) -> None:
        self._order = list(value or ())
        with self.updating():
            for item in self._items():
                checked = item.data(_MASK) in self._order
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def on_toggled(self, item: QListWidgetItem) -> None:
        data = item.data(_MASK)
        if item.checkState() == Qt.CheckState.Checked and data not in self._order:
            self._order.append(data)
        elif item.checkState() != Qt.CheckState.Checked and data in self._order:
            self._order.remove(data)
