"""The Update Distribution Points wizard's Progress and Completion pages.

Progress queues the build (``console.packages.update_image``: a ``build`` job that a worker
process runs) and follows the job by reading its record in the background every half second.
The wizard never runs the build itself: closing it leaves the job running. Completion shows
the revision built (from the job's step results and the package's revisions) or the job's
error with its cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget, QWizard, QWizardPage
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.jobs import Job, JobState
from console.ui.models.jobs_model import percent
from console.ui.tasks import TaskRunner
from console.ui.wizards.dp_states import DpStatesView

POLL_MS = 500
STEP_NAMES = {"preflight": "Pre-flight checks", "export": "Exporting the image", "customize": "Applying the customizations",
              "verify": "Verifying the built image", "record": "Recording the new revision"}
KEEPS_RUNNING = ("The build runs as a job in a worker process, not in this window: closing the wizard (or the console) "
                 "does not stop it, nor the updates of the distribution points that follow it. Follow it in "
                 "Monitoring › Jobs; the status bar tells you when it ends.")
THEN_UPDATE = ("The distribution points of this boot image, listed below, now receive the new revision (one job per "
               "distribution point; only changed files travel, each verified by its hash there). Follow them here "
               "or in Monitoring › Distribution Status › Content Status.")


def _message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        problems = getattr(exc, "problems", None)
        return "; ".join(p.message for p in problems) if problems else exc.message
    return f"{type(exc).__name__}: {exc}"


class BuildProgressPage(QWizardPage):
    """``queued(context_id)`` once the job is in the queue; ``ended`` when it finished."""

    queued = Signal(str)
    ended = Signal()

    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner,
                 reload_from_adk: Callable[[], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.package_id = package_id
        self.tasks = tasks
        self._reload = reload_from_adk
        self.context_id = ""
        self.job: Job | None = None
        self.queue_error = ""
        self._polling = False
        self.setTitle("Progress")
        self.setSubTitle("Building the boot image.")
        self.step = QLabel("Queuing the build…")
        self.step.setAccessibleName("Build step")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Build progress")
        self.bar.setRange(0, 0)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Build progress text")
        self.context = QLabel()
        self.context.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.context.setAccessibleName("Job ContextID")
        self.cancel_build = QPushButton("Cancel &Build")
        self.cancel_build.setToolTip("Ask the worker to stop the build at its next checkpoint; the boot image stays as it was")
        self.cancel_build.setEnabled(False)
        self.cancel_build.clicked.connect(self._cancel)
        note = QLabel(KEEPS_RUNNING)
        note.setWordWrap(True)
        note.setObjectName("hint")
        self.note = note
        row = QHBoxLayout()
        row.addWidget(self.context, 1)
        row.addWidget(self.cancel_build)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(note)
        self.distribution = DpStatesView(console, package_id, tasks)
        self.distribution.title.setText("Distribution points (updated once the build succeeded)")
        layout.addWidget(self.distribution, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._poll)

    def initializePage(self) -> None:
        QTimer.singleShot(0, self._no_back)  # after QWizard's own button update
        if self.context_id:
            return
        self.queue_error = ""
        self.step.setText("Queuing the build…")
        self.bar.setRange(0, 0)
        self.text.setText("")
        self.text.setStyleSheet("")
        self.note.show()
        reload = self._reload()
        self.tasks.run(lambda _ctx: self.console.packages.update_image(self.package_id, reload_from_adk=reload).value,
                       on_success=lambda cid: self._queued(cid) if isValid(self) else None,
                       on_error=lambda exc: self._queue_failed(exc) if isValid(self) else None,
                       description="Queuing the build")

    def _no_back(self) -> None:
        """The build is queued: Back cannot take it back (Cancel Build can)."""
        wizard = self.wizard() if isValid(self) else None
        if wizard is not None and wizard.currentPage() is self:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _queued(self, context_id: str) -> None:
        self.context_id = context_id
        self.context.setText(f"Job {context_id}")
        self.cancel_build.setEnabled(True)
        self.queued.emit(context_id)
        self._poll()

    def _queue_failed(self, exc: BaseException) -> None:
        self.queue_error = _message(exc)
        self.step.setText("The build could not be queued.")
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
        self.text.setText(f"The job's progress could not be read ({_message(exc)}); trying again.")
        self.timer.start(POLL_MS * 4)

    def _show(self, job: Job | None) -> None:
        self._polling = False
        if job is None:
            self.step.setText("The job's record is gone (deleted in Monitoring › Jobs or by `bootimage job delete`).")
            self.bar.setRange(0, 1)
            self.cancel_build.setEnabled(False)
            return
        self.job = job
        if job.state == JobState.QUEUED:
            self.step.setText("Queued: waiting for a worker…" if not job.attempts else "Queued again: waiting for a worker…")
            self.bar.setRange(0, 0)
        else:
            self.step.setText(STEP_NAMES.get(job.step, job.step or "Starting"))
            value = percent(job)
            if value < 0:
                self.bar.setRange(0, 0)
            else:
                self.bar.setRange(0, 100)
                self.bar.setValue(value)
        self.text.setText(job.progress_text)
        self.cancel_build.setEnabled(not job.finished and not job.cancel_requested)
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
        self.cancel_build.setEnabled(False)
        self.tasks.run(lambda _ctx: self.console.jobs.cancel(cid),
                       on_success=lambda _r: self._poll() if isValid(self) else None,
                       on_error=lambda exc: self.text.setText(_message(exc)) if isValid(self) else None, description="")

    def isComplete(self) -> bool:
        return self.job is not None and self.job.finished

    def cleanupPage(self) -> None:
        self.timer.stop()


@dataclass(frozen=True)
class Outcome:
    job: Job
    revision: Any  # console.core.revision_types.Revision of the version built, if readable


class BuildCompletionPage(QWizardPage):
    """The result: the revision built, how long it took and what changed, or the error."""

    loaded = Signal()

    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner, progress: BuildProgressPage,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.package_id = package_id
        self.tasks = tasks
        self.progress = progress
        self.setTitle("Completion")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAccessibleName("Completion message")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.distribution = DpStatesView(console, package_id, tasks)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.distribution, 1)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(False)
        job = self.progress.job
        if job is None:
            return
        if job.state != JobState.SUCCEEDED:
            self._show(Outcome(job, None))
            return
        self.text.setText("Reading the new revision…")
        revisions = getattr(self.console, "revisions", None)

        def read(_ctx: object) -> Outcome:
            record = job.step_results.get("record") or {}
            version = record.get("version") if isinstance(record, dict) else None
            found = None
            if revisions is not None and version is not None:
                found = next((r for r in revisions.revisions(self.package_id) if r.version == version), None)
            return Outcome(job, found)

        self.tasks.run(read, on_success=lambda o: self._show(o) if isValid(self) else None,
                       on_error=lambda _exc: self._show(Outcome(job, None)) if isValid(self) else None, description="")

    def _show(self, outcome: Outcome) -> None:
        self.text.setText(describe_outcome(outcome))
        job = outcome.job
        self.setSubTitle({JobState.SUCCEEDED: "The boot image was built.",
                          JobState.CANCELLED: "The build was cancelled.",
                          }.get(job.state, "The build failed."))
        self.loaded.emit()


def describe_outcome(outcome: Outcome) -> str:
    job = outcome.job
    seconds = (job.finished_at - job.started_at).total_seconds() if job.finished_at and job.started_at else None
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    if job.state == JobState.SUCCEEDED:
        record = job.step_results.get("record") or {}
        version = record.get("version") if isinstance(record, dict) else None
        summary = str(record.get("summary") or "") if isinstance(record, dict) else ""
        parts = [(f"<p><b>Built revision {escape(str(version))}</b> of {escape(job.package_id or '')}{took} "
                  f"(finished {escape(_local(job.finished_at))}).</p>")]
        if summary:
            parts.append(f"<p>Customizations: {escape(summary)}</p>")
        revision = outcome.revision
        if revision is not None and revision.changes:
            parts.append("<p>What changed:</p><ul>" + "".join(f"<li>{escape(c)}</li>" for c in revision.changes) + "</ul>")
        if revision is not None:
            parts.append(f"<p>Size: {revision.size / 1024 / 1024:,.1f} MB. Earlier revisions are kept in the content "
                         "library (Properties › Revisions; <code>bootimage rollback</code>).</p>")
        warnings = (job.step_results.get("preflight") or {}).get("warnings") or []
        if warnings:
            parts.append("<p>Pre-flight warnings:</p><ul>" + "".join(f"<li>{escape(str(w))}</li>" for w in warnings) + "</ul>")
        parts.append(f"<p>{escape(THEN_UPDATE)}</p>")
        return "".join(parts)
    where = f" in step {escape(STEP_NAMES.get(job.step, job.step))}" if job.step else ""
    if job.state == JobState.CANCELLED:
        return (f"<p><b>The build was cancelled</b>{where}{took}.</p><p>The boot image was not changed: its current "
                "image and revision stay as they were.</p>")
    cause = job.extended_error_info or job.progress_text or "no cause was recorded"
    return (f"<p style='color:#c0392b'><b>The build failed</b>{where} (error {job.error_code}):</p>"
            f"<p>{escape(cause)}</p><p>The boot image was not changed: its current image and revision stay as they "
            "were. Fix the cause and run the wizard again, or retry the job in Monitoring › Jobs.</p>")


def _local(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""
