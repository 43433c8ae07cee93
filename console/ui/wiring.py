"""Opens the console's dialogs and wizards for the main window (one place, so the window only wires)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.object_locks import ObjectLockedError
from console.ui.dialogs.error_dialog import show_error
from console.ui.object_locks import ConsoleLocks
from console.ui.tasks import TaskRunner


class WizardLauncher(QObject):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, controller: Any, window: QWidget) -> None:
        super().__init__(window)
        self.console = console
        self.tasks = tasks
        self.controller = controller
        self.window = window
        self.locks = ConsoleLocks(console, tasks, self)  # the object locks its sheets and wizards hold

    def properties(self, package_id: str, tab: str = "") -> Any:
        """Open the package's Properties; ``tab`` (a tab's title, e.g. "Data Source") is shown
        once the package is loaded."""
        from console.ui.propertysheet.properties_dialog import PropertiesDialog

        dialog = PropertiesDialog(self.console, package_id, self.tasks, self.window, locks=self.locks)
        if tab:
            dialog.loaded.connect(lambda: _select_tab(dialog, tab), Qt.ConnectionType.SingleShotConnection)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.controller.changed.emit)
        # Saves by this console's wizards and windows reload the open dialog (keeping edits).
        self.controller.changed.connect(dialog.package_changed)
        dialog.edit_optional_components_requested.connect(self.optional_components)
        dialog.add_drivers_requested.connect(self.drivers)
        dialog.open()
        return dialog

    def add_boot_image(self, path: str = "") -> None:
        from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard

        wizard = AddBootImageWizard(self.console, self.tasks, self.window, path=path,
                                    folder_id=self.controller.current_folder_id)
        wizard.created.connect(self.controller.changed.emit)
        wizard.open_properties_requested.connect(self.properties)
        wizard.open()

    def _open_for_package(self, package_id: str, build: Callable[..., Any], what: str,
                          load: Callable[[Any], Any] | None = None, lock: str = "") -> None:
        """Read the package (with lazy properties, plus what ``load`` needs) off the GUI
        thread, then open the wizard. A wizard that changes the package (``lock``: what the
        lock says is open) takes its lock first and is refused while another console holds it."""

        def read(ctx: Any) -> Any:
            attempt = self.console.locks.acquire(package_id, purpose=lock) if lock else None
            if attempt is not None and not attempt.held:
                return attempt, None, None
            package = self.console.packages.get(package_id, lazy=True)
            return attempt, package, (load(package) if load is not None else None)

        def opened(loaded: Any) -> None:
            attempt, package, extra = loaded
            if attempt is not None:
                self.locks.adopt(attempt)
                if not attempt.held:
                    show_error(self.window, ObjectLockedError(attempt.lock))
                    return
            try:
                wizard = build(package) if load is None else build(package, extra)
            except ConsoleError as exc:
                if attempt is not None:
                    self.locks.release(package_id)
                show_error(self.window, exc)
                return
            wizard.applied.connect(self.controller.changed.emit)
            if attempt is not None:
                wizard.finished.connect(lambda _result: self.locks.release(package_id))
            wizard.open()

        self.tasks.run(read, on_success=opened, description=f"Opening {what}")

    def optional_components(self, package_id: str) -> None:
        from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard

        def build(package: Any, adk: dict[str, Any] | None) -> Any:
            arch = package.get("Architecture") or ""
            if arch not in ("x86", "x64"):
                why = f"an {arch} image" if arch else "an image whose architecture is not known yet (reload its image properties)"
                raise ConsoleError(
                    f"{package['Name']} is {why}: Configuration Manager optional components exist for x86 and x64 boot images only."
                )
            return OptionalComponentsWizard(self.console, package, self.tasks, self.window, adk=adk)

        self._open_for_package(package_id, build, "optional components", load=self.adk_components,
                               lock="Optional Components wizard")

    def scratch_space(self, package_id: str) -> None:
        from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

        self._open_for_package(package_id, lambda pkg: ScratchSpaceWizard(self.console, pkg, self.tasks, self.window),
                               "scratch space", lock="Scratch Space wizard")

    def security_scopes(self, package_id: str) -> None:
        """Set Security Scopes… of a boot image."""
        from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog

        self._open_for_package(package_id, lambda pkg: SecurityScopesDialog(
            self.console, package_id, f"{pkg['Name']} ({package_id})", self.tasks, self.window, kind="package"),
            "security scopes")

    def drivers(self, package_id: str) -> None:
        from console.ui.wizards.drivers_wizard import DriversWizard

        self._open_for_package(package_id, lambda pkg: DriversWizard(self.console, pkg, self.tasks, self.window), "drivers",
                               lock="Drivers wizard")

    def update_distribution_points(self, package_id: str) -> None:
        from console.ui.wizards.update_dp_wizard import UpdateDistributionPointsWizard

        def build(package: Any) -> Any:
            wizard = UpdateDistributionPointsWizard(self.console, package, self.tasks, self.window)
            wizard.fix_requested.connect(self.fix)
            indicator = getattr(self.window, "jobs_indicator", None)
            if indicator is not None:  # the status bar tells how the build ends, even after the wizard closed
                wizard.queued.connect(indicator.watch)
            return wizard

        self._open_for_package(package_id, build, "Update Distribution Points", lock="Update Distribution Points wizard")

    def create_boot_media(self, package_id: str) -> None:
        from console.ui.wizards.boot_media_wizard import CreateBootMediaWizard

        def build(package: Any) -> Any:
            wizard = CreateBootMediaWizard(self.console, package, self.tasks, self.window)
            indicator = getattr(self.window, "jobs_indicator", None)
            if indicator is not None:  # the status bar tells how the medium ends, even after the wizard closed
                wizard.queued.connect(indicator.watch)
            return wizard

        self._open_for_package(package_id, build, "Create Boot Media")

    def distribute_content(self, package_ids: list[str]) -> None:
        """Distribute Content for the selected packages (read what it offers off the GUI thread)."""
        from console.ui.wizards.distribute_content_wizard import DistributeContentWizard, load_input

        if not package_ids:
            return

        def opened(data: Any) -> None:
            wizard = DistributeContentWizard(self.console, data, self.tasks, self.window)
            wizard.applied.connect(self.controller.changed.emit)
            self.distribute_wizard = wizard
            wizard.open()

        self.tasks.run(lambda _ctx: load_input(self.console, list(package_ids)), on_success=opened,
                       description="Opening Distribute Content")

    def distribution_points_page(self) -> QWidget:
        from console.ui.views.dp_page import DistributionPointsPage

        page = DistributionPointsPage(self.console, self.tasks)
        page.changed.connect(lambda: self.controller.changed.emit(Changes(distribution=True)))
        return page

    def content_status_page(self) -> QWidget:
        from console.ui.views.content_status_page import ContentStatusPage

        return ContentStatusPage(self.console, self.tasks)

    def fix(self, package_id: str, where: str) -> None:
        """Open the place a pre-flight check names: ``properties:<Tab>``, ``wizard:drivers``,
        ``wizard:optional-components`` or ``settings``."""
        kind, _sep, target = where.partition(":")
        if kind == "properties":
            self.properties(package_id, target)
        elif where == "wizard:drivers":
            self.drivers(package_id)
        elif where == "wizard:optional-components":
            self.optional_components(package_id)
        elif kind == "settings":
            self.settings()
        else:
            self.properties(package_id)

    def import_driver(self) -> None:
        from console.ui.dialogs.import_driver_dialog import ImportDriverDialog

        dialog = ImportDriverDialog(self.console, self.tasks, self.window)
        dialog.imported.connect(self.controller.changed.emit)
        page = getattr(self, "_drivers_page", None)
        if page is not None:
            dialog.imported.connect(lambda _changes: page.refresh())
        dialog.open()

    def adk_components(self, package: Any) -> dict[str, Any] | None:
        """Optional-component cabs of the configured Windows ADK for the package's architecture
        (None when no ADK is configured or it cannot be read). Runs on a worker thread."""
        try:
            info = self.console.settings.windows_adk()
        except ConsoleError:
            return None
        if info is None:
            return None
        return dict(info.components.get(package.get("Architecture") or "", {}))

    def settings(self) -> None:
        from console.ui.dialogs.settings_dialog import SettingsDialog

        SettingsDialog(self.console, self.tasks, self.window).open()

    def about(self) -> None:
        from console.ui.dialogs.about_dialog import AboutDialog

        AboutDialog(self.console.url, self.tasks, self.window).open()

    def guide(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from console.about import guide_location

        where = guide_location()
        QDesktopServices.openUrl(QUrl(where) if "://" in where else QUrl.fromLocalFile(where))

    def drivers_page(self) -> QWidget:
        from console.ui.views.drivers_page import DriversPage

        page = DriversPage(self.console, self.tasks)
        page.import_requested.connect(self.import_driver)
        page.changed.connect(self.controller.changed.emit)
        page.message.connect(self.controller.message.emit)
        self._drivers_page = page
        return page


def _select_tab(dialog: Any, title: str) -> None:
    sheet = dialog.sheet
    if sheet is None:
        return
    wanted = title.replace("&", "").strip().casefold()
    for index in range(sheet.tabs.count()):
        if sheet.tabs.tabText(index).replace("&", "").strip().casefold() == wanted:
            sheet.tabs.setCurrentIndex(index)
            return
