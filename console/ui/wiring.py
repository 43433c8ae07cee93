"""Opens the console's dialogs and wizards for the main window (one place, so the window only wires)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from console.ui.tasks import TaskRunner
from console.ui.views.records_page import PlaceholderPage


class WizardLauncher(QObject):
    def __init__(self, console: Any, tasks: TaskRunner, controller: Any, window: QWidget) -> None:
        super().__init__(window)
        self.console = console
        self.tasks = tasks
        self.controller = controller
        self.window = window

    def properties(self, package_id: str) -> None:
        from console.ui.propertysheet.properties_dialog import PropertiesDialog

        dialog = PropertiesDialog(self.console, package_id, self.tasks, self.window)
        saved = getattr(dialog, "saved", None)
        if saved is not None:
            saved.connect(self.controller.changed.emit)
        dialog.open()

    def add_boot_image(self, path: str = "") -> None:
        from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard

        wizard = AddBootImageWizard(self.console, self.tasks, self.window, path=path)
        wizard.created.connect(self.controller.changed.emit)
        wizard.open()

    def optional_components(self, package_id: str) -> None:
        from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard

        wizard = OptionalComponentsWizard(self.console, package_id, self.tasks, self.window)
        wizard.applied.connect(self.controller.changed.emit)
        wizard.open()

    def scratch_space(self, package_id: str) -> None:
        from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

        wizard = ScratchSpaceWizard(self.console, package_id, self.tasks, self.window)
        wizard.applied.connect(self.controller.changed.emit)
        wizard.open()

    def drivers(self, package_id: str) -> None:
        from console.ui.wizards.drivers_wizard import DriversWizard

        wizard = DriversWizard(self.console, package_id, self.tasks, self.window)
        wizard.applied.connect(self.controller.changed.emit)
        wizard.open()

    def import_driver(self) -> None:
        from console.ui.dialogs.import_driver_dialog import ImportDriverDialog

        dialog = ImportDriverDialog(self.console, self.tasks, self.window)
        dialog.open()

    def drivers_page(self) -> QWidget:
        return PlaceholderPage(
            "Drivers",
            "The driver catalog: drivers imported from INF files, with class, provider, version, "
            "architectures and signature. Boot images reference drivers from here.",
        )
