"""A wizard's Progress page for a job a worker process runs (a build, a boot medium).

The page queues the job when first shown (``queue_job``, on a worker thread), then follows it by
reading its record in the background every half second; the wizard never runs the job itself,
so closing it leaves the job running. Back is off once the job is queued (its Cancel button
stops it instead); a job that could not be queued says why and lets Back return to the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget, QWizard, QWizardPage
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.jobs import Job, JobState
from console.ui.models.jobs_model import percent
from console.ui.tasks import TaskRunner

POLL_MS = 500


def message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        problems = getattr(exc, "problems", None)
        return "; ".join(p.message for p in problems) if problems else exc.message
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class JobPageText:
    """What a job's Progress page says: ``noun`` names the job ("build", "medium")."""

    subtitle: str
    noun: str
    step_names: dict[str, str]
    keeps_running: str
    cancel_label: str
    cancel_tooltip: str
    accessible: str  # "Build", "Media": accessible names of the step label and progress bar


class JobProgressPage(QWizardPage):
    """``queued(context_id)`` once the job is in the queue; ``ended`` when it finished."""

    queued = Signal(str)
    ended = Signal()

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, text: JobPageText,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self._text = text
        self.context_id = ""
        self.job: Job | None = None
        self.queue_error = ""
        self._polling = False
        self.setTitle("Progress")
        self.setSubTitle(text.subtitle)
        self.step = QLabel(f"Queuing the {text.noun}…")
        self.step.setAccessibleName(f"{text.accessible} step")
        self.bar = QProgressBar()
        self.bar.setAccessibleName(f"{text.accessible} progress")
        self.bar.setRange(0, 0)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName(f"{text.accessible} progress text")
        self.context = QLabel()
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.context.setAccessibleName("Job ContextID")
        self.cancel_button = QPushButton(text.cancel_label)
        self.cancel_button.setToolTip(text.cancel_tooltip)
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self._cancel)
        self.note = QLabel(text.keeps_running)
        self.note.setWordWrap(True)
        self.note.setObjectName("hint")
        row = QHBoxLayout()
        row.addWidget(self.context, 1)
        row.addWidget(self.cancel_button)
        self.page_layout = QVBoxLayout(self)
        self.page_layout.addWidget(self.step)
        self.page_layout.addWidget(self.bar)
        self.page_layout.addWidget(self.text)
        self.page_layout.addLayout(row)
        self.page_layout.addSpacing(12)
        self.page_layout.addWidget(self.note)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._poll)

    def queuer(self) -> Callable[[], str]:
        """Called on the GUI thread (it reads the wizard's input): a function that queues the
        job on a worker thread and returns its ContextID."""
        raise NotImplementedError

    def initializePage(self) -> None:
        QTimer.singleShot(0, self._no_back)  # after QWizard's own button update
        if self.context_id:
            return
        self.queue_error = ""
        self.step.setText(f"Queuing the {self._text.noun}…")
        self.bar.setRange(0, 0)
        self.text.setText("")
        self.text.setStyleSheet("")
        self.note.show()
        queue = self.queuer()
        self.tasks.run(lambda _ctx: queue(),
                       on_success=lambda cid: self._queued(cid) if isValid(self) else None,
                       on_error=lambda exc: self._queue_failed(exc) if isValid(self) else None,
                       description=f"Queuing the {self._text.noun}")

    def _no_back(self) -> None:
        """The job is queued: Back cannot take it back (the Cancel button can)."""
        wizard = self.wizard() if isValid(self) else None
        if wizard is not None and wizard.currentPage() is self and not self.queue_error:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _queued(self, context_id: str) -> None:
        self.context_id = context_id
        self.context.setText(f"Job {context_id}")
        self.cancel_button.setEnabled(True)
        self.queued.emit(context_id)
        self._poll()

    def _queue_failed(self, exc: BaseException) -> None:
        self.queue_error = message(exc)
        self.step.setText(f"The {self._text.noun} could not be queued.")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.text.setText(self.queue_error)
        self.text.setStyleSheet("color: #c0392b;")
        self.note.hide()
        wizard = self.wizard()
        if wizard is not None:  # nothing was queued: Back to the summary is safe
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(True)
        self.completeChanged.emit()

    def _poll(self) -> None:
        if self._polling or not self.context_id:
            return
        self._polling = True
        cid = self.context_id
        self.tasks.run(lambda _ctx: self.console.jobs.find(cid),
                       on_success=lambda job: self._show(job) if isValid(self) else None,
                       on_error=lambda exc: self._poll_failed(exc) if isValid(self) else None, description="")

    def _poll_failed(self, exc: BaseException) -> None:
        self._polling = False
        self.text.setText(f"The job's progress could not be read ({message(exc)}); trying again.")
        self.timer.start(POLL_MS * 4)

    def _show(self, job: Job | None) -> None:
        self._polling = False
        if job is None:
            self.step.setText("The job's record is gone (deleted in Monitoring › Jobs or by `bootimage job delete`).")
            self.bar.setRange(0, 1)
            self.cancel_button.setEnabled(False)
            return
        self.job = job
        if job.state == JobState.QUEUED:
            self.step.setText("Queued: waiting for a worker…" if not job.attempts else "Queued again: waiting for a worker…")
            self.bar.setRange(0, 0)
        else:
            self.step.setText(self._text.step_names.get(job.step, job.step or "Starting"))
            value = percent(job)
            self.bar.setRange(0, 0 if value < 0 else 100)
            if value >= 0:
                self.bar.setValue(value)
        self.text.setText(job.progress_text)
        self.cancel_button.setEnabled(not job.finished and not job.cancel_requested)
        if job.finished:
            self.bar.setRange(0, 100)
            self.bar.setValue(100 if job.state == JobState.SUCCEEDED else self.bar.value())
            self.completeChanged.emit()
            self.ended.emit()  # the console refreshes what the job changed (starts its reads)
            # the Completion page on the next turn of the event loop: the two bursts of GUI work
            # the job's end brings (~10–20 ms each while a worker competes) never add up
            QTimer.singleShot(0, self._advance)
            return
        self.timer.start(POLL_MS)

    def _advance(self) -> None:
        wizard = self.wizard() if isValid(self) else None
        if wizard is not None and wizard.currentPage() is self:
            wizard.next()

    def _cancel(self) -> None:
        cid = self.context_id
        self.cancel_button.setEnabled(False)
        self.tasks.run(lambda _ctx: self.console.jobs.cancel(cid),
                       on_success=lambda _r: self._poll() if isValid(self) else None,
                       on_error=lambda exc: self.text.setText(message(exc)) if isValid(self) else None, description="")

    def isComplete(self) -> bool:
        return self.job is not None and self.job.finished

    def cleanupPage(self) -> None:
        self.timer.stop()
