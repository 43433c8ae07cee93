"""Import Driver: choose a folder, scan it for INF files in the background, look at what was
found, and import the new drivers into the driver catalog.

A wizard: Locate Driver › Scanning › Driver Details › Progress › Completion. Cancel works on
every page; nothing is written before Import (the import itself is one transaction).
"""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.drivers import ImportResult
from console.core.local_paths import ON_WINDOWS, share_example
from console.ui.dialogs.driver_scan_page import ScanPage
from console.ui.dialogs.driver_scan_results_page import ScanResultsPage
from console.ui.models.driver_columns import problem_text, relative_path
from console.ui.tasks import TaskContext, TaskRunner
from console.ui.wizards.pages import CompletionPage, ProgressPage, WizardBase

_SHARE_HINT = (
    "Use a network path (<tt>{path}</tt>) so that the machine that builds boot images can read the files."
    if ON_WINDOWS else
    "Use a folder the machine that builds boot images can read: a mounted share such as <tt>{path}</tt> "
    "(mount it with <tt>mount -t cifs</tt>; a <tt>\\\\server\\share</tt> path cannot be opened on Linux or macOS)."
)
LOCATE_HINT = (
    "Every INF file in the folder and its subfolders is read. Keep each driver in its own folder with "
    "its files (.sys, .cat, .dll): that folder becomes the driver's content source, and the whole folder "
    "is copied into the boot images that use the driver.<br><br>"
    + _SHARE_HINT.format(path=escape(share_example("drivers"))) + " "
    "A driver is <i>signed</i> here when the catalog file its INF names is beside it "
    "(the signature itself is not verified)."
)


class PageId(IntEnum):
    LOCATE = 0
    SCAN = 1
    DETAILS = 2
    PROGRESS = 3
    DONE = 4


class LocatePage(QWizardPage):
    def __init__(self, folder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Locate Driver")
        self.setSubTitle("Choose the folder that holds the driver files to import.")
        self.folder = QLineEdit()
        self.folder.setAccessibleName("Source folder")
        self.folder.setPlaceholderText(share_example("drivers/Latitude 7450"))
        self.browse = QPushButton("B&rowse…")
        self.browse.setAccessibleName("Browse for the source folder")
        self.browse.clicked.connect(self._browse)
        label = QLabel("&Source folder:")
        label.setBuddy(self.folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.browse)
        hint = QLabel(LOCATE_HINT)
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addWidget(hint)
        layout.addStretch(1)
        self.registerField("folder*", self.folder)
        self._given = folder

    def initializePage(self) -> None:
        # Filled in here, after the wizard took the field's initial value: a given folder counts as filled in.
        if self._given and not self.folder.text():
            self.folder.setText(self._given)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Driver Source Folder", self.folder.text().strip())
        if chosen:
            self.folder.setText(chosen)

    def path(self) -> str:
        return self.folder.text().strip()


class ImportDriverDialog(WizardBase):
    imported = Signal(object)  # Changes

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None, folder: str = "") -> None:
        super().__init__("Import Driver", parent)
        self.console = console
        self.locate = LocatePage(folder)
        self.scan = ScanPage(console, tasks, self.locate.path)
        self.details = ScanResultsPage(console, tasks, self.scan)
        self.progress = ProgressPage(tasks, self._import, "Importing the drivers into the driver catalog")
        self.completion = CompletionPage(self._completion, self.progress)
        self.setPage(PageId.LOCATE, self.locate)
        self.setPage(PageId.SCAN, self.scan)
        self.setPage(PageId.DETAILS, self.details)
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.DONE, self.completion)
        self.progress.succeeded.connect(lambda result: self.imported.emit(result.changes if result else Changes()))
        self.currentIdChanged.connect(self._update_cancel)
        self.progress.completeChanged.connect(self._update_cancel)
        self.resize(900, 620)

    def _update_cancel(self, *_args: object) -> None:
        # The import is one transaction: once it runs it completes (or fails) as a whole.
        importing = self.currentId() == PageId.PROGRESS and self.progress.error is None and not self.progress.isComplete()
        self.button(QWizard.WizardButton.CancelButton).setEnabled(not importing)
        if importing:
            self.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _import(self, ctx: TaskContext) -> Any:
        request = self.details.request
        assert request is not None, "Import was pressed on the details page"
        return self.console.drivers.import_drivers(
            request.scan, categories=request.categories, enabled=request.enabled,
            progress=lambda done, total, path: ctx.report(done, total, path), cancelled=lambda: ctx.cancelled,
        )

    def _completion(self, result: Any) -> str:
        value: ImportResult = result.value
        imported = value.imported
        parts = []
        if imported:
            ids = f"CI_ID {imported[0].ci_id}" + (f" to {imported[-1].ci_id}" if len(imported) > 1 else "")
            state = "enabled" if imported[0].is_enabled else "disabled"
            categories = f", in {escape(', '.join(imported[0].categories))}" if imported[0].categories else ""
            parts.append(f"<p><b>{len(imported)}</b> driver(s) imported into the driver catalog ({ids}, {state}{categories}).</p>")
        else:
            parts.append("<p>No driver was imported.</p>")
        if value.duplicates:
            parts.append(f"<p>{len(value.duplicates)} duplicate(s) skipped: already in the catalog or found twice.</p>")
        if value.failed:
            root = self.details.request.scan.folder if self.details.request else ""
            listing = "".join(f"<li>{escape(relative_path(f.path, root))}: {escape(problem_text(f))}</li>"
                              for f in value.failed[:5])
            more = f"<li>… and {len(value.failed) - 5} more</li>" if len(value.failed) > 5 else ""
            parts.append(f"<p>{len(value.failed)} INF file(s) could not be used:</p><ul>{listing}{more}</ul>")
        parts.append("<p>Next: add the network and storage drivers that Windows PE needs to a boot image "
                     "(select the boot image, then <b>Drivers…</b>).</p>")
        return "".join(parts)

    def done(self, result: int) -> None:
        self.scan.cancel()  # a scan still running is stopped; it wrote nothing
        super().done(result)
