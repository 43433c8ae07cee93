"""The Create Boot Media wizard's Progress and Completion pages.

Progress queues the ``media`` job (``console.media.create``) and follows it by reading its
record in the background every half second; closing the wizard leaves the job running.
Completion names the file written, or the job's error.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.core.console_services import ConsoleServices
from console.core.jobs import Job, JobState
from console.core.services.boot_media import MediaRequest
from console.ui.tasks import TaskRunner
from console.ui.wizards.job_progress_page import JobPageText, JobProgressPage

STEP_NAMES = {"preflight": "Pre-flight checks", "image": "Taking the image from the content library",
              "prestart": "Making the medium's copy of the image with its prestart command",
              "layout": "Extracting the boot files", "write": "Writing the medium"}
KEEPS_RUNNING = ("The medium is written by a job in a worker process: closing the wizard (or the console) does not "
                 "stop it. Follow it in Monitoring › Jobs.")


class MediaProgressPage(JobProgressPage):
    """Queues the job (``console.media.create``) and follows it; ``ended`` when it finished."""

    def __init__(self, console: ConsoleServices, request: Callable[[], MediaRequest], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(console, tasks, JobPageText(
            subtitle="Writing the boot medium.", noun="medium", step_names=STEP_NAMES, keeps_running=KEEPS_RUNNING,
            cancel_label="Cancel &Media", cancel_tooltip="Ask the worker to stop; the partly written file is removed",
            accessible="Media"), parent)
        self._request = request
        self.cancel_job = self.cancel_button
        self.page_layout.addStretch(1)

    def queuer(self) -> Callable[[], str]:
        request = self._request()
        return lambda: str(self.console.media.create(request).value)


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
