"""Add Boot Image wizard: Data Source, General, Summary, Progress, Completion."""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from console.core.changes import Changes
from console.core.classdef import ClassDef
from console.core.console_services import ConsoleServices
from console.core.services.source_images import default_name
from console.ui.tasks import TaskRunner
from console.ui.wizards.data_source_page import DataSourcePage
from console.ui.wizards.pages import CompletionPage, ProgressPage, SummaryPage, WizardBase

NAME_CHECK_DELAY_MS = 250


class PageId(IntEnum):
    DATA_SOURCE = 0
    GENERAL = 1
    SUMMARY = 2
    PROGRESS = 3
    DONE = 4


def _limit(cls: ClassDef, name: str) -> int:
    prop = cls.property(name)
    limit = prop.size_limit if prop is not None else None
    return limit[1] if limit else 10**6


class GeneralPage(QWizardPage):
    """Name (required, unique in the site: checked in the background while typing), Version, Comment."""

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("General")
        self.setSubTitle("Name the boot image as administrators will see it. The version is yours to manage.")
        self._console = console
        self._tasks = tasks
        self._taken_by: str | None = None
        self._checked_name = ""
        self._generation = 0
        cls = console.packages.cls
        self._limits = {name: _limit(cls, name) for name in ("Name", "Version", "Description")}
        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        self.version = QLineEdit()
        self.version.setAccessibleName("Version")
        self.comment = QPlainTextEdit()
        self.comment.setAccessibleName("Comment")
        self.comment.setTabChangesFocus(True)
        self.comment.setMaximumHeight(90)
        self.name_error = QLabel()
        self.name_error.setStyleSheet("color: #c0392b;")
        self.name_error.setWordWrap(True)
        self.name_error.setVisible(False)
        self.comment_note = QLabel(f"Up to {self._limits['Description']} characters.")
        self.comment_note.setObjectName("hint")
        form = QFormLayout()
        form.addRow("Na&me:", self.name)
        form.addRow("", self.name_error)
        form.addRow("&Version:", self.version)
        form.addRow("&Comment:", self.comment)
        form.addRow("", self.comment_note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        self.registerField("name*", self.name)
        self.registerField("version", self.version)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(NAME_CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check_name)
        self.name.textChanged.connect(self._timer.start)
        for edit in (self.name, self.version):
            edit.textChanged.connect(self._text_changed)
        self.comment.textChanged.connect(self._comment_changed)

    def initializePage(self) -> None:
        if not self.name.text():
            wizard = self.wizard()
            image = wizard.data_source.selected_image() if isinstance(wizard, AddBootImageWizard) else None
            if image is not None:
                self.name.setText(default_name(self._console.packages.cls, image))
        self.check_name()

    def _comment_changed(self) -> None:
        length, limit = len(self.comment.toPlainText().strip()), self._limits["Description"]
        self.comment_note.setText(f"{length} of {limit} characters" + (" — too long" if length > limit else ""))
        self.completeChanged.emit()

    def length_problems(self) -> list[str]:
        """Over-long Name or Version (Name's and Version's SizeLimit; surrounding spaces are trimmed)."""
        problems = []
        for label, text in (("Name", self.name.text()), ("Version", self.version.text())):
            length = len(text.strip())
            if length > self._limits[label]:
                problems.append(f"{label} is limited to {self._limits[label]} characters; it has {length}")
        return problems

    def _text_changed(self, _text: str = "") -> None:
        self._show_length_problems()
        self.completeChanged.emit()

    def _show_length_problems(self) -> None:
        problems = self.length_problems()
        if problems or not self._taken_by:
            self.name_error.setText("\n".join(problems))
            self.name_error.setVisible(bool(problems))

    def check_name(self) -> None:
        self._timer.stop()
        name = self.name.text().strip()
        self._generation += 1
        generation = self._generation
        if not name:
            self._taken_by, self._checked_name = None, ""
            self.name_error.clear()
            self.name_error.setVisible(False)
            return

        def done(owner: str | None) -> None:
            if generation == self._generation:
                self._taken_by, self._checked_name = owner, name
                self.name_error.setText(f"{owner} already has this name; boot image names must be unique." if owner else "")
                self.name_error.setVisible(bool(owner))
                self.completeChanged.emit()

        self._tasks.run(lambda ctx: self._console.packages.name_in_use(name), on_success=done, on_error=lambda exc: None,
                        description="")

    def isComplete(self) -> bool:
        name = self.name.text().strip()
        return (bool(name) and len(self.comment.toPlainText().strip()) <= self._limits["Description"]
                and not self.length_problems() and not (self._taken_by and self._checked_name == name))


class AddBootImageWizard(WizardBase):
    created = Signal(object)  # Changes
    open_properties_requested = Signal(str)

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None, *, path: str = "",
                 folder_id: int = 0) -> None:
        super().__init__("Add Boot Image Wizard", parent)
        self.console = console
        self.folder_id = folder_id
        self.data_source = DataSourcePage(console, tasks)
        self.general = GeneralPage(console, tasks)
        self.progress = ProgressPage(tasks, self._create, "Importing the boot image")
        self.setPage(PageId.DATA_SOURCE, self.data_source)
        self.setPage(PageId.GENERAL, self.general)
        self.setPage(PageId.SUMMARY, SummaryPage(self._summary))
        self.setPage(PageId.PROGRESS, self.progress)
        self.done_page = CompletionPage(self._completion, self.progress)
        self.open_properties = QCheckBox("&Open the properties of the new boot image")
        done_layout = self.done_page.layout()
        assert done_layout is not None  # CompletionPage lays itself out
        done_layout.addWidget(self.open_properties)
        self.setPage(PageId.DONE, self.done_page)
        self.progress.succeeded.connect(lambda result: self.created.emit(result.changes if result else Changes()))
        self.accepted.connect(self._finished)
        if path:
            self.data_source.path.setText(path)
            self.data_source.read_now()

    def _image(self) -> Any:
        return self.data_source.selected_image()

    def _summary(self) -> str:
        image = self._image()
        rows = [
            ("Source", escape(self.field("path"))),
            ("Image", f"{image.index}: {escape(image.name)} ({image.architecture_text}, {escape(image.os_version)})"),
            ("Name", escape(self.general.name.text().strip())),
            ("Version", escape(self.general.version.text().strip()) or "(none)"),
            ("Comment", escape(self.general.comment.toPlainText().strip()) or "(none)"),
        ]
        table = "".join(f"<tr><td><b>{k}:</b></td><td>{v}</td></tr>" for k, v in rows)
        warn = ""
        if self.data_source.needs_override():
            warn = "<p style='color:#b9770e'>" + "<br>".join(escape(p) for p in image.problems()) + "</p>"
        return (f"<table cellspacing='6'>{table}</table>{warn}<p>The console reads the image's metadata and records "
                "the boot image; the WIM file itself is not changed.</p>")

    def _create(self, ctx: Any) -> Any:
        return self.console.packages.create_from_wim(
            self.field("path").strip(), self._image().index, self.general.name.text().strip(),
            self.general.version.text().strip(), self.general.comment.toPlainText().strip(),
            folder_id=self.folder_id or None, allow_unsupported=self.data_source.needs_override(),
        )

    def _completion(self, result: Any) -> str:
        package = result.value
        notes = "".join(f"<li>{escape(n)}</li>" for n in result.changes.notes)
        warnings = f"<p>Warnings:</p><ul>{notes}</ul>" if notes else ""
        return (f"<p>Boot image <b>{escape(package['Name'])}</b> was added as <b>{package['PackageID']}</b> "
                f"({escape(package['Architecture'] or 'unknown architecture')}, Windows {escape(package['ImageOSVersion'])}).</p>"
                f"{warnings}<p>Next steps:</p><ul><li>add network and storage drivers the image needs (Drivers…),</li>"
                "<li>add optional components such as PowerShell (Optional Components…).</li></ul>")

    def created_package_id(self) -> str | None:
        result = self.progress.result
        return result.value["PackageID"] if result is not None else None

    def _finished(self) -> None:
        pid = self.created_package_id()
        if pid and self.open_properties.isChecked():
            self.open_properties_requested.emit(pid)
