"""Monitoring › Audit: who changed what, when, from where; each record's old → new values.

Newest first, read a page at a time in the background (``More`` reads the next page: a keyset on
the record id); the filters (object or package ID, user, since, action) are queries the
database answers from its indexes. The pane below the list shows the selected record."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.audit import ACTIONS, AuditQuery, AuditRecord
from console.core.errors import error_text
from console.core.values import format_datetime
from console.ui.models.record_table_model import Column, RecordTableModel
from console.ui.record_views import record_view, size_columns
from console.ui.tasks import TaskRunner

PAGE_SIZE = 500
FILTER_DELAY_MS = 300
SINCE = (("Any time", None), ("Last hour", timedelta(hours=1)), ("Last 24 hours", timedelta(days=1)),
         ("Last 7 days", timedelta(days=7)), ("Last 30 days", timedelta(days=30)))


def _time(record: AuditRecord) -> str:
    return format_datetime(record.at).replace("T", " ").removesuffix("Z")


def value_text(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def summary(record: AuditRecord) -> str:
    if record.action == "refused":
        return f"{record.attempted}: {record.message}"
    return ", ".join(record.changes)


COLUMNS = (
    Column("Time (UTC)", _time, sort_key=lambda r: r.id, width=160),
    Column("User", lambda r: r.who, width=150),
    Column("Action", lambda r: r.action.capitalize(), width=80),
    Column("Object", lambda r: r.object_type, width=170),
    Column("ID", lambda r: r.object_id, width=110),
    Column("Name", lambda r: r.object_name, width=150),
    Column("Client", lambda r: r.client, width=160),
    Column("Changes", summary, tooltip=summary, width=300),
)


class AuditPage(QWidget):
    """``loader(query)``: a page of records, newest first (``Audit.query``)."""

    def __init__(self, loader: Callable[[AuditQuery], Sequence[AuditRecord]], tasks: TaskRunner,
                 parent: QWidget | None = None,
                 display: Callable[[AuditRecord], Sequence[Mapping[str, str]]] | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._display = display
        self._tasks = tasks
        self._generation = 0
        self.loading = False
        self.title = QLabel("Audit")
        self.title.setObjectName("pageTitle")
        self.object_id = self._field("Object or package ID", "Object ID", 200)
        self.user = self._field("User", "User", 170)
        self.since = QComboBox(self)
        self.since.setAccessibleName("Since")
        for label, span in SINCE:
            self.since.addItem(label, span)
        self.action = QComboBox(self)
        self.action.setAccessibleName("Action")
        self.action.addItem("All actions", "")
        for name in ACTIONS:
            self.action.addItem(name.capitalize(), name)
        self.model = RecordTableModel(COLUMNS, self, key=lambda r: r.id)
        self.view = record_view("Audit records")
        self.view.setModel(self.model)
        size_columns(self.view, COLUMNS)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first, as read
        self.view.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_record(current.row()))
        self.detail_title = QLabel("Select a record to see what it changed.")
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes = QTableWidget(0, 3, self)
        self.changes.setAccessibleName("Changed values")
        self.changes.setHorizontalHeaderLabels(["Property", "Old value", "New value"])
        self.changes.verticalHeader().setVisible(False)
        self.changes.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.changes.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_title)
        detail_layout.addWidget(self.changes, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.view)
        splitter.addWidget(detail)
        splitter.setSizes([420, 220])
        self.more = QPushButton("More", self)
        self.more.setToolTip(f"Read the next {PAGE_SIZE} older records")
        self.more.clicked.connect(lambda: self.refresh(more=True))
        self.note = QLabel()
        self.note.setWordWrap(True)
        filters = QHBoxLayout()
        for widget in (self.object_id, self.user, self.since, self.action):
            filters.addWidget(widget)
        filters.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.object_id.textChanged.connect(lambda _t: self._timer.start())
        self.user.textChanged.connect(lambda _t: self._timer.start())
        self.since.currentIndexChanged.connect(lambda _i: self.refresh())
        self.action.currentIndexChanged.connect(lambda _i: self.refresh())

    def _field(self, placeholder: str, name: str, width: int) -> QLineEdit:
        field = QLineEdit(self)
        field.setPlaceholderText(placeholder)
        field.setAccessibleName(name)
        field.setClearButtonEnabled(True)
        field.setMaximumWidth(width)
        return field

    def query(self, before: int | None = None) -> AuditQuery:
        span = self.since.currentData()
        since = datetime.now(UTC) - span if isinstance(span, timedelta) else None
        return AuditQuery(object_id=self.object_id.text().strip(), user=self.user.text().strip(), since=since,
                          action=str(self.action.currentData() or ""), before=before, limit=PAGE_SIZE)

    def refresh(self, *, more: bool = False) -> None:
        self._timer.stop()
        rows = self.model.rows() if more else []
        if not more:
            self._generation += 1
        generation, loader = self._generation, self._loader
        query = self.query(before=min(r.id for r in rows) if rows else None)
        self.loading = True
        self.more.setEnabled(False)
        self._tasks.run(lambda ctx: list(loader(query)),
                        on_success=lambda page: self._show(generation, rows, page),
                        on_error=lambda exc: self._failed(generation, exc),
                        description="Loading audit records")

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.loading = False
            self.note.setText(f"The audit could not be read: {error_text(exc)}")

    def _show(self, generation: int, before: list[AuditRecord], page: list[AuditRecord]) -> None:
        if generation != self._generation:
            return  # the filters changed meanwhile: a newer query is under way
        self.loading = False
        self.model.set_rows(before + page)
        self.more.setEnabled(len(page) == PAGE_SIZE)
        count = self.model.rowCount()
        if not count:
            filtered = self.query() != AuditQuery(limit=PAGE_SIZE)
            self.note.setText("No audit records match the filters." if filtered else
                              "No audit records yet: every change to a boot image, driver, distribution point, "
                              "folder or setting is recorded here.")
        else:
            self.note.setText(f"{count:,} records, newest first" + (" (More reads older ones)." if self.more.isEnabled() else "."))
        if count and not self.view.currentIndex().isValid():
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._show_record(self.view.currentIndex().row())

    def _show_record(self, row: int) -> None:
        record = self.model.record(row) if 0 <= row < self.model.rowCount() else None
        self.changes.setRowCount(0)
        if not isinstance(record, AuditRecord):
            self.detail_title.setText("Select a record to see what it changed.")
            return
        self.detail_title.setText(
            f"{record.action.capitalize()} {record.object_type} {record.object_id}"
            + (f" ({record.object_name})" if record.object_name else "")
            + f" by {record.who} from {record.client} at {_time(record)} UTC"
            + (f" — {record.attempted} refused: {record.message}" if record.action == "refused" else ""))
        shown: list[Mapping[str, str]] = list(self._display(record)) if self._display is not None else [
            {"property": name, "old": value_text(pair[0]), "new": value_text(pair[1])} for name, pair in record.changes.items()]
        self.changes.setRowCount(len(shown))
        for row_index, change in enumerate(shown):
            for column, text in enumerate((change["property"], change["old"], change["new"])):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.changes.setItem(row_index, column, item)
