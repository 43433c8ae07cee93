"""Editors for Booleans and ``ValueMap`` enumerations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QWidget

from console.core.classdef import PropertyDef
from console.core.values import format_value
from console.ui.propertysheet.editor_base import EditorMixin


class BoolEditor(EditorMixin, QCheckBox):
    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "", text: str = "") -> None:
        super().__init__(text, parent)
        self.clicked.connect(self.emit_changed)
        self.init_editor(prop, label or text, read_only)

    def value(self) -> Any:
        return self.isChecked()

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.setChecked(bool(value))

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)


def choice_value(prop: PropertyDef, text: str) -> Any:
    """A ``ValueMap`` entry as the canonical value (``"2"`` → ``2`` for integer types)."""
    return int(text) if prop.integer_range is not None else text


class ChoiceEditor(EditorMixin, QComboBox):
    """A drop-down of the documented values. ``labels`` (from the layout) rename entries;
    ``full`` shows ``value (NAME)`` as the All Properties table does."""

    def __init__(self, prop: PropertyDef, parent: QWidget | None = None, *, label: str = "",
                 read_only: str = "", labels: Mapping[str, str] | None = None, full: bool = False) -> None:
        super().__init__(parent)
        labels = labels or {}
        for choice in prop.choices:
            value = choice_value(prop, choice.value)
            text = labels.get(choice.value) or (format_value(prop, value) if full else choice.name)
            self.addItem(text or "(none)", value)
            shown = repr(choice.value) if choice.value == "" else choice.value
            self.setItemData(self.count() - 1, f"{shown} = {choice.name}", Qt.ItemDataRole.ToolTipRole)
        self.activated.connect(self.emit_changed)
        self.init_editor(prop, label, read_only)

    def value(self) -> Any:
        return self.currentData()

    def set_value(self, value: Any) -> None:
        with self.updating():
            index = self.findData(value)
            if index < 0:
                shown = "(not set)" if value is None else f"{value} (not a documented value)"
                self.addItem(shown, value)
                index = self.count() - 1
            self.setCurrentIndex(index)

    def set_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)

