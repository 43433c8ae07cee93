"""A flat, read-mostly table: a fixed tuple of column headers over a list of rows.

Subclasses set ``headers``, keep their rows in ``self._rows`` and implement ``data`` (and
``flags``/``setData`` when they edit); rows, columns and headers are answered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


class HeadedTableModel(QAbstractTableModel):
    headers: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    # -- Qt overrides ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    # -- own API ---------------------------------------------------------------------------

    def row_at(self, index: Index) -> Any:
        """The row ``index`` points at, or None for an invalid index or one past the rows."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def _all_rows_changed(self) -> None:
        """Every cell may show something else now (the rows themselves stay)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self.headers) - 1))

    def replace_rows(self, rows: list[Any], key: Callable[[Any], object]) -> None:
        """New rows in place (a live refresh): rows added at the end or removed from the end
        (insert / remove signals) and a layout change for the rest, never a reset: the
        selection, the current row and the scroll position follow each row by ``key``."""
        rows = list(rows)
        if rows == self._rows:
            return
        if [key(r) for r in rows] == [key(r) for r in self._rows]:  # the same rows: new values only
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, self.columnCount() - 1))
            return
        old = self._rows
        if len(rows) > len(old):  # more rows: the extra ones are inserted at the end first
            self.beginInsertRows(QModelIndex(), len(old), len(rows) - 1)
            self._rows = old = old + rows[len(old):]
            self.endInsertRows()
        where = {key(r): i for i, r in enumerate(rows)}
        self.layoutAboutToBeChanged.emit()
        for index in self.persistentIndexList():
            row = where.get(key(old[index.row()])) if 0 <= index.row() < len(old) else None
            self.changePersistentIndex(index, QModelIndex() if row is None else self.index(row, index.column()))
        self._rows = rows + old[len(rows):]  # as many rows as before during the layout change
        self.layoutChanged.emit()
        if len(old) > len(rows):  # fewer rows: the surplus at the end goes
            self.beginRemoveRows(QModelIndex(), len(rows), len(old) - 1)
            self._rows = rows
            self.endRemoveRows()
