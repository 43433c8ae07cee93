"""Drivers wizard: choose the catalog drivers of a boot image (ReferencedDrivers).

Drivers › Summary (the service plans the change) › Progress (one save, refused if the boot image
changed since it was read) › Completion.
"""

from __future__ import annotations

from enum import IntEnum
from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget, QWizard, QWizardPage

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.errors import ConflictError
from console.ui.tasks import TaskContext, TaskRunner
from console.ui.wizards.driver_chooser import DriverChooser, DriverFilter
from console.ui.wizards.driver_plan_page import Change, DriverPlanPage, note_item
from console.ui.wizards.pages import NOT_BUILT_YET, CompletionPage, ProgressPage, WizardBase


class PageId(IntEnum):
    DRIVERS = 0
    SUMMARY = 1
    PROGRESS = 2
    DONE = 3


class DriversPage(QWizardPage):
    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pid = package["PackageID"]
        arch = package.get("Architecture") or ""
        self.referenced = [int(d["ID"]) for d in package.get("ReferencedDrivers") or ()]
        self.setTitle("Drivers")
        self.setSubTitle(f"Drivers of {escape(package['Name'])} ({pid}{', ' + arch if arch else ''}). Tick the drivers "
                         "Windows PE needs (network and storage); untick a driver to remove it from the boot image.")

        def load(wanted: DriverFilter) -> Any:
            return console.drivers.drivers_for_boot_image(
                pid, text=wanted.text, hide_other_architectures=wanted.hide_other_architectures,
                hide_not_storage_or_network=wanted.hide_not_storage_or_network, hide_unsigned=wanted.hide_unsigned,
                hide_disabled=True,
            )

        self.chooser = DriverChooser(load, tasks, self.referenced, arch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chooser)
        self.registerField("drivers", self.chooser, "selection", self.chooser.selectionChanged)
        self.chooser.selectionChanged.connect(self.completeChanged)
        self._started = False

    def initializePage(self) -> None:
        if not self._started:
            self._started = True
            self.chooser.reload()

    def change(self) -> Change:
        selection = self.chooser.selected_ids()
        return ([i for i in selection if i not in self.referenced], [i for i in self.referenced if i not in selection])

    def isComplete(self) -> bool:
        add, remove = self.change()
        return bool(add or remove)


class DriversWizard(WizardBase):
    applied = Signal(object)  # Changes

    def __init__(self, console: ConsoleServices, package: Any, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        """``package``: the boot image read with its lazy properties (the launcher reads it off the GUI thread)."""
        super().__init__("Drivers", parent)
        self.console = console
        self.tasks = tasks
        self.package = package
        self.package_id = package["PackageID"]
        self.version = package["SedoObjectVersion"]
        self._change: Change = ([], [])
        self.drivers = DriversPage(console, package, tasks)
        self.summary = DriverPlanPage(console, tasks, package, self._snapshot)
        self.progress = ProgressPage(tasks, self._apply, "Saving the drivers of the boot image")
        self.setPage(PageId.DRIVERS, self.drivers)
        self.setPage(PageId.SUMMARY, self.summary)
        self.setPage(PageId.PROGRESS, self.progress)
        self.setPage(PageId.DONE, CompletionPage(self._completion, self.progress))
        self.progress.succeeded.connect(lambda result: self.applied.emit(result.changes if result else Changes()))
        self.drivers.chooser.import_requested.connect(self._import_drivers)
        self.currentIdChanged.connect(self._update_cancel)
        self.progress.completeChanged.connect(self._update_cancel)
        self.resize(980, 660)

    def _snapshot(self) -> Change:
        """Taken on the GUI thread when the summary opens; the save uses exactly this change."""
        self._change = self.drivers.change()
        return self._change

    def _update_cancel(self, *_args: object) -> None:
        """While the save runs there is nothing to cancel or go back to; after a conflict, say what helps."""
        saving = self.currentId() == PageId.PROGRESS and self.progress.error is None and not self.progress.isComplete()
        self.button(QWizard.WizardButton.CancelButton).setEnabled(not saving)
        if saving:
            self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        if isinstance(self.progress.error, ConflictError):
            self.progress.setSubTitle("The boot image was changed meanwhile; nothing was saved. Cancel and open the wizard again.")

    def _apply(self, ctx: TaskContext) -> Any:
        add, remove = self._change
        return self.console.drivers.change_boot_image_drivers(
            self.package_id, add=add, remove=remove, expected_version=self.version)

    def _import_drivers(self) -> None:
        from console.ui.dialogs.import_driver_dialog import ImportDriverDialog

        dialog = ImportDriverDialog(self.console, self.tasks, self)
        dialog.imported.connect(lambda _changes: self.drivers.chooser.reload())
        dialog.open()

    def _completion(self, result: Any) -> str:
        change = result.value
        name = escape(self.package["Name"])
        plan = self.summary.view
        count = len(plan.plan.referenced) if plan is not None else None
        parts = [f"<p>The drivers of <b>{name}</b> ({self.package_id}) were saved: "
                 f"{len(change.added)} added, {len(change.removed)} removed"
                 + (f"; the boot image now references {count} driver(s)." if count is not None else ".") + "</p>"]
        if change.notes:
            parts.append("<p>Notes:</p><ul>" + "".join(note_item(n) for n in change.notes) + "</ul>")
        parts.append(NOT_BUILT_YET)
        return "".join(parts)
