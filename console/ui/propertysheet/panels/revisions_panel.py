"""Revisions tab: the package's content revisions, Compare (a diff view) and Roll back….

Every service call (list, diff, rollback) runs through ``TaskRunner``. Refusals of the
service (the current revision, a running build, a conflict...) appear in the tab's banner and
change nothing; after a roll back the dialog reads the package again (``rolled_back``).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.changes import Result
from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError, error_text
from console.core.revision_diff import RevisionDiff
from console.core.revision_types import Revision
from console.ui.dialogs.error_dialog import show_error
from console.ui.propertysheet.form_builder import caption
from console.ui.propertysheet.panels.revisions_diff import RevisionDiffDialog
from console.ui.propertysheet.panels.revisions_model import BY, CHANGES, SUMMARY, RevisionsModel, when_text
from console.ui.propertysheet.view_keys import setup_table
from console.ui.tasks import TaskRunner

INFO_STYLE = "QLabel { background: palette(alternate-base); border: 1px solid palette(mid); padding: 6px; }"
ERROR_STYLE = "QLabel { background: #fde7e9; color: #6e0811; border: 1px solid #e6a3a9; padding: 6px; }"
EMPTY_TEXT = ("This boot image has no revisions yet. Build the boot image (Update Distribution Points) "
              "to create its first revision.")


class RevisionsPanel(QWidget):
    """``expected_version`` gives the SedoObjectVersion the dialog read (a roll back is
    refused when the package changed since); ``busy`` tells the dialog a roll back runs;
    ``rolled_back`` carries the service's ``Result`` after a successful one."""

    busy = Signal(bool, str)
    rolled_back = Signal(object)

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, package_id: str,
                 expected_version: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("revisionsPanel")
        self._console = console
        self._tasks = tasks
        self._package_id = package_id
        self._expected_version = expected_version
        self._working = False
        self.diff_dialog: RevisionDiffDialog | None = None
        self.confirmation: QMessageBox | None = None

        self.banner = QLabel(self)
        self.banner.setObjectName("revisionsBanner")
        self.banner.setAccessibleName("Revisions message")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.banner.hide()
        self.empty = QLabel(EMPTY_TEXT, self)
        self.empty.setObjectName("revisionsEmpty")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(INFO_STYLE)
        self.empty.hide()
        self.model = RevisionsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Revisions")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_details())
        self.details = QLabel(self)
        self.details.setObjectName("revisionDetails")
        self.details.setAccessibleName("Revision details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.table.activated.connect(lambda _index: self.compare())

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Revisions status")
        self.compare_button = QPushButton("Co&mpare", self)
        self.compare_button.setObjectName("compareRevisions")
        self.compare_button.setToolTip("Show what differs between the two selected revisions, or between the "
                                       "selected revision and the current one")
        self.compare_button.clicked.connect(self.compare)
        self.rollback_button = QPushButton("&Roll back…", self)
        self.rollback_button.setObjectName("rollbackRevision")
        self.rollback_button.setToolTip("Make the selected revision current again, as a new revision")
        self.rollback_button.clicked.connect(self.ask_rollback)

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.rollback_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(caption("Each build of the boot image is kept as a revision in the site's content "
                                 "library (the newest ones, as many as the site keeps). Select one revision "
                                 "to compare it with the current one, or two to compare them; Roll back makes "
                                 "an older revision current again as a new revision.", self))
        layout.addWidget(self.banner)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addStretch(0)  # takes the room while there is no table (empty state)
        for label in (self.banner, self.empty, self.details):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._update_buttons()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the revisions in the background (the dialog calls this whenever it loaded)."""
        self.status.setText("Reading revisions…")
        pid = self._package_id
        self._tasks.run(
            lambda _task: self._console.revisions.revisions(pid),
            on_success=lambda revisions: self._listed(revisions) if isValid(self) else None,
            on_error=lambda exc: self._failed(exc, "The revisions cannot be read") if isValid(self) else None,
            description=f"Reading the revisions of {pid}",
        )

    def _listed(self, revisions: list[Revision]) -> None:
        self.model.set_revisions(revisions)
        self.empty.setVisible(not revisions)
        self.table.setVisible(bool(revisions))
        self.status.setText(f"{len(revisions)} revision{'s' if len(revisions) != 1 else ''}" if revisions else "")
        self._update_buttons()
        self._show_details()
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Short columns as wide as their contents; What changed takes the rest of the view
        (long texts are elided; the details below show them in full)."""
        self.table.resizeColumnsToContents()
        for col, cap in ((SUMMARY, 220), (BY, 200)):
            self.table.setColumnWidth(col, min(self.table.columnWidth(col), cap))
        used = sum(self.table.columnWidth(c) for c in range(CHANGES))
        room = self.table.viewport().width() - used - 2
        self.table.setColumnWidth(CHANGES, max(160, room))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.model.rowCount():
            self._fit_columns()

    def showEvent(self, event: QShowEvent) -> None:  # the tab was hidden while the list arrived
        super().showEvent(event)
        if self.model.rowCount():
            self._fit_columns()

    def _show_details(self) -> None:
        """The current row's summary and what changed, in full (the table elides them)."""
        revision = self.model.revision(self.table.currentIndex().row()) if self.table.currentIndex().isValid() else None
        if revision is None:
            self.details.setText("")
            self.details.setVisible(False)
            return
        head = (f"<b>Revision {revision.version}</b>{' (current)' if revision.current else ''}, built "
                f"{when_text(revision.created_at)} by {html.escape(revision.created_by)}: {html.escape(revision.summary)}")
        lines = [head]
        lines += [f"• {html.escape(change)}" for change in revision.changes]
        if not revision.recorded:
            lines.append("Stored, but its build never reached the database (it was interrupted); it cannot be "
                         "rolled back to.")
        self.details.setText("<br>".join(lines))
        self.details.setVisible(True)

    # -- selection -------------------------------------------------------------------------

    def selected(self) -> list[Revision]:
        """The selected revisions, newest first."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.revision(row) for row in rows) if r is not None]

    def select_versions(self, *versions: int) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, revision in enumerate(self.model.revisions()):
            if revision.version in versions:
                self.table.selectRow(row)  # also makes it the current row (its details show)
        self.table.setSelectionMode(mode)

    def comparison(self) -> tuple[int, int] | None:
        """(older, newer) for Compare: two selected revisions, or one and the current one (the
        current one alone: against the revision before it)."""
        chosen = self.selected()
        if len(chosen) == 2:
            a, b = sorted(r.version for r in chosen)
            return a, b
        if len(chosen) != 1:
            return None
        current = self.model.current()
        revision = chosen[0]
        if current is not None and current.version != revision.version:
            low, high = sorted((revision.version, current.version))
            return low, high
        older = [r.version for r in self.model.revisions() if r.version < revision.version]
        return (max(older), revision.version) if older else None

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.compare_button.setEnabled(not self._working and self.comparison() is not None)
        self.rollback_button.setEnabled(not self._working and len(chosen) == 1 and not chosen[0].current
                                        and chosen[0].recorded)

    # -- compare ---------------------------------------------------------------------------

    def compare(self) -> None:
        pair = self.comparison()
        if pair is None or self._working:
            return
        a, b = pair
        self._show_banner("")
        self.status.setText(f"Comparing revision {a} with revision {b}…")
        pid = self._package_id
        self._tasks.run(
            lambda _task: self._console.revisions.diff(pid, a, b),
            on_success=lambda diff: self._show_diff(diff) if isValid(self) else None,
            on_error=lambda exc: self._failed(exc, "The revisions cannot be compared") if isValid(self) else None,
            description=f"Comparing revisions {a} and {b} of {pid}",
        )

    def _show_diff(self, diff: RevisionDiff) -> None:
        self.status.setText("")
        if self.diff_dialog is not None and isValid(self.diff_dialog):
            self.diff_dialog.close()
        self.diff_dialog = RevisionDiffDialog(diff, self)
        self.diff_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.diff_dialog.show()

    # -- roll back -------------------------------------------------------------------------

    def ask_rollback(self) -> None:
        """Ask first (window-modal, without blocking): which revision becomes current, as
        which new version, and that distribution points will receive it."""
        chosen = self.selected()
        if len(chosen) != 1 or chosen[0].current or self._working:
            return
        target = chosen[0]
        current = self.model.current()
        newest = max(r.version for r in self.model.revisions())
        now = f"revision {current.version}" if current is not None else "no revision"
        box = QMessageBox(QMessageBox.Icon.Question, "Roll back",
                          f"Roll back {self._package_id} to revision {target.version}?", parent=self)
        box.setObjectName("rollbackConfirmation")
        box.setInformativeText(
            f"The content of revision {target.version} (built {when_text(target.created_at)} by "
            f"{target.created_by}; {target.summary or 'no summary'}) becomes current as a new revision "
            f"{newest + 1}, replacing {now}.\n\nDistribution points will receive it as a new version of "
            f"the content. {now.capitalize()} stays in the list of revisions. The package's properties are "
            "not changed: the next build uses them.")
        confirm = box.addButton("&Roll back", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(_result: int) -> None:
            self.confirmation = None
            if box.clickedButton() is confirm and isValid(self):
                self.rollback(target.version)

        box.finished.connect(answered)
        self.confirmation = box
        box.open()

    def rollback(self, version: int) -> None:
        """Roll back to ``version`` (no question asked; ``ask_rollback`` asks first)."""
        if self._working:
            return
        self._set_working(True, f"Rolling back to revision {version}…")
        self._show_banner("")
        pid, expected = self._package_id, self._expected_version()
        self._tasks.run(
            lambda _task: self._console.revisions.rollback(pid, version, expected_version=expected),
            on_success=lambda result: self._rolled_back(result, version) if isValid(self) else None,
            on_error=lambda exc: self._rollback_failed(exc) if isValid(self) else None,
            description=f"Rolling back {pid} to revision {version}",
        )

    def _rolled_back(self, result: Result[Revision], version: int) -> None:
        self._set_working(False, "")
        notes = [n.removeprefix("note: ") for n in result.changes.notes if n.startswith(("note: ", "warning: "))]
        text = (f"Revision {version} is current again as revision {result.value.version}; distribution points "
                "will receive it as a new version.")
        self._show_banner("<br>".join(html.escape(t) for t in (text, *notes)), INFO_STYLE)
        self.rolled_back.emit(result)  # the dialog reads the package again, and with it the revisions

    def _rollback_failed(self, exc: BaseException) -> None:
        self._set_working(False, "")
        self._failed(exc, "Nothing was rolled back")

    # -- state -----------------------------------------------------------------------------

    def _failed(self, exc: BaseException, what: str) -> None:
        self.status.setText("")
        self._show_banner(html.escape(f"{what}: {error_text(exc)}"), ERROR_STYLE)
        if not isinstance(exc, ConsoleError | OSError):
            show_error(self, exc)

    def _set_working(self, working: bool, text: str) -> None:
        self._working = working
        self.status.setText(text)
        self.busy.emit(working, text)
        self._update_buttons()

    def _show_banner(self, text: str, style: str = ERROR_STYLE) -> None:
        self.banner.setStyleSheet(style)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
