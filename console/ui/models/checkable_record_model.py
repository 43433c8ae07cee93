"""A record table whose first column carries a check box per row.

The checked keys are kept apart from the rows, so a record that a filter hides (and that is
therefore not loaded) stays checked; ``checked_keys`` is the whole selection.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from console.ui.models.record_table_model import Column, Index, RecordTableModel


class CheckableRecordModel(RecordTableModel):
    checked_changed = Signal()

    def __init__(
        self,
        columns: Sequence[Column],
        parent: QObject | None = None,
        *,
        key: Callable[[Any], Hashable] = id,
        muted: Callable[[Any], bool] | None = None,
    ) -> None:
        super().__init__(columns, parent, key=key, muted=muted)
        self._checked: dict[Hashable, None] = {}  # ordered set

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.CheckStateRole:
            if not index.isValid() or index.column() != 0 or not 0 <= index.row() < self.rowCount():
                return None
            checked = self.key_of(self.record(index.row())) in self._checked
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() or index.column() != 0:
            return False
        state = Qt.CheckState(value.value if isinstance(value, Qt.CheckState) else int(value))
        key = self.key_of(self.record(index.row()))
        if (state == Qt.CheckState.Checked) == (key in self._checked):
            return True
        if state == Qt.CheckState.Checked:
            self._checked[key] = None
        else:
            self._checked.pop(key, None)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()
        return True

    # -- own API -------------------------------------------------------------------------

    def checked_keys(self) -> list[Hashable]:
        return list(self._checked)

    def set_checked_keys(self, keys: Iterable[Hashable]) -> None:
        self._checked = dict.fromkeys(keys)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0), [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()

    def set_rows_checked(self, rows: Iterable[int], checked: bool) -> None:
        """Tick or untick several rows at once (Space on a multi-row selection)."""
        keys = [self.key_of(self.record(r)) for r in rows if 0 <= r < self.rowCount()]
        if checked:
            self._checked.update(dict.fromkeys(keys))
        else:
            for key in keys:
                self._checked.pop(key, None)
        if keys and self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0), [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()

    def visible_checked_count(self) -> int:
        return sum(1 for r in self.rows() if self.key_of(r) in self._checked)
