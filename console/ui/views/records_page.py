"""A read-only list page (Sites, Status Messages, Jobs, ...) filled in the background."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QTableView, QVBoxLayout, QWidget

from console.ui.tasks import TaskRunner


class RecordsPage(QWidget):
    """Shows either the grid or, when there is nothing to list, the note (never both)."""

    status_changed = Signal(str)

    def __init__(
        self,
        title: str,
        headers: Sequence[str],
        loader: Callable[[], Sequence[Sequence[Any]]],
        tasks: TaskRunner,
        empty_text: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._loader = loader
        self._tasks = tasks
        self._empty_text = empty_text
        self.title = QLabel(title)
        self.title.setObjectName("pageTitle")
        self.model = QStandardItemModel(0, len(headers), self)
        self.model.setHorizontalHeaderLabels(list(headers))
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        self.view = QTableView()
        self.view.setModel(proxy)
        self.view.setAccessibleName(title)
        self.view.setSortingEnabled(True)
        self.view.setTabKeyNavigation(False)  # Tab leaves the list
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.note)
        self._status = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack, 1)

    def status_text(self) -> str:
        return self._status

    def refresh(self) -> None:
        self._tasks.run(lambda ctx: list(self._loader()), on_success=self._show, description=f"Loading {self.title.text()}")

    def _show(self, rows: list[Sequence[Any]]) -> None:
        self.model.removeRows(0, self.model.rowCount())
        for row in rows:
            items = []
            for value in row:
                item = QStandardItem("" if value is None else str(value))
                item.setEditable(False)
                if isinstance(value, int) and not isinstance(value, bool):
                    item.setData(value, Qt.ItemDataRole.DisplayRole)
                items.append(item)
            self.model.appendRow(items)
        self.view.resizeColumnsToContents()
        self.note.setText("" if rows else self._empty_text)
        self.stack.setCurrentWidget(self.view if rows else self.note)
        self._status = f"{self.title.text()}: {len(rows):,} item(s)"
        self.status_changed.emit(self._status)


class PlaceholderPage(QWidget):
    """A node whose feature arrives later: say what will be there."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(title)
        heading.setObjectName("pageTitle")
        body = QLabel(text)
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        body.setAccessibleName(title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
        self.body = body

    def status_text(self) -> str:
        return "Not available yet"
