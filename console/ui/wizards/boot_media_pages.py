"""The Create Boot Media wizard's Progress and Completion pages.

Progress queues the ``media`` job (``console.media.create``) and follows it by reading its
record in the background every half second; closing the wizard leaves the job running.
Completion names the file written, or the job's error.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.jobs import Job, JobState
from console.core.services.boot_media import MediaRequest
from console.ui.models.jobs_model import percent
from console.ui.tasks import TaskRunner

POLL_MS = 500
STEP_NAMES = {"preflight": "Pre-flight checks", "image": "Taking the image from the content library",
              "prestart": "Making the medium's copy of the image with its prestart command",
              "layout": "Extracting the boot files", "write": "Writing the medium"}
KEEPS_RUNNING = ("The medium is written by a job in a worker process: closing the wizard (or the console) does not "
                 "stop it. Follow it in Monitoring › Jobs.")


def message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        problems = getattr(exc, "problems", None)
        return "; ".join(p.message for p in problems) if problems else exc.message
    return f"{type(exc).__name__}: {exc}"


class MediaProgressPage(QWizardPage):
    """Queues the job (``console.media.create``) and follows it; ``ended`` when it finished."""

    queued = Signal(str)
    ended = Signal()

    def __init__(self, console: ConsoleServices, request: Callable[[], MediaRequest], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self._request = request
        self.tasks = tasks
        self.context_id = ""
        self.job: Job | None = None
        self.queue_error = ""
        self._polling = False
        self.setTitle("Progress")
        self.setSubTitle("Writing the boot medium.")
        self.step = QLabel("Queuing the medium…")
        self.step.setAccessibleName("Media step")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Media progress")
        self.bar.setRange(0, 0)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.context = QLabel()
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_job = QPushButton("Cancel &Media")
        self.cancel_job.setToolTip("Ask the worker to stop; the partly written file is removed")
        self.cancel_job.setEnabled(False)
        self.cancel_job.clicked.connect(self._cancel)
        note = QLabel(KEEPS_RUNNING)
        note.setWordWrap(True)
        note.setObjectName("hint")
        row = QHBoxLayout()
        row.addWidget(self.context, 1)
        row.addWidget(self.cancel_job)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(note)
        layout.addStretch(1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._poll)

    def initializePage(self) -> None:
        QTimer.singleShot(0, self._no_back)
        if self.context_id:
            return
        request = self._request()
        self.tasks.run(lambda _ctx: self.console.media.create(request).value,
                       on_success=lambda cid: self._queued(cid) if isValid(self) else None,
                       on_error=lambda exc: self._queue_failed(exc) if isValid(self) else None,
                       description="Queuing the boot medium")

    def _no_back(self) -> None:
        wizard = self.wizard() if isValid(self) else None
        if wizard is not None and wizard.currentPage() is self and not self.queue_error:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _queued(self, context_id: str) -> None:
        self.context_id = context_id
        self.context.setText(f"Job {context_id}")
        self.cancel_job.setEnabled(True)
        self.queued.emit(context_id)
        self._poll()

    def _queue_failed(self, exc: BaseException) -> None:
        self.queue_error = message(exc)
        self.step.setText("The medium could not be queued.")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.text.setText(self.queue_error)
        self.text.setStyleSheet("color: #c0392b;")
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(True)

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
            self.step.setText("The job's record is gone (deleted in Monitoring › Jobs).")
            self.cancel_job.setEnabled(False)
            return
        self.job = job
        if job.state == JobState.QUEUED:
            self.step.setText("Queued: waiting for a worker…")
            self.bar.setRange(0, 0)
        else:
            self.step.setText(STEP_NAMES.get(job.step, job.step or "Starting"))
            value = percent(job)
            self.bar.setRange(0, 0 if value < 0 else 100)
            if value >= 0:
                self.bar.setValue(value)
        self.text.setText(job.progress_text)
        self.cancel_job.setEnabled(not job.finished and not job.cancel_requested)
        if job.finished:
            self.bar.setRange(0, 100)
            self.bar.setValue(100 if job.state == JobState.SUCCEEDED else self.bar.value())
            self.completeChanged.emit()
            self.ended.emit()
            wizard = self.wizard()
            if wizard is not None and wizard.currentPage() is self:
                wizard.next()
            return
        self.timer.start(POLL_MS)

    def _cancel(self) -> None:
        cid = self.context_id
        self.cancel_job.setEnabled(False)
        self.tasks.run(lambda _ctx: self.console.jobs.cancel(cid),
                       on_success=lambda _r: self._poll() if isValid(self) else None,
                       on_error=lambda exc: self.text.setText(message(exc)) if isValid(self) else None, description="")

    def isComplete(self) -> bool:
        return self.job is not None and self.job.finished

    def cleanupPage(self) -> None:
        self.timer.stop()


class MediaCompletionPage(QWizardPage):
    def __init__(self, progress: MediaProgressPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = progress
        self.setTitle("Completion")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAccessibleName("Completion message")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QGridLayout(self)
        layout.addWidget(self.text, 0, 0)
        layout.setRowStretch(1, 1)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)
        job = self.progress.job
        if job is None:
            return
        self.text.setText(describe_media_outcome(job))
        self.setSubTitle({JobState.SUCCEEDED: "The boot medium was written.",
                          JobState.CANCELLED: "The boot medium was cancelled."}.get(job.state, "The boot medium failed."))


def describe_media_outcome(job: Job) -> str:
    if job.state == JobState.SUCCEEDED:
        result = job.step_results.get("write") or {}
        output = str(result.get("output") or "")
        size = int(result.get("size") or 0)
        version = (job.step_results.get("preflight") or {}).get("version")
        prestart = job.payload.get("prestart_command")
        parts = [(f"<p><b>Wrote {escape(output)}</b> ({size / 1024 / 1024:,.1f} MB) from version "
                 f"{escape(str(version))} of {escape(job.package_id or '')}.</p>")]
        if prestart is not None:
            parts.append(f"<p>Prestart command on this medium: <b>{escape(str(prestart))}</b>. The boot image and its "
                         "revisions were not changed.</p>")
        parts.append("<p>ISO: boot a virtual machine from it or burn it. Disk image: write it to a USB stick, e.g. "
                     "<code>dd if=FILE of=/dev/sdX bs=4M conv=fsync</code> (all data on the stick is lost).</p>")
        return "".join(parts)
    where = f" in step {escape(STEP_NAMES.get(job.step, job.step))}" if job.step else ""
    if job.state == JobState.CANCELLED:
        return f"<p><b>The medium was cancelled</b>{where}. No partly written file is left behind.</p>"
    cause = job.extended_error_info or job.progress_text or "no cause was recorded"
    return (f"<p style='color:#c0392b'><b>The medium failed</b>{where} (error {job.error_code}):</p>"
            f"<p>{escape(cause)}</p><p>No partly written file is left behind. Fix the cause and run the wizard "
            "again, or retry the job in Monitoring › Jobs.</p>")
