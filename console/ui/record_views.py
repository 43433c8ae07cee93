"""Widgets the record lists share: the search field above a list, and a read-only list of
records (``RecordTableModel``) in a tree view with sortable, sized columns."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLineEdit, QTreeView

from console.ui.icons import icon
from console.ui.models.record_table_model import Column

#: The search of the Drivers node and of the Drivers wizard (``DriverQuery.text``).
DRIVER_SEARCH_HINT = "Search name, provider, class, version, INF file or hardware ID"


def search_field(placeholder: str, accessible_name: str) -> QLineEdit:
    """A line edit with a filter icon and a clear button."""
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    field.setClearButtonEnabled(True)
    field.setAccessibleName(accessible_name)
    field.addAction(icon("filter"), QLineEdit.ActionPosition.LeadingPosition)
    return field


def record_view(accessible_name: str, *, extended_selection: bool = False) -> QTreeView:
    """A flat, read-only tree view that selects whole rows (one, or several with
    ``extended_selection``)."""
    view = QTreeView()
    view.setAccessibleName(accessible_name)
    view.setRootIsDecorated(False)
    view.setUniformRowHeights(True)
    view.setAlternatingRowColors(True)
    view.setAllColumnsShowFocus(True)
    if extended_selection:
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return view


def size_columns(view: QTreeView, columns: Sequence[Column], *, stretch_last: bool = True) -> None:
    """Start each column at its ``Column.width`` (the user may resize them) and sort by the
    first column."""
    header = view.header()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(stretch_last)
    for i, column in enumerate(columns):
        header.resizeSection(i, column.width)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
