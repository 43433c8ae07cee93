"""A read-only table over a list of records (frozen dataclasses), with columns declared once.

The records are loaded elsewhere (off the GUI thread) and handed over with ``set_rows``; the
model only presents and sorts them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QPalette
from PySide6.QtWidgets import QApplication

Index = QModelIndex | QPersistentModelIndex
#: The record of a row (any column).
RecordRole = Qt.ItemDataRole.UserRole + 40


@dataclass(frozen=True)
class Column:
    """One column: its header and how a record is shown and sorted in it."""

    header: str
    text: Callable[[Any], str]
    sort_key: Callable[[Any], Any] | None = None  # default: the text, case-insensitive
    tooltip: Callable[[Any], str] | None = None
    icon: Callable[[Any], QIcon | None] | None = None
    align_right: bool = False
    width: int = 100  # a starting width for views


class RecordTableModel(QAbstractTableModel):
    """Rows are records; ``key`` identifies a record across reloads (selection, checks);
    ``muted`` greys out rows (disabled drivers)."""

    def __init__(
        self,
        columns: Sequence[Column],
        parent: QObject | None = None,
        *,
        key: Callable[[Any], Hashable] = id,
        muted: Callable[[Any], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self._rows: list[Any] = []
        self._key = key
        self._muted = muted
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- Qt overrides ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # No ``flags`` override: QAbstractTableModel's own (enabled, selectable, never has children)
    # is what rows need, and a Python override is called once per row on every layout of a
    # QTreeView (5,000 scan results: ~50 ms of GUI-thread time per layout, more under load).

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(self.columns):
            return None
        record = self._rows[index.row()]
        return column_data(self.columns[index.column()], record, role,
                           muted=self._muted is not None and self._muted(record))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = list(self._rows)
        order_of = self._sorted_positions(old)
        self._rows = [old[i] for i in order_of]
        moved = {before: after for after, before in enumerate(order_of)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(persistent, [self.index(moved[i.row()], i.column()) for i in persistent])
        self.layoutChanged.emit()

    # -- own API -------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace every row (kept in the current sort order)."""
        self.beginResetModel()
        rows = list(rows)
        self._rows = [rows[i] for i in self._sorted_positions(rows)] if self._sort is not None else rows
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def record(self, row: int) -> Any:
        return self._rows[row]

    def key_of(self, record: Any) -> Hashable:
        return self._key(record)

    def row_of(self, key: Hashable) -> int | None:
        return next((i for i, r in enumerate(self._rows) if self._key(r) == key), None)

    def _sorted_positions(self, rows: list[Any]) -> list[int]:
        if self._sort is None:
            return list(range(len(rows)))
        section, order = self._sort
        column = self.columns[section]
        key = column.sort_key or (lambda r: column.text(r).casefold())
        return sorted(range(len(rows)), key=lambda i: key(rows[i]), reverse=order == Qt.SortOrder.DescendingOrder)


def column_data(column: Any, record: Any, role: int, *, muted: bool = False) -> Any:
    """A cell of ``record`` in ``column`` for ``role`` (text, tooltip, icon, alignment, the
    disabled colour of a muted row, the record itself): the tables over records share it."""
    if role == Qt.ItemDataRole.DisplayRole:
        return column.text(record)
    if role == Qt.ItemDataRole.ToolTipRole:
        return column.tooltip(record) if column.tooltip is not None else None
    if role == Qt.ItemDataRole.DecorationRole:
        return column.icon(record) if column.icon is not None else None
    if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if role == Qt.ItemDataRole.ForegroundRole and muted:
        return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    if role == RecordRole:
        return record
    return None

