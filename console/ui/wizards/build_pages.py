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

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget, QWizard, QWizardPage
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.jobs import Job, JobState
from console.ui.tasks import TaskRunner
from console.ui.wizards.dp_states import DpStatesView
from console.ui.wizards.job_progress_page import JobPageText, JobProgressPage

STEP_NAMES = {"preflight": "Pre-flight checks", "export": "Exporting the image", "customize": "Applying the customizations",
              "verify": "Verifying the built image", "record": "Recording the new revision"}
KEEPS_RUNNING = ("The build runs as a job in a worker process, not in this window: closing the wizard (or the console) "
                 "does not stop it, nor the updates of the distribution points that follow it. Follow it in "
                 "Monitoring › Jobs; the status bar tells you when it ends.")
THEN_UPDATE = ("The distribution points of this boot image, listed below, now receive the new revision (one job per "
               "distribution point; only changed files travel, each verified by its hash there). Follow them here "
               "or in Monitoring › Distribution Status › Content Status.")


class BuildProgressPage(JobProgressPage):
    """Queues the build (``console.packages.update_image``) and follows it; below, the states of
    the distribution points that receive the new revision once it succeeded."""

    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner,
                 reload_from_adk: Callable[[], bool], parent: QWidget | None = None) -> None:
        super().__init__(console, tasks, JobPageText(
            subtitle="Building the boot image.", noun="build", step_names=STEP_NAMES, keeps_running=KEEPS_RUNNING,
            cancel_label="Cancel &Build",
            cancel_tooltip="Ask the worker to stop the build at its next checkpoint; the boot image stays as it was",
            accessible="Build"), parent)
        self.package_id = package_id
        self._reload = reload_from_adk
        self.cancel_build = self.cancel_button
        self.distribution = DpStatesView(console, package_id, tasks)
        self.distribution.title.setText("Distribution points (updated once the build succeeded)")
        self.page_layout.addWidget(self.distribution, 1)

    def queuer(self) -> Callable[[], str]:
        package_id, reload = self.package_id, self._reload()
        return lambda: str(self.console.packages.update_image(package_id, reload_from_adk=reload).value)


@dataclass(frozen=True)
class Outcome:
    job: Job
    revision: Any  # console.core.revision_types.Revision of the version built, if readable
    dps: int | None = None  # distribution points the boot image is on (None: not read)


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
            return Outcome(job, found, self.console.content.summary(self.package_id).targeted)

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
        if outcome.dps != 0:  # with none, the list below says the revision is sent nowhere
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
