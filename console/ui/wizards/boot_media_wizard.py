"""Create Boot Media wizard (ConfigMgr's "Create Prestart Media" for a boot image): Media Type,
Prestart Command, Summary (with pre-flight), Progress, Completion.

The wizard collects the medium's type, output file and an optional prestart command override,
asks ``console.media.preflight`` (in the background) on the Summary page and queues the ``media``
job with ``console.media.create``; a worker process writes the medium, the wizard follows the
job. Closing the wizard leaves the job running. ``bootimage media create`` is its twin.
"""

from __future__ import annotations

import os
from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTextBrowser,
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
from console.core.servicing import Check
from console.ui.models.jobs_model import percent
from console.ui.tasks import TaskRunner
from console.ui.wizards.pages import WizardBase

POLL_MS = 500
STEP_NAMES = {"preflight": "Pre-flight checks", "image": "Taking the image from the content library",
              "prestart": "Making the medium's copy of the image with its prestart command",
              "layout": "Extracting the boot files", "write": "Writing the medium"}
ISO_HELP = ("A bootable ISO image (BIOS and UEFI): burn it, mount it in a virtual machine, or hand it to an "
            "out-of-band management console.")
DISK_HELP = ("A USB disk image: one FAT32 partition with the boot files; write it to a USB stick with "
             "dd or a disk imager. UEFI boots it directly; BIOS through SYSLINUX's boot code, which hands over "
             "to Windows' boot manager.")
KEEPS_RUNNING = ("The medium is written by a job in a worker process: closing the wizard (or the console) does not "
                 "stop it. Follow it in Monitoring › Jobs.")
COLORS = {"pass": "#2e7d32", "warning": "#9a6700", "failure": "#c0392b"}
LABELS = {"pass": "Passed", "warning": "Warning", "failure": "Failed"}


class PageId(IntEnum):
    MEDIA = 0
    PRESTART = 1
    SUMMARY = 2
    PROGRESS = 3
    COMPLETION = 4


def _message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        problems = getattr(exc, "problems", None)
        return "; ".join(p.message for p in problems) if problems else exc.message
    return f"{type(exc).__name__}: {exc}"


class MediaTypePage(QWizardPage):
    def __init__(self, package_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Media Type")
        self.setSubTitle("Choose the kind of boot medium and where to write it.")
        self.iso = QRadioButton("Bootable &ISO image (BIOS and UEFI)")
        self.disk = QRadioButton("&USB disk image (FAT32)")
        self.iso.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.iso)
        group.addButton(self.disk)
        self.help = QLabel(ISO_HELP)
        self.help.setWordWrap(True)
        self.help.setObjectName("hint")
        self.output = QLineEdit(os.path.join(os.path.expanduser("~"), f"{package_id}.iso"))
        self.output.setAccessibleName("Output file")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        label = QLabel("&Output file:")
        label.setBuddy(self.output)
        layout = QVBoxLayout(self)
        layout.addWidget(self.iso)
        layout.addWidget(self.disk)
        layout.addWidget(self.help)
        layout.addSpacing(12)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addStretch(1)
        self.iso.toggled.connect(self._type_changed)
        self.output.textChanged.connect(lambda _t: self.completeChanged.emit())

    @property
    def media_format(self) -> str:
        return "iso" if self.iso.isChecked() else "disk"

    def _type_changed(self, iso: bool) -> None:
        self.help.setText(ISO_HELP if iso else DISK_HELP)
        text = self.output.text()
        old, new = (".img", ".iso") if iso else (".iso", ".img")
        if text.lower().endswith(old):
            self.output.setText(text[: -len(old)] + new)

    def _browse(self) -> None:
        kind = "ISO images (*.iso)" if self.iso.isChecked() else "Disk images (*.img)"
        path, _ = QFileDialog.getSaveFileName(self, "Boot medium", self.output.text(), f"{kind};;All files (*)")
        if path:
            self.output.setText(path)

    def isComplete(self) -> bool:
        return bool(self.output.text().strip())


class PrestartPage(QWizardPage):
    def __init__(self, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Prestart Command")
        self.setSubTitle("A prestart command for this medium only: it wins over the boot image's, as a media "
                         "command does in Configuration Manager.")
        self.current = QLabel(f"The boot image's prestart command: <b>{escape(current) or '(none)'}</b>")
        self.current.setTextFormat(Qt.TextFormat.RichText)
        self.current.setWordWrap(True)
        self.override = QCheckBox("&Use another prestart command on this medium")
        self.command = QLineEdit(current or "cmd /c ")
        self.command.setAccessibleName("Prestart command")
        self.command.setEnabled(False)
        hint = QLabel("The medium gets its own copy of the image with this command (the boot image's drivers and "
                      "customizations stay); the boot image itself and its revisions do not change. Start the "
                      "command with <code>cmd /c</code>, or Windows PE may wait for it forever.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.override.toggled.connect(self.command.setEnabled)
        self.override.toggled.connect(lambda _b: self.completeChanged.emit())
        self.command.textChanged.connect(lambda _t: self.completeChanged.emit())
        layout = QVBoxLayout(self)
        layout.addWidget(self.current)
        layout.addSpacing(8)
        layout.addWidget(self.override)
        layout.addWidget(self.command)
        layout.addWidget(hint)
        layout.addStretch(1)

    @property
    def prestart_command(self) -> str | None:
        return self.command.text() if self.override.isChecked() else None

    def isComplete(self) -> bool:
        return not self.override.isChecked() or bool(self.command.text().strip())


class MediaSummaryPage(QWizardPage):
    """What will be written and the pre-flight checks (run in the background on entry);
    Create is offered only when no check failed."""

    checked = Signal()

    def __init__(self, wizard: CreateBootMediaWizard, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wizard = wizard
        self.tasks = tasks
        self.checks: list[Check] | None = None
        self.error = ""
        self.setTitle("Summary")
        self.setSubTitle("Check the medium. Nothing has been written yet; Create queues it.")
        self.text = QTextBrowser()
        self.text.setAccessibleName("Summary")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)

    def initializePage(self) -> None:
        self.checks = None
        self.error = ""
        self.text.setHtml(self._html("<p><i>Running the pre-flight checks…</i></p>"))
        self.completeChanged.emit()
        request = self._wizard.request()
        self.tasks.run(lambda _ctx: self._wizard.console.media.preflight(request),
                       on_success=lambda checks: self._show(checks) if isValid(self) else None,
                       on_error=lambda exc: self._failed(exc) if isValid(self) else None,
                       description="Pre-flight checks of the boot medium")

    def _html(self, checks_html: str) -> str:
        request = self._wizard.request()
        kind = "Bootable ISO image (BIOS and UEFI)" if request.media_format == "iso" else "USB disk image (FAT32)"
        prestart = request.prestart_command
        parts = [(f"<p>Boot image: <b>{escape(self._wizard.package_name)}</b> ({escape(request.package_id)}), "
                 "its current built version</p>"),
                 f"<p>Medium: <b>{escape(kind)}</b><br>Output file: <b>{escape(request.output)}</b></p>",
                 "<p>Prestart command: " + (f"<b>{escape(prestart)}</b> (this medium only; the boot image and its "
                                            "revisions do not change)" if prestart is not None
                                            else "the boot image's own") + "</p>",
                 ("<p>Contents: bootmgr, bootmgr.efi, boot\\bcd, boot\\boot.sdi, boot\\etfsboot.com, "
                 "efi\\boot\\bootx64.efi, efi\\microsoft\\boot\\bcd and efisys.bin, all from the image; "
                 "sources\\boot.wim" + ("; SYSLINUX's ldlinux.sys, chain.c32 and syslinux.cfg for BIOS"
                                         if request.media_format == "disk" else "") + ".</p>"),
                 "<h4>Pre-flight</h4>", checks_html]
        return "".join(parts)

    def _show(self, checks: list[Check]) -> None:
        self.checks = checks
        rows = "".join(f"<li><span style='color:{COLORS[c.severity]}'><b>{LABELS[c.severity]}</b></span>: "
                       f"{escape(c.message)}</li>" for c in checks)
        failed = [c for c in checks if c.failed]
        verdict = (f"<p style='color:#c0392b'><b>{len(failed)} check(s) failed</b>: fix them, then come back "
                   "(Back, or run the wizard again).</p>" if failed else "<p><b>Pre-flight passed.</b></p>")
        self.text.setHtml(self._html(f"<ul>{rows}</ul>{verdict}"))
        self.completeChanged.emit()
        self.checked.emit()

    def _failed(self, exc: BaseException) -> None:
        self.checks = None
        self.error = _message(exc)
        self.text.setHtml(self._html(f"<p style='color:#c0392b'><b>The medium cannot be made:</b> "
                                     f"{escape(self.error)}</p>"))
        self.completeChanged.emit()
        self.checked.emit()

    def isComplete(self) -> bool:
        return self.checks is not None and not any(c.failed for c in self.checks)


class MediaProgressPage(QWizardPage):
    """Queues the job (``console.media.create``) and follows it; ``ended`` when it finished."""

    queued = Signal(str)
    ended = Signal()

    def __init__(self, wizard: CreateBootMediaWizard, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wizard = wizard
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
        request = self._wizard.request()
        self.tasks.run(lambda _ctx: self._wizard.console.media.create(request).value,
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
        self.queue_error = _message(exc)
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
        self.tasks.run(lambda _ctx: self._wizard.console.jobs.find(cid),
                       on_success=lambda job: self._show(job) if isValid(self) else None,
                       on_error=lambda exc: self._poll_failed(exc) if isValid(self) else None, description="")

    def _poll_failed(self, exc: BaseException) -> None:
        self._polling = False
        self.text.setText(f"The job's progress could not be read ({_message(exc)}); trying again.")
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
        self.tasks.run(lambda _ctx: self._wizard.console.jobs.cancel(cid),
                       on_success=lambda _r: self._poll() if isValid(self) else None,
                       on_error=lambda exc: self.text.setText(_message(exc)) if isValid(self) else None, description="")

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


class CreateBootMediaWizard(WizardBase):
    applied = Signal(object)  # never emitted: a medium changes nothing in the boot image
    queued = Signal(str)  # the media job's ContextID

    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(f"Create Boot Media — {package['Name']}", parent)
        self.console = console
        self.package_id = str(package["PackageID"])
        self.package_name = str(package["Name"])
        self.media_page = MediaTypePage(self.package_id)
        self.prestart_page = PrestartPage(str(package.get("PreExecCommandLine") or ""))
        self.summary = MediaSummaryPage(self, tasks)
        self.summary.setButtonText(QWizard.WizardButton.NextButton, "&Create")
        self.progress = MediaProgressPage(self, tasks)
        self.progress.setButtonText(QWizard.WizardButton.CancelButton, "&Close")
        self.completion = MediaCompletionPage(self.progress)
        self.setPage(PageId.MEDIA, self.media_page)
        self.setPage(PageId.PRESTART, self.prestart_page)
        self.setPage(PageId.SUMMARY, self.summary)
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.COMPLETION, self.completion)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        self.progress.queued.connect(self.queued)

    def request(self) -> MediaRequest:
        return MediaRequest(self.package_id, self.media_page.output.text().strip(), self.media_page.media_format,
                            self.prestart_page.prestart_command)
