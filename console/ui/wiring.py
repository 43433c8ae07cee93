"""Opens the console's dialogs and wizards for the main window (one place, so the window only wires)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from console.core.errors import ConsoleError
from console.ui.dialogs.error_dialog import show_error
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

    def _open_for_package(self, package_id: str, build: Callable[[Any], Any], what: str) -> None:
        """Read the package (with lazy properties) off the GUI thread, then open the wizard."""

        def opened(package: Any) -> None:
            try:
                wizard = build(package)
            except ConsoleError as exc:
                show_error(self.window, exc)
                return
            wizard.applied.connect(self.controller.changed.emit)
            wizard.open()

        self.tasks.run(lambda ctx: self.console.packages.get(package_id, lazy=True), on_success=opened,
                       description=f"Opening {what}")

    def optional_components(self, package_id: str) -> None:
        from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard

        def build(package: Any) -> Any:
            arch = package.get("Architecture") or ""
            if arch not in ("x86", "x64"):
                why = f"a {arch} image" if arch else "an image whose architecture is not known yet (reload its image properties)"
                raise ConsoleError(
                    f"{package['Name']} is {why}: Configuration Manager optional components exist for x86 and x64 boot images only."
                )
            return OptionalComponentsWizard(self.console, package, self.tasks, self.window, adk=self.adk_components(arch))

        self._open_for_package(package_id, build, "optional components")

    def scratch_space(self, package_id: str) -> None:
        from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

        self._open_for_package(package_id, lambda pkg: ScratchSpaceWizard(self.console, pkg, self.tasks, self.window), "scratch space")

    def drivers(self, package_id: str) -> None:
        from console.ui.wizards.drivers_wizard import DriversWizard

        self._open_for_package(package_id, lambda pkg: DriversWizard(self.console, pkg, self.tasks, self.window), "drivers")

    def import_driver(self) -> None:
        from console.ui.dialogs.import_driver_dialog import ImportDriverDialog

        dialog = ImportDriverDialog(self.console, self.tasks, self.window)
        dialog.open()

    def adk_components(self, architecture: str) -> dict[str, Any] | None:
        """Optional-component cabs of the configured Windows ADK, or None when none is configured."""
        return None

    def drivers_page(self) -> QWidget:
        return PlaceholderPage(
            "Drivers",
            "The driver catalog: drivers imported from INF files, with class, provider, version, "
            "architectures and signature. Boot images reference drivers from here.",
        )
