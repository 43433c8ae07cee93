"""The values a property sheet edits: what was read, what the user changed since."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from console.core.classdef import ClassDef


class SheetValues(QObject):
    """One object's property values shared by every tab of a sheet.

    Editors write here and follow ``value_changed``, so a change on one tab shows on
    every other tab (and in All Properties) at once. ``reset`` is emitted when fresh
    values are loaded.
    """

    value_changed = Signal(str)
    reset = Signal()
    changed = Signal()

    def __init__(self, cls: ClassDef, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cls = cls
        self._original: dict[str, Any] = {}
        self._current: dict[str, Any] = {}

    def load(self, values: Mapping[str, Any]) -> None:
        """Start over from freshly read values (absent names were not loaded)."""
        self._original = dict(values)
        self._current = dict(values)
        self.reset.emit()
        self.changed.emit()

    def rebase(self, values: Mapping[str, Any]) -> list[str]:
        """Take freshly read values but keep the user's pending edits on top of them, except
        where the fresh value differs from what was read before (another save changed that
        property: its value wins). Returns the names of the edits given up that way."""
        pending = self.changes()
        fresh = dict(values)
        kept = {name: value for name, value in pending.items() if fresh.get(name) == self._original.get(name)}
        self._original = fresh
        self._current = {**self._original, **kept}
        self.reset.emit()
        self.changed.emit()
        return [name for name in pending if name not in kept]

    def is_loaded(self, name: str) -> bool:
        return name in self._current

    def get(self, name: str, default: Any = None) -> Any:
        return self._current.get(name, default)

    def original(self, name: str, default: Any = None) -> Any:
        return self._original.get(name, default)

    def set(self, name: str, value: Any) -> None:
        if name in self._current and self._current[name] == value:
            return
        self._current[name] = value
        self.value_changed.emit(name)
        self.changed.emit()

    def is_modified(self, name: str) -> bool:
        return name in self._current and self._current[name] != self._original.get(name)

    def changes(self) -> dict[str, Any]:
        """Every property whose value differs from what was read, in class order."""
        return {
            name: self._current[name]
            for name in self.cls.properties
            if name in self._current and self._current[name] != self._original.get(name)
        }

    def has_changes(self) -> bool:
        return bool(self.changes())

    def snapshot(self) -> dict[str, Any]:
        return dict(self._current)
