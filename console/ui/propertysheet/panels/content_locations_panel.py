"""Properties › Content Locations: the distribution points and groups that hold the package,
with state, version, last copied, the error with its cause and the next retry; Validate,
Redistribute and Remove act on the selected distribution points (queued as jobs that a
worker runs). Rows are read page by page (a package may be on thousands of DPs)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.changes import Result
from console.core.console_services import ConsoleServices
from console.core.distribution import ContentSummary, PackageOnDp
from console.core.errors import error_text
from console.ui.live import LiveRefresh
from console.ui.models.content_status_model import PagedRowsModel
from console.ui.models.dp_models import row_details
from console.ui.models.paged_model import RESIZE_PRECISION
from console.ui.propertysheet.form_builder import caption
from console.ui.propertysheet.view_keys import setup_table
from console.ui.tasks import TaskRunner

INFO_STYLE = "QLabel { background: palette(alternate-base); border: 1px solid palette(mid); padding: 6px; }"
ERROR_STYLE = "QLabel { background: #fde7e9; color: #6e0811; border: 1px solid #e6a3a9; padding: 6px; }"
MAX_COLUMN = 220
EMPTY_TEXT = "This boot image is not on any distribution point yet. Use Distribute Content to send it to some."


class ContentLocationsPanel(QWidget):
    """``changed(Changes)`` after an action was queued (the console refreshes what it shows)."""

    changed = Signal(object)
    #: the content change token read just before the first page of rows (worker thread -> GUI)
    _loaded_as_of = Signal(object)

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, package_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contentLocationsPanel")
        self._console = console
        self._tasks = tasks
        self._package_id = package_id
        self.confirmation: QMessageBox | None = None
        self.summary = QLabel(self)
        self.summary.setAccessibleName("Content status")
        self.summary.setWordWrap(True)
        self.groups = QLabel(self)
        self.groups.setAccessibleName("Distribution point groups")
        self.groups.setWordWrap(True)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search distribution points or errors")
        self.search.setAccessibleName("Search content locations")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.refresh)
        self.model = PagedRowsModel(tasks, "dp", self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Content locations")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_PRECISION)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_details())
        self.details = QLabel(self)
        self.details.setAccessibleName("Content location details")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.hide()
        self.model.page_loaded.connect(self._page_loaded)
        self.model.load_failed.connect(lambda text: self._show_banner(html.escape(text), ERROR_STYLE))
        self.banner = QLabel(self)
        self.banner.setObjectName("contentLocationsBanner")
        self.banner.setAccessibleName("Content locations message")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.hide()
        self.validate_button = self._button("&Validate", "Re-hash every file of the package on the selected "
                                            "distribution points and check that none is missing", self.validate)
        self.redistribute_button = self._button("Re&distribute", "Send every file of the package to the selected "
                                                "distribution points again (the repair)", self.redistribute)
        self.remove_button = self._button("&Remove…", "Delete the package from the selected distribution points",
                                          self.ask_remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.search, 1)
        buttons.addWidget(self.validate_button)
        buttons.addWidget(self.redistribute_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(caption("The distribution points that hold this boot image, or are to. Validate checks the "
                                 "files there; Redistribute sends them all again; Remove deletes them from the "
                                 "server. Each runs as a job in a worker process.", self))
        layout.addWidget(self.summary)
        layout.addWidget(self.groups)
        layout.addWidget(self.banner)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        self._update_buttons()
        self.model.rows_refreshed.connect(self._show_details)
        self.model.rows_refreshed.connect(self._update_buttons)
        # live while the tab is shown: states, bytes and errors follow the jobs
        self.live = LiveRefresh(self, tasks, console.content.change_token, self.follow_changes)
        # the rows are read while the tab may be hidden (the sheet loads every panel): what
        # changes after they were read is followed from the moment the tab is shown
        self._loaded_as_of.connect(self.live.expect, Qt.ConnectionType.QueuedConnection)

    def _button(self, text: str, tip: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # -- loading ---------------------------------------------------------------------------

    def follow_changes(self) -> None:
        """Something changed (the live poll): the rows loaded are read again in place (the
        selection stays) and the one-line summary with them."""
        self.model.refresh_rows(lambda row: (row.package_id, row.dp_name))
        self._summarize()

    def _summarize(self) -> None:
        content, pid = self._console.content, self._package_id
        self._tasks.run(lambda _ctx: (content.summary(pid), content.groups_of_package(pid)),
                        on_success=lambda r: self._summarized(*r) if isValid(self) else None,
                        on_error=lambda exc: self._show_banner(html.escape(error_text(exc)), ERROR_STYLE)
                        if isValid(self) else None,
                        description="")

    def refresh(self) -> None:
        content, pid, text = self._console.content, self._package_id, self.search.text().strip()

        def load(offset: int, limit: int) -> Sequence[PackageOnDp]:
            if offset == 0:  # the token first: a change after this read moves it for the next poll
                token = content.change_token()
                if isValid(self):
                    self._loaded_as_of.emit(token)
            return content.content_status(pid, text=text, offset=offset, limit=limit).items

        self.model.set_loader(load)
        self._summarize()

    def _summarized(self, summary: ContentSummary, groups: list[str]) -> None:
        self.summary.setText(summary.line() if summary.targeted else EMPTY_TEXT)
        self.groups.setText(f"Distribution point groups: {', '.join(groups)}" if groups else "")
        self.groups.setVisible(bool(groups))

    def _page_loaded(self, count: int) -> None:
        if count and count == self.model.rowCount():
            self.table.resizeColumnsToContents()
            for column in range(self.model.columnCount() - 1):
                self.table.setColumnWidth(column, min(self.table.columnWidth(column), MAX_COLUMN))
        self._update_buttons()
        self._show_details()

    def _show_details(self) -> None:
        index = self.table.currentIndex()
        row = self.model.entry(index.row()) if index.isValid() else None
        self.details.setText(row_details(row) if row is not None else "")
        self.details.setVisible(row is not None)

    def selected_dps(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [e.dp_name for e in (self.model.entry(r) for r in rows) if e is not None]

    def select_dps(self, *names: str) -> None:
        self.table.clearSelection()
        selection = QItemSelection()
        for row in range(self.model.rowCount()):
            entry = self.model.entry(row)
            if entry is not None and entry.dp_name in names:
                selection.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if not selection.isEmpty():
            self.table.selectionModel().setCurrentIndex(selection.indexes()[0], QItemSelectionModel.SelectionFlag.NoUpdate)

    def _update_buttons(self) -> None:
        chosen = bool(self.selected_dps())
        for button in (self.validate_button, self.redistribute_button, self.remove_button):
            button.setEnabled(chosen)

    # -- actions ---------------------------------------------------------------------------

    def validate(self) -> None:
        self._act("validate", "Validation")

    def redistribute(self) -> None:
        self._act("redistribute", "Redistribution")

    def ask_remove(self) -> None:
        names = self.selected_dps()
        if not names:
            return
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Content",
                          f"Remove {self._package_id} from {len(names)} distribution point(s)?", parent=self)
        box.setObjectName("removeContentConfirmation")
        box.setInformativeText(f"{shown}: the package's files are deleted there (files another package also "
                               "uses stay). Clients and PXE servers reading it there will no longer find it.")
        confirm = box.addButton("&Remove", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self.confirmation = None
            if box.clickedButton() is confirm and isValid(self):
                self._act("remove", "Removal")

        box.finished.connect(answered)
        self.confirmation = box
        box.open()

    def _act(self, action: str, what: str) -> None:
        names = self.selected_dps()
        if not names:
            return
        content, pid = self._console.content, self._package_id
        call: Callable[[str, Sequence[str]], Result[Any]] = getattr(content, action)
        self._show_banner(f"{what} of {html.escape(pid)} is being queued…", INFO_STYLE)
        self._tasks.run(lambda _ctx: call(pid, names),
                        on_success=lambda result: self._queued(result, what) if isValid(self) else None,
                        on_error=lambda exc: self._show_banner(html.escape(f"Nothing was queued: {error_text(exc)}"),
                                                               ERROR_STYLE) if isValid(self) else None,
                        description=f"{what} of {pid}")

    def _queued(self, result: Result[Any], what: str) -> None:
        queued = result.value
        dps = ", ".join(queued.dps)
        self._show_banner(html.escape(f"{what} queued for {dps} ({len(queued.context_ids)} job(s)); a worker "
                                      "runs it. The states below follow."), INFO_STYLE)
        self.changed.emit(result.changes)
        self.refresh()

    def _show_banner(self, text: str, style: str = ERROR_STYLE) -> None:
        self.banner.setStyleSheet(style)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
