"""The distribution half of Update Distribution Points: after the build, every distribution
point of the package receives the new version (the build job queues it); this widget shows
the package's DPs with their state, version, progress and error, read every second while it
is shown (the first ``SHOWN`` rows; the summary line counts all of them)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QTableView, QVBoxLayout, QWidget
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.distribution import ContentSummary, PackageOnDp
from console.core.errors import error_text
from console.ui.models.dp_models import PackageOnDpModel
from console.ui.propertysheet.view_keys import setup_table
from console.ui.tasks import TaskRunner

POLL_MS = 1000
SHOWN = 50
NO_DPS = ("This boot image is not on any distribution point yet, so the build is not sent anywhere. "
          "Use Distribute Content to send it to distribution points.")


class DpStatesView(QWidget):
    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner, poll: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.package_id = package_id
        self.tasks = tasks
        self.poll = poll
        self.summary: ContentSummary | None = None
        self._reading = False
        self.title = QLabel("Distribution points")
        self.title.setObjectName("sectionTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.line = QLabel("Reading the distribution points of this boot image…")
        self.line.setWordWrap(True)
        self.line.setAccessibleName("Distribution status")
        self.model = PackageOnDpModel("dp", self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Distribution points of the boot image")
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.line)
        layout.addWidget(self.table, 1)
        layout.addStretch(0)  # takes the room while there is no table
        for label in (self.title, self.line):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.refresh)

    def refresh(self) -> None:
        if self._reading:
            return
        self._reading = True
        content, pid = self.console.content, self.package_id
        self.tasks.run(lambda _ctx: (content.summary(pid), content.content_status(pid, limit=SHOWN).items),
                       on_success=lambda r: self._show(*r) if isValid(self) else None,
                       on_error=lambda exc: self._failed(exc) if isValid(self) else None, description="")

    def _show(self, summary: ContentSummary, rows: list[PackageOnDp]) -> None:
        self._reading = False
        self.summary = summary
        self.line.setText(summary.line() + "." if summary.targeted else NO_DPS)
        first = not self.model.rowCount()
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        if first and rows:
            self.table.resizeColumnsToContents()
        if self.poll and self.isVisible():
            self.timer.start(POLL_MS)

    def _failed(self, exc: BaseException) -> None:
        self._reading = False
        self.line.setText(f"The distribution status cannot be read: {error_text(exc)}")
        if self.poll and self.isVisible():
            self.timer.start(POLL_MS * 4)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()
