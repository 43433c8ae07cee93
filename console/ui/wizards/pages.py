"""Wizard pages every console wizard shares: Summary, Progress (runs the service call), Completion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QTextBrowser, QVBoxLayout, QWidget, QWizard, QWizardPage

from console.core.errors import ConsoleError, ValidationError
from console.ui.tasks import TaskContext, TaskRunner


class SummaryPage(QWizardPage):
    """Shows what will happen (HTML from ``describe``) before anything is changed."""

    def __init__(self, describe: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Summary")
        self.setSubTitle("Check the settings. Nothing has been changed yet; Next applies them.")
        self._describe = describe
        self.text = QTextBrowser()
        self.text.setAccessibleName("Summary")
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)

    def initializePage(self) -> None:
        self.text.setHtml(self._describe())


class ProgressPage(QWizardPage):
    """Runs ``work`` in the background when shown. Errors are shown here; Back lets the user fix
    the input (nothing was changed, the services roll back on failure)."""

    succeeded = Signal(object)

    def __init__(self, tasks: TaskRunner, work: Callable[[TaskContext], Any], description: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Progress")
        self._tasks = tasks
        self._work = work
        self._description = description
        self._done = False
        self._running = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Progress message")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Progress")
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self._done = False
        self._running = True
        self.error = None
        self.setSubTitle(f"{self._description}…")
        self.status.setText(f"{self._description}…")
        self.status.setStyleSheet("")
        self.bar.setRange(0, 0)
        self.completeChanged.emit()
        self._lock_navigation(True)
        QTimer.singleShot(0, lambda: self._lock_navigation(self._running))  # after QWizard's own button update
        self._tasks.run(self._work, on_success=self._finished, on_error=self._failed,
                        on_progress=self._progress, description=self._description)

    def _lock_navigation(self, running: bool) -> None:
        """No Back or Cancel while the service call runs: it cannot be taken back half-way."""
        wizard = self.wizard()
        if wizard is not None:
            for button in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
                wizard.button(button).setEnabled(not running)

    def _progress(self, value: int, maximum: int, text: str) -> None:
        if maximum:
            self.bar.setRange(0, maximum)
            self.bar.setValue(value)
        if text:
            self.status.setText(text)

    def _finished(self, result: Any) -> None:
        self._running = False
        self._lock_navigation(False)
        self._done = True
        self.result = result
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.status.setText("Done.")
        self.completeChanged.emit()
        self.succeeded.emit(result)
        wizard = self.wizard()
        if wizard is not None:
            wizard.next()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self._lock_navigation(False)
        self.error = exc
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        if isinstance(exc, ValidationError):
            text = "\n".join(f"• {p.message}" for p in exc.problems)
        elif isinstance(exc, ConsoleError):
            text = exc.message
        else:
            text = f"Unexpected error: {type(exc).__name__}: {exc}"
        self.setSubTitle("The change was refused. Nothing was changed; go Back to correct it, or Cancel.")
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b;")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._done

    def validatePage(self) -> bool:
        return self._done


#: What a completion page says instead of advising steps the console cannot do yet.
NOT_BUILT_YET = ("<p>The change is saved with the boot image. The WIM file itself is not changed: "
                 "building customized boot images (and sending them to distribution points) is not "
                 "available in this console yet.</p>")


class CompletionPage(QWizardPage):
    def __init__(self, describe: Callable[[Any], str], progress: ProgressPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Completion")
        self._describe = describe
        self._progress = progress
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAccessibleName("Completion message")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addStretch(1)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        self.setSubTitle("The wizard completed successfully.")
        self.text.setText(self._describe(self._progress.result))
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)


class WizardBase(QWizard):
    """Common look: modern style, no help button, keyboard defaults."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.resize(780, 620)

    def done(self, result: int) -> None:
        # Cancelling while a service call runs must not close the wizard underneath it.
        progress = next((self.page(i) for i in self.pageIds() if isinstance(self.page(i), ProgressPage)), None)
        if isinstance(progress, ProgressPage) and progress._running:
            return
        super().done(result)
