"""Update Distribution Points wizard (the build part): Pre-flight, Options, Summary, Progress,
Completion.

Build (on Summary) queues a build job (``console.packages.update_image``) that a worker
process runs; when it succeeds, the job queues an update of every distribution point of the
package (``console.content.queue_update``). Progress follows the build job and then the
distribution points' states; closing the wizard leaves both running.
"""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget, QWizard, QWizardPage
from shiboken6 import isValid

from console.core.adk import AdkInfo
from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.distribution import ContentSummary
from console.core.errors import ConsoleError
from console.core.jobs import JobState
from console.core.servicing import describe_spec
from console.ui.tasks import TaskRunner
from console.ui.wizards.build_pages import BuildCompletionPage, BuildProgressPage
from console.ui.wizards.pages import SummaryPage, WizardBase
from console.ui.wizards.preflight_page import PreflightPage

RELOAD_TEXT = "&Reload this boot image with the current Windows PE version from the Windows ADK"
RELOAD_HELP = (
    "Exports the configured Windows ADK's winpe.wim of this image's architecture into a new source file, "
    "points the boot image at it (a status message says so), then builds. Use it after installing a newer "
    "Windows ADK. The current source WIM is kept, not changed. Optional components the new image lacks are "
    "reported by the next pre-flight."
)
NOTE_STYLE = "background:#fff4ce; border:1px solid #e0c36a; padding:6px"


def build_and_update_note(summary: ContentSummary | None) -> str:
    """What Build does: a new revision, then an update of every distribution point of the package."""
    if summary is None:
        where = "every distribution point of this boot image"
    elif summary.targeted:
        where = f"every distribution point of this boot image ({summary.targeted}; now: {escape(summary.line())})"
    else:
        where = ("no distribution point: this boot image is on none yet (use Distribute Content to send it to "
                 "some), so the build is not sent anywhere")
    return (f"<p style='{NOTE_STYLE}'><b>Build, then update the distribution points.</b> Build makes a new revision "
            f"of this boot image in the site's content library, then sends it to {where}; only changed files "
            "travel. The build and the updates run as jobs in a worker process, so closing the wizard or the "
            "console does not stop them. The source WIM is never changed.</p>")


class PageId(IntEnum):
    PREFLIGHT = 0
    OPTIONS = 1
    SUMMARY = 2
    PROGRESS = 3
    COMPLETION = 4


class OptionsPage(QWizardPage):
    def __init__(self, console: ConsoleServices, architecture: str, tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.architecture = architecture
        self.tasks = tasks
        self.adk: AdkInfo | None = None
        self.adk_problem = ""
        self._loaded = False
        self.setTitle("Options")
        self.setSubTitle("Choose how the boot image is built.")
        self.reload = QCheckBox(RELOAD_TEXT)
        self.reload.setEnabled(False)
        help_text = QLabel(RELOAD_HELP)
        help_text.setWordWrap(True)
        help_text.setObjectName("hint")
        self.adk_status = QLabel("Reading the Windows ADK setting…")
        self.adk_status.setWordWrap(True)
        self.adk_status.setAccessibleName("Windows ADK status")
        layout = QVBoxLayout(self)
        layout.addWidget(self.reload)
        layout.addWidget(help_text)
        layout.addWidget(self.adk_status)
        layout.addStretch(1)

    def initializePage(self) -> None:
        if not self._loaded:
            self.tasks.run(lambda _ctx: self.console.settings.windows_adk(),
                           on_success=lambda info: self._adk_read(info) if isValid(self) else None,
                           on_error=lambda exc: self._adk_failed(exc) if isValid(self) else None,
                           description="Reading the Windows ADK")

    def _adk_read(self, info: AdkInfo | None) -> None:
        self._loaded = True
        self.adk = info
        if info is None:
            self._unavailable("No Windows ADK is configured: set its folder in File › Settings to use this option.")
        elif self.architecture not in info.winpe_images:
            have = ", ".join(sorted(info.winpe_images)) or "none"
            self._unavailable(f"The Windows ADK at {info.root} has no winpe.wim for {self.architecture or 'this image'} "
                              f"(it has: {have}).")
        else:
            self.reload.setEnabled(True)
            self.adk_status.setText(f"Windows ADK: {info.root} ({self.architecture} winpe.wim: "
                                    f"{info.winpe_images[self.architecture]})")

    def _adk_failed(self, exc: BaseException) -> None:
        self._loaded = True
        self._unavailable(f"The configured Windows ADK cannot be used: "
                          f"{exc.message if isinstance(exc, ConsoleError) else exc}")

    def _unavailable(self, text: str) -> None:
        self.adk_problem = text
        self.reload.setChecked(False)
        self.reload.setEnabled(False)
        self.adk_status.setText(text)


class UpdateDistributionPointsWizard(WizardBase):
    """``fix_requested(package_id, fix)`` asks the launcher to open where a check is fixed
    (``properties:<Tab>``, ``wizard:<name>``, ``settings``)."""

    applied = Signal(object)  # Changes: the package's image and version changed (a build succeeded)
    fix_requested = Signal(str, str)
    queued = Signal(str)  # the build job's ContextID

    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(f"Update Distribution Points — {package['Name']}", parent)
        self.console = console
        self.package = package
        self.package_id = str(package["PackageID"])
        self.preflight = PreflightPage(console, self.package_id, tasks)
        self.options_page = OptionsPage(console, str(package.get("Architecture") or ""), tasks)
        self.summary = SummaryPage(self._summary)
        self.summary.setSubTitle("What the build will do. Nothing has been changed yet; Build queues it.")
        self.summary.setButtonText(QWizard.WizardButton.NextButton, "&Build")
        self.progress = BuildProgressPage(console, self.package_id, tasks, self.options_page.reload.isChecked)
        self.progress.setButtonText(QWizard.WizardButton.CancelButton, "&Close")
        self.completion = BuildCompletionPage(console, self.package_id, tasks, self.progress)
        self.setPage(PageId.PREFLIGHT, self.preflight)
        self.setPage(PageId.OPTIONS, self.options_page)
        self.setPage(PageId.SUMMARY, self.summary)
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.COMPLETION, self.completion)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Close")
        self.progress.queued.connect(self.queued)
        self.progress.ended.connect(self._ended)
        self.preflight.fix_requested.connect(lambda fix: self.fix_requested.emit(self.package_id, fix))
        self.dp_summary: ContentSummary | None = None
        tasks.run(lambda _ctx: console.content.summary(self.package_id),
                  on_success=lambda summary: setattr(self, "dp_summary", summary) if isValid(self) else None,
                  on_error=lambda _exc: None, description="")

    def _ended(self) -> None:
        job = self.progress.job
        if job is not None and job.state == JobState.SUCCEEDED:
            self.applied.emit(Changes(updated=frozenset({self.package_id}), status_messages=True))

    def _summary(self) -> str:
        name = escape(str(self.package["Name"]))
        spec = self.preflight.spec
        parts = [f"<p>Boot image: <b>{name}</b> ({escape(self.package_id)})</p>"]
        if spec is not None:
            summary, lines = describe_spec(spec)
            parts.append(f"<p>Source: {escape(spec.image_path)}, image {spec.image_index} ({escape(spec.architecture)})</p>")
            parts.append(f"<p>Customizations: <b>{escape(summary)}</b></p><ul>"
                         + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
            parts.append(f"<p>Work folder: {escape(spec.work_root)}</p>")
        checks = self.preflight.checks or []
        warnings = [c for c in checks if c.severity == "warning"]
        if warnings:
            parts.append(f"<p>Pre-flight warnings ({len(warnings)}):</p><ul>"
                         + "".join(f"<li>{escape(c.message)}</li>" for c in warnings) + "</ul>")
        if self.options_page.reload.isChecked():
            parts.append(f"<p>Reload from the Windows ADK: <b>yes</b> — the {escape(spec.architecture if spec else '')} "
                         "winpe.wim is exported to a new source file and the boot image points at it first.</p>")
        else:
            parts.append("<p>Reload from the Windows ADK: no (the current source WIM is used).</p>")
        parts.append(build_and_update_note(self.dp_summary))
        return "".join(parts)
