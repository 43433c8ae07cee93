"""Monitoring › Status Messages: the newest messages, a filter by severity, package and text,
and each message in full (double-click or Enter) with the values a change replaced (read in the
background from the audit records of the message's transaction: ``Audit.message_changes``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.ports import StatusMessage
from console.core.services.status_messages import SEVERITIES, matches
from console.core.values import format_datetime
from console.ui.icons import icon
from console.ui.models.record_table_model import Column, RecordRole, RecordTableModel
from console.ui.record_views import record_view, search_field, size_columns
from console.ui.tasks import TaskRunner

#: How many of the newest messages the page reads.
LOAD_LIMIT = 1000
SEVERITY_ICONS = {"warning": "warning", "error": "cancel", "information": "info"}


def _changes(message: StatusMessage) -> list[dict[str, Any]]:
    return list((message.details or {}).get("changes", ()))


def _time(message: StatusMessage) -> str:
    """``2026-12-01 23:27:50``: the header or label says UTC."""
    return format_datetime(message.time).replace("T", " ").removesuffix("Z")


COLUMNS = (
    Column("Time (UTC)", lambda m: _time(m), sort_key=lambda m: m.time, width=170),
    Column("Severity", lambda m: m.severity.capitalize(), icon=lambda m: icon(SEVERITY_ICONS.get(m.severity, "info")),
           width=110),
    Column("Package", lambda m: m.package_id or "", width=90),
    Column("User", lambda m: m.user, width=140),
    Column("Kind", lambda m: m.kind, width=90),
    Column("Message", lambda m: m.text + (f"  ({len(_changes(m))} value(s) changed)" if _changes(m) else ""),
           tooltip=lambda m: m.text, width=400),
)


class StatusMessageDialog(QDialog):
    """One message in full: every field, the whole text, and the changed values old → new."""

    def __init__(self, message: StatusMessage, parent: QWidget | None = None,
                 changes: Sequence[Mapping[str, Any]] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Status Message {message.id}")
        form = QFormLayout()
        for label, value in (("Time (UTC):", _time(message)), ("Severity:", message.severity.capitalize()),
                             ("Package:", message.package_id or "(none)"), ("User:", message.user),
                             ("Kind:", message.kind), ("Site:", message.site_code)):
            field = QLabel(value, self)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(label, field)
        self.text = QPlainTextEdit(message.text, self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Message text")
        self.text.setMaximumHeight(80)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        changes = list(changes) if changes is not None else _changes(message)
        self.changes = QTableWidget(len(changes), 3, self)
        self.changes.setAccessibleName("Changed values")
        self.changes.setHorizontalHeaderLabels(["Property", "Old value", "New value"])
        self.changes.verticalHeader().setVisible(False)
        self.changes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.changes.setWordWrap(True)
        for row, change in enumerate(changes):
            for column, key in enumerate(("property", "old", "new")):
                item = QTableWidgetItem(str(change.get(key, "")))
                item.setToolTip(item.text())
                self.changes.setItem(row, column, item)
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.changes.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Message:", self))
        layout.addWidget(self.text)
        if changes:
            layout.addWidget(QLabel("Changed values:", self))
            layout.addWidget(self.changes, 1)
        else:
            self.changes.hide()
        layout.addWidget(buttons)
        self.resize(720, 480 if changes else 320)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.changes.resizeRowsToContents()  # now that the columns have their real widths

    @classmethod
    def show_message(cls, parent: QWidget | None, message: StatusMessage,
                     changes: Sequence[Mapping[str, Any]] | None = None) -> None:
        cls(message, parent, changes).exec()


class StatusMessagesPage(QWidget):
    """``loader(severity)``: the newest messages of that severity ("" for all), read from the
    database's severity index (an error older than the newest ``LOAD_LIMIT`` messages is still
    found); the package and text filters narrow what was read."""

    def __init__(self, loader: Callable[[str], Sequence[StatusMessage]], tasks: TaskRunner,
                 parent: QWidget | None = None,
                 changes: Callable[[StatusMessage], Sequence[Mapping[str, Any]]] | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._changes = changes
        self._generation = 0
        self._tasks = tasks
        self._all: list[StatusMessage] = []
        self.title = QLabel("Status Messages")
        self.title.setObjectName("pageTitle")
        self.severity = QComboBox(self)
        self.severity.setAccessibleName("Severity")
        self.severity.addItem("All severities", "")
        for name in SEVERITIES:
            self.severity.addItem(icon(SEVERITY_ICONS[name]), name.capitalize(), name)
        self.package = QLineEdit(self)
        self.package.setPlaceholderText("Package ID")
        self.package.setAccessibleName("Package")
        self.package.setClearButtonEnabled(True)
        self.package.setMaximumWidth(140)
        self.search = search_field("Search message, user or changed values", "Search status messages")
        self.model = RecordTableModel(COLUMNS, self, key=lambda m: m.id)
        self.view = record_view("Status Messages")
        self.view.setModel(self.model)
        size_columns(self.view, COLUMNS)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.activated.connect(lambda index: self.open_message(index.row()))
        self.view.doubleClicked.connect(lambda index: self.open_message(index.row()))
        self.note = QLabel()
        self.note.setWordWrap(True)
        filters = QHBoxLayout()
        filters.addWidget(self.severity)
        filters.addWidget(self.package)
        filters.addWidget(self.search, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self.severity.currentIndexChanged.connect(lambda _i: self.refresh())
        self.package.textChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)

    def refresh(self) -> None:
        self._generation += 1
        generation, severity, loader = self._generation, str(self.severity.currentData() or ""), self._loader
        self._tasks.run(lambda ctx: list(loader(severity)),
                        on_success=lambda messages: self._show(messages) if generation == self._generation else None,
                        description="Loading status messages")

    def open_message(self, row: int) -> None:
        message = self.model.index(row, 0).data(RecordRole)
        if not isinstance(message, StatusMessage):
            return
        changes = self._changes
        if changes is None:
            StatusMessageDialog.show_message(self, message)
            return
        self._tasks.run(lambda ctx: list(changes(message)),
                        on_success=lambda values: StatusMessageDialog.show_message(self, message, values),
                        description="Reading the changed values from the audit")

    def _show(self, messages: list[StatusMessage]) -> None:
        self._all = messages
        self._apply_filter()

    def _apply_filter(self, *_args: object) -> None:
        severity = str(self.severity.currentData() or "")
        package = self.package.text().strip().lower()
        text = self.search.text().strip()
        shown = [m for m in self._all if matches(m, text=text)
                 and (not package or package in (m.package_id or "").lower())]
        self.model.set_rows(shown)
        what = f"{severity} messages" if severity else "messages"
        if not self._all and severity:
            self.note.setText(f"No {what}.")
        elif not self._all:
            self.note.setText("No status messages yet: creating, changing and deleting boot images records them here.")
        elif len(shown) < len(self._all):
            self.note.setText(f"{len(shown):,} of the {len(self._all):,} newest {what} match the filter.")
        else:
            self.note.setText(f"The {len(self._all):,} newest {what}. Double-click or press Enter for the whole message.")
