"""Import Driver: the page that scans the folder for INF files in the background.

Nothing is written while scanning. Back or Cancel stops the scan; when it ends the wizard moves
on to the findings by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget, QWizardPage

from console.core.console_services import ConsoleServices
from console.core.drivers import ScanResult
from console.core.errors import ConsoleError
from console.ui.tasks import Task, TaskContext, TaskRunner

ERROR_STYLE = "color: #c0392b;"


class ScanPage(QWizardPage):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, folder: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Scanning")
        self._console = console
        self._tasks = tasks
        self._folder = folder
        self._task: Task | None = None
        self._token: object | None = None
        self.result: ScanResult | None = None
        self.error: BaseException | None = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Scan status")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Scan progress")
        self.bar.setFormat("%v of %m INF files")
        self.current = QLabel()
        self.current.setObjectName("hint")
        self.current.setAccessibleName("Current file")
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel("Nothing is imported yet: the INF files are only read. Cancel stops the scan.")
        note.setWordWrap(True)
        note.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.current)
        layout.addStretch(1)
        layout.addWidget(note)

    @property
    def running(self) -> bool:
        return self._task is not None

    def initializePage(self) -> None:
        folder = self._folder()
        self.result = None
        self.error = None
        self.setSubTitle(f"Reading every INF file in {folder} and its subfolders…")
        self.status.setText("Looking for INF files…")
        self.status.setStyleSheet("")
        self.current.clear()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        drivers = self._console.drivers

        def scan(ctx: TaskContext) -> ScanResult:
            return drivers.scan(folder, progress=lambda done, total, path: ctx.report(done, total, path),
                                cancelled=lambda: ctx.cancelled)

        # Results of a cancelled scan (Back, Cancel) are dropped: only the current scan counts.
        token = object()
        self._token = token
        self._task = self._tasks.run(
            scan, on_success=lambda result: self._finished(token, result), on_error=lambda exc: self._failed(token, exc),
            on_progress=lambda *args: self._progress(token, *args), description=f"Scanning {folder} for drivers",
            cancellable=True)
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._token = None

    def _progress(self, token: object, done: int, total: int, path: str) -> None:
        if token is not self._token:
            return
        if total:
            self.bar.setTextVisible(True)
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.status.setText("Reading the INF files…" if done < total else "Checking the driver catalog for duplicates…")
        if path:
            metrics = self.current.fontMetrics()
            self.current.setText(metrics.elidedText(path, Qt.TextElideMode.ElideMiddle, max(self.current.width(), 200)))
            self.current.setToolTip(path)

    def _finished(self, token: object, result: ScanResult) -> None:
        if token is not self._token or result.cancelled:
            return
        self._task = None
        self.result = result
        self.completeChanged.emit()
        wizard = self.wizard()
        if wizard is not None:
            wizard.next()

    def _failed(self, token: object, exc: BaseException) -> None:
        if token is not self._token:
            return
        self._task = None
        self.error = exc
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(False)
        self.setSubTitle("The folder cannot be scanned. Go Back to choose another folder, or Cancel.")
        self.status.setText(exc.message if isinstance(exc, ConsoleError) else f"Unexpected error: {type(exc).__name__}: {exc}")
        self.status.setStyleSheet(ERROR_STYLE)

    def isComplete(self) -> bool:
        return self.result is not None
