"""Tables in a dialog: Enter acts on the current row instead of pressing the dialog's OK."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView


class EnterActivates(QObject):
    """Event filter: Return/Enter on the view (or bubbling up from a cell editor) is consumed
    there; on the view itself it emits ``activated``."""

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            # While a cell is edited, the delegate has already committed on this key; it
            # only reaches the view because the editor ignored it.
            index = self._view.currentIndex()
            if self._view.state() != QAbstractItemView.State.EditingState and index.isValid():
                self._view.activated.emit(index)
            return True
        return super().eventFilter(watched, event)


def setup_table(table: QTableView, accessible_name: str) -> None:
    """The look and keys every table of the property sheet shares: whole rows, compact
    rows, no in-place editing unless the caller enables it, Enter acts on the row, Tab
    moves on to the next control."""
    table.setAccessibleName(accessible_name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)  # Tab leaves the table, Ctrl+Tab changes the page
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
    EnterActivates(table)
