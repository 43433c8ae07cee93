"""Shows a tree model as a flat table whose expanded nodes' children follow them inline.

QTreeView lays out every top-level row on each reset (0.3-0.4 s for 100,000 rows even with
a trivial model), so the package list uses a QTableView over this proxy instead: a reset
costs only the visible rows. Lookups between flat rows and source indexes are O(log n)
in the number of expanded packages (a sorted list with prefix sums).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex

DepthRole = Qt.ItemDataRole.UserRole + 40
ExpandableRole = Qt.ItemDataRole.UserRole + 41
ExpandedRole = Qt.ItemDataRole.UserRole + 42
#: Roles the package models never provide: answered here without mapping (painting asks
#: for each of them on every cell).
UNUSED_ROLES = frozenset(int(r) for r in (
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.SizeHintRole, Qt.ItemDataRole.StatusTipRole,
    Qt.ItemDataRole.WhatsThisRole,
))


class FlatTreeProxy(QAbstractTableModel):
    def __init__(self, source: QAbstractItemModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self._expanded: set[QPersistentModelIndex] = set()
        self._tops: list[int] = []  # expanded top-level source rows, sorted
        self._extra: list[int] = []  # visible descendants of each expanded top
        self._before: list[int] = []  # sum of _extra before position i
        self._starts: list[int] = []  # flat row of each expanded top
        self._pending: tuple[int, int] | None = None
        # Optional fast paths of the source for top-level rows (no index objects built).
        self._row_data = getattr(source, "row_data", None)
        self._row_flags: Callable[[int], Qt.ItemFlag] | None = getattr(source, "row_flags", None)
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._source_reset)
        self._layout: list[tuple[QModelIndex, QPersistentModelIndex]] = []
        source.layoutAboutToBeChanged.connect(self._layout_about_to_change)
        source.layoutChanged.connect(self._layout_changed)
        source.dataChanged.connect(self._source_data_changed)
        source.headerDataChanged.connect(self.headerDataChanged)
        source.rowsAboutToBeInserted.connect(self._about_to_insert)
        source.rowsInserted.connect(self._inserted)
        source.rowsAboutToBeRemoved.connect(self._about_to_remove)
        source.rowsRemoved.connect(self._removed)

    @property
    def source(self) -> QAbstractItemModel:
        return self._source

    # -- expansion -----------------------------------------------------------------------------

    def is_expanded(self, source_index: Index) -> bool:
        return QPersistentModelIndex(source_index) in self._expanded

    def _visible(self, source_index: Index) -> int:
        """Rows shown below an expanded node."""
        count = 0
        for row in range(self._source.rowCount(source_index)):
            child = self._source.index(row, 0, source_index)
            count += 1
            if QPersistentModelIndex(child) in self._expanded:
                count += self._visible(child)
        return count

    def _rebuild(self) -> None:
        tops = {}
        for persistent in list(self._expanded):
            if not persistent.isValid():
                self._expanded.discard(persistent)
                continue
            index = persistent.sibling(persistent.row(), persistent.column())
            top = index
            while top.parent().isValid():
                top = top.parent()
            if QPersistentModelIndex(top) in self._expanded:
                tops[top.row()] = top
        self._tops = sorted(tops)
        self._extra = [self._visible(tops[row]) for row in self._tops]
        self._before = [0] * len(self._tops)
        running = 0
        for i, extra in enumerate(self._extra):
            self._before[i] = running
            running += extra
        self._starts = [top + before for top, before in zip(self._tops, self._before, strict=True)]

    def set_expanded(self, flat_row: int, expanded: bool) -> None:
        source_index = self.to_source(self.index(flat_row, 0))
        if not source_index.isValid() or expanded == self.is_expanded(source_index):
            return
        if not self._source.hasChildren(source_index):
            return
        if expanded:
            if self._source.canFetchMore(source_index):
                self._source.fetchMore(source_index)  # children arrive later via rowsInserted
            count = self._visible(source_index)
            if count:
                self.beginInsertRows(QModelIndex(), flat_row + 1, flat_row + count)
            self._expanded.add(QPersistentModelIndex(source_index))
            self._rebuild()
            if count:
                self.endInsertRows()
        else:
            count = self._visible(source_index)
            if count:
                self.beginRemoveRows(QModelIndex(), flat_row + 1, flat_row + count)
            self._expanded.discard(QPersistentModelIndex(source_index))
            self._rebuild()
            if count:
                self.endRemoveRows()
        first = self.index(flat_row, 0)
        self.dataChanged.emit(first, first, [ExpandedRole])

    def _is_shown(self, source_index: Index) -> bool:
        """All ancestors expanded (the node itself is a visible row)."""
        parent = source_index.parent()
        while parent.isValid():
            if QPersistentModelIndex(parent) not in self._expanded:
                return False
            parent = parent.parent()
        return True

    # -- mapping ------------------------------------------------------------------------------

    def to_source(self, index: Index) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        row = index.row()
        if not self._tops:  # nothing expanded: flat rows are the top-level rows
            return self._source.index(row, index.column())
        starts = self._starts
        i = bisect_right(starts, row) - 1
        if i >= 0 and row <= starts[i] + self._extra[i]:
            top = self._source.index(self._tops[i], 0)
            offset = row - starts[i]
            found = top if offset == 0 else self._descendant(top, offset)
            return found.siblingAtColumn(index.column()) if found.isValid() else QModelIndex()
        shift = (self._before[i] + self._extra[i]) if i >= 0 else 0
        return self._source.index(row - shift, index.column())

    def _descendant(self, node: QModelIndex, offset: int) -> QModelIndex:
        """The ``offset``-th visible row below an expanded node (1 = first child)."""
        for row in range(self._source.rowCount(node)):
            child = self._source.index(row, 0, node)
            offset -= 1
            if offset == 0:
                return child
            if QPersistentModelIndex(child) in self._expanded:
                size = self._visible(child)
                if offset <= size:
                    return self._descendant(child, offset)
                offset -= size
        return QModelIndex()

    def from_source(self, source_index: Index) -> QModelIndex:
        if not source_index.isValid() or not self._is_shown(source_index):
            return QModelIndex()
        chain = []
        node = source_index.sibling(source_index.row(), 0)
        while node.isValid():
            chain.append(node)
            node = node.parent()
        chain.reverse()  # chain[0] is the top-level row
        top_row = chain[0].row()
        i = bisect_left(self._tops, top_row)
        flat = top_row + (self._before[i] if i < len(self._tops) else sum(self._extra))
        parent = chain[0]
        for child in chain[1:]:
            flat += 1  # the first child follows its parent
            for row in range(child.row()):
                sibling = self._source.index(row, 0, parent)
                flat += 1 + (self._visible(sibling) if QPersistentModelIndex(sibling) in self._expanded else 0)
            parent = child
        return self.index(flat, source_index.column())

    # -- Qt API --------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._source.rowCount() + sum(self._extra)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._source.columnCount()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in UNUSED_ROLES:
            return None
        if not self._tops and self._row_data is not None:  # nothing unfolded: flat rows are top rows
            if role == DepthRole:
                return 0
            if role == ExpandableRole:
                return index.column() == 0  # every package has its image/component/driver groups
            if role == ExpandedRole:
                return False
            return self._row_data(index.row(), index.column(), role)
        source = self.to_source(index)
        if not source.isValid():
            return None
        if role == DepthRole:
            depth, parent = 0, source.parent()
            while parent.isValid():
                depth, parent = depth + 1, parent.parent()
            return depth
        if role == ExpandableRole:
            return index.column() == 0 and self._source.hasChildren(source.siblingAtColumn(0))
        if role == ExpandedRole:
            return self.is_expanded(source.siblingAtColumn(0))
        return self._source.data(source, role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self._source.headerData(section, orientation, role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not self._tops and self._row_flags is not None and index.isValid():
            return self._row_flags(index.row())
        source = self.to_source(index)
        return self._source.flags(source) if source.isValid() else Qt.ItemFlag.NoItemFlags

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)

    def mimeTypes(self) -> list[str]:
        return self._source.mimeTypes()

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return self._source.mimeData([self.to_source(i) for i in indexes])

    def supportedDragActions(self) -> Qt.DropAction:
        return self._source.supportedDragActions()

    # -- source changes ------------------------------------------------------------------------

    def _source_reset(self) -> None:
        self._expanded.clear()
        self._rebuild()
        self.endResetModel()

    def _layout_about_to_change(self, *_args: object) -> None:
        """Rows of the source moved (an edited package went to its sorted place): remember
        the source row of every persistent flat index (selection, current) to map it back."""
        self.layoutAboutToBeChanged.emit()
        self._layout = [(index, QPersistentModelIndex(self.to_source(index))) for index in self.persistentIndexList()]

    def _layout_changed(self, *_args: object) -> None:
        # the source moved the persistent indexes of unfolded packages; re-key the set
        self._expanded = {QPersistentModelIndex(p) for p in self._expanded if p.isValid()}
        self._rebuild()
        before = [flat for flat, _source in self._layout]
        after = [self.from_source(source) if source.isValid() else QModelIndex() for _flat, source in self._layout]
        self._layout = []
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Sequence[int] = ()) -> None:
        if not top_left.parent().isValid() and not self._tops:
            self.dataChanged.emit(self.index(top_left.row(), top_left.column()),
                                  self.index(bottom_right.row(), bottom_right.column()), roles)
            return
        first = self.from_source(top_left)
        last = self.from_source(bottom_right)
        if first.isValid() and last.isValid():
            self.dataChanged.emit(first, last, roles)
        else:
            self.dataChanged.emit(self.index(0, 0), self.index(max(self.rowCount() - 1, 0), self.columnCount() - 1), roles)

    def _flat_range(self, parent: QModelIndex, first: int, last: int) -> tuple[int, int] | None:
        """Flat rows of children ``first..last`` of ``parent`` if they are (to be) visible."""
        if not parent.isValid():
            return None
        if QPersistentModelIndex(parent) not in self._expanded or not self._is_shown(parent):
            return None
        anchor = self.from_source(parent).row() + 1
        for row in range(first):
            sibling = self._source.index(row, 0, parent)
            anchor += 1 + (self._visible(sibling) if QPersistentModelIndex(sibling) in self._expanded else 0)
        return anchor, anchor + (last - first)

    def _about_to_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self.beginResetModel()
            self._pending = (-1, -1)
            return
        self._pending = self._flat_range(parent, first, last)
        if self._pending is not None:
            self.beginInsertRows(QModelIndex(), *self._pending)

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        pending, self._pending = self._pending, None
        self._rebuild()
        if pending == (-1, -1):
            self.endResetModel()
        elif pending is not None:
            self.endInsertRows()

    def _about_to_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            self.beginResetModel()
            self._pending = (-1, -1)
            return
        span = self._flat_range(parent, first, last)
        if span is not None:
            extra = sum(self._visible(self._source.index(r, 0, parent))
                        for r in range(first, last + 1)
                        if QPersistentModelIndex(self._source.index(r, 0, parent)) in self._expanded)
            span = (span[0], span[1] + extra)
            self.beginRemoveRows(QModelIndex(), *span)
        self._pending = span

    def _removed(self, parent: QModelIndex, first: int, last: int) -> None:
        pending, self._pending = self._pending, None
        self._rebuild()
        if pending == (-1, -1):
            self.endResetModel()
        elif pending is not None:
            self.endRemoveRows()
