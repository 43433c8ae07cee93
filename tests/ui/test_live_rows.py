"""``HeadedTableModel.replace_rows`` (the live pages' in-place refresh) under Qt's model tester:
rows changed, added, removed and reordered keep the selection on the same row by key."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QTableView

from console.ui.models.headed_table_model import HeadedTableModel


class Pairs(HeadedTableModel):
    headers = ("Name", "Value")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        return None if row is None or role != Qt.ItemDataRole.DisplayRole else row[index.column()]


def test_replace_rows_keeps_the_selected_row_by_key_through_changes(qtbot):
    model = Pairs()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    model.replace_rows([("a", 1), ("b", 2), ("c", 3)], lambda r: r[0])
    # select through the selection model: selectRow follows the keyboard modifiers Qt last saw,
    # which an earlier test in the same process may have left held
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    view.selectionModel().select(proxy.index(1, 0), flags)

    def selected() -> list[str]:
        return [i.data() for i in view.selectionModel().selectedRows()]

    assert selected() == ["b"]
    model.replace_rows([("a", 1), ("b", 5), ("c", 3)], lambda r: r[0])  # a value
    assert selected() == ["b"] and proxy.index(1, 1).data() == 5
    model.replace_rows([("0", 0), ("a", 1), ("b", 5), ("c", 3), ("d", 4)], lambda r: r[0])  # rows added
    assert selected() == ["b"] and model.rowCount() == 5
    model.replace_rows([("b", 5), ("d", 4)], lambda r: r[0])  # rows removed
    assert selected() == ["b"] and model.rowCount() == 2
    model.replace_rows([("d", 4)], lambda r: r[0])  # the selected row goes
    assert selected() == [] and model.rowCount() == 1
