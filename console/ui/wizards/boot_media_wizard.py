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

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
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
from console.core.services.boot_media import MediaRequest
from console.core.servicing import Check
from console.ui.tasks import TaskRunner
from console.ui.wizards.boot_media_pages import MediaCompletionPage, MediaProgressPage
from console.ui.wizards.job_progress_page import message
from console.ui.wizards.pages import WizardBase

ISO_HELP = ("A bootable ISO image (BIOS and UEFI): burn it, mount it in a virtual machine, or hand it to an "
            "out-of-band management console.")
DISK_HELP = ("A USB disk image: one FAT32 partition with the boot files; write it to a USB stick with "
             "dd or a disk imager. UEFI boots it directly; BIOS through SYSLINUX's boot code, which hands over "
             "to Windows' boot manager.")
COLORS = {"pass": "#2e7d32", "warning": "#9a6700", "failure": "#c0392b"}
LABELS = {"pass": "Passed", "warning": "Warning", "failure": "Failed"}


class PageId(IntEnum):
    MEDIA = 0
    PRESTART = 1
    SUMMARY = 2
    PROGRESS = 3
    COMPLETION = 4


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
        self.error = message(exc)
        self.text.setHtml(self._html(f"<p style='color:#c0392b'><b>The medium cannot be made:</b> "
                                     f"{escape(self.error)}</p>"))
        self.completeChanged.emit()
        self.checked.emit()

    def isComplete(self) -> bool:
        return self.checks is not None and not any(c.failed for c in self.checks)


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
        self.progress = MediaProgressPage(console, self.request, tasks)
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
