"""What the Boot Images actions do: ask, call a service in the background, refresh views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.ui.dialogs.folder_dialogs import ConfirmDeleteDialog, MoveToFolderDialog, NewFolderDialog
from console.ui.models.navigation_model import NavigationModel
from console.ui.models.package_tree_model import PackageTreeModel
from console.ui.tasks import TaskRunner


class PackageController(QObject):
    """Runs the package actions. Views ask it to act; it reports through ``changed``."""

    changed = Signal(object)  # Changes
    message = Signal(str)

    def __init__(
        self,
        console: ConsoleServices,
        tasks: TaskRunner,
        packages: PackageTreeModel,
        navigation: NavigationModel,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.console = console
        self.tasks = tasks
        self.packages = packages
        self.navigation = navigation
        self.window = window
        self.current_folder_id = 0
        self.changed.connect(self.apply_changes)

    # -- generic ---------------------------------------------------------------------------

    def run(self, description: str, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        """Run a service call in the background; its Result's Changes refresh the views."""

        def done(result: Any) -> None:
            changes = getattr(result, "changes", None)
            if isinstance(changes, Changes):
                self.changed.emit(changes)
                for note in changes.notes:
                    self.message.emit(note)
            if on_done is not None:
                on_done(result)

        self.tasks.run(lambda ctx: fn(), on_success=done, description=description)

    def apply_changes(self, changes: Changes) -> None:
        if changes.folders:
            self.reload_folders()
        if changes.added or changes.folders:
            self.packages.reload()
        else:
            if changes.removed:
                self.packages.remove_packages(sorted(changes.removed))
            if changes.updated:
                self.packages.refresh_packages(sorted(changes.updated))

    def reload_folders(self) -> None:
        self.tasks.run(lambda ctx: self.console.folders.all(), on_success=self.navigation.set_folders,
                       description="Loading folders")

    def refresh(self) -> None:
        self.reload_folders()
        self.packages.reload()

    # -- actions -----------------------------------------------------------------------------

    def delete(self, package_ids: list[str]) -> None:
        if not package_ids:
            return
        names = self.packages.names()
        items = [(pid, names.get(pid, "")) for pid in package_ids]
        if not ConfirmDeleteDialog.ask(self.window, items):
            return

        def delete_all() -> Changes:
            changes = Changes()
            for pid in package_ids:
                changes = changes | self.console.packages.delete(pid).changes
            return changes

        self.tasks.run(lambda ctx: delete_all(), on_success=self.changed.emit,
                       description=f"Deleting {len(package_ids)} boot image(s)")

    def new_folder(self) -> None:
        parent_id = self.current_folder_id or 0
        label = dict(self.navigation.folder_paths()).get(parent_id, "Boot Images")
        name = NewFolderDialog.ask(self.window, label)
        if name:
            self.run("Creating folder", lambda: self.console.folders.create(name, parent_id))

    def move(self, package_ids: list[str], folder_id: int | None = None) -> None:
        if not package_ids:
            return
        if folder_id is None:
            folder_id = MoveToFolderDialog.ask(self.window, self.navigation.folder_paths(), len(package_ids))
            if folder_id is None:
                return
        target = folder_id
        self.run(f"Moving {len(package_ids)} boot image(s)",
                 lambda: self.console.packages.move_to_folder(package_ids, target or None),
                 lambda result: self.message.emit(f"Moved {result.value} boot image(s)"))

    def reload_image(self, package_id: str) -> None:
        self.run(f"Reloading image properties of {package_id}",
                 lambda: self.console.packages.reload_image_properties(package_id),
                 lambda result: self.message.emit(f"Image properties of {package_id} reloaded"))

    def create_samples(self, on_done: Callable[[Any], None] | None = None) -> None:
        creator = getattr(self.console, "create_sample_boot_images", None)
        if creator is None:
            QMessageBox.information(self.window, "Sample boot images", "Sample images need the WIM tools (wimlib).")
            return

        def finished(result: Any) -> None:
            self.changed.emit(Changes(added=frozenset(p["PackageID"] for p in result), folders=False))
            self.message.emit(f"Created {len(result)} sample boot image(s)")
            if on_done is not None:
                on_done(result)

        def failed(exc: BaseException) -> None:
            from console.ui.dialogs.error_dialog import show_error

            show_error(self.window, exc)
            if on_done is not None:
                on_done(None)

        self.tasks.run(lambda ctx: creator(progress=ctx.report, cancelled=lambda: ctx.cancelled),
                       on_success=finished, on_error=failed,
                       description="Creating sample boot images", cancellable=True)
