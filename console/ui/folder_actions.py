"""Rename, move and delete the Boot Images folders of the navigation tree (context menu, Folder
menu, F2). The service calls run in the background through the package controller."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QTreeView

from console.ui.dialogs.folder_dialogs import DeleteFolderDialog, MoveFolderDialog, RenameFolderDialog
from console.ui.icons import icon
from console.ui.models.navigation_model import NavigationModel
from console.ui.models.roles import FolderIdRole
from console.ui.package_controller import PackageController


class FolderActions(QObject):
    """``rename`` (F2), ``move_folder`` and ``delete_folder``, enabled when a folder is current."""

    def __init__(self, controller: PackageController, navigation: QTreeView, model: NavigationModel) -> None:
        super().__init__(navigation)
        self.controller = controller
        self.navigation = navigation
        self.model = model
        self.rename = QAction(icon("folder"), "&Rename Folder…", navigation)
        self.rename.setShortcut(QKeySequence(Qt.Key.Key_F2))
        self.rename.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.rename.setStatusTip("Rename the selected folder")
        self.move_folder = QAction(icon("move"), "Mo&ve Folder…", navigation)
        self.move_folder.setStatusTip("Move the selected folder under another folder")
        self.delete_folder = QAction(icon("delete"), "&Delete Folder…", navigation)
        self.delete_folder.setStatusTip("Delete the selected folder; its boot images and sub-folders move up")
        self.rename.triggered.connect(self.rename_current)
        self.move_folder.triggered.connect(self.move_current)
        self.delete_folder.triggered.connect(self.delete_current)
        navigation.selectionModel().currentChanged.connect(lambda *_: self.update_enabled())
        self.update_enabled()

    def actions(self) -> list[QAction]:
        return [self.rename, self.move_folder, self.delete_folder]

    def current_folder(self) -> tuple[int, str] | None:
        index = self.navigation.currentIndex()
        folder_id = index.data(FolderIdRole) if index.isValid() else None
        return (int(folder_id), str(index.data())) if folder_id else None

    def update_enabled(self) -> None:
        on = self.current_folder() is not None
        for action in self.actions():
            action.setEnabled(on)

    def rename_current(self) -> None:
        current = self.current_folder()
        if current is None:
            return
        folder_id, name = current
        new_name = RenameFolderDialog.ask(self.navigation.window(), name)
        if new_name:
            self.controller.run(f"Renaming folder {name}", lambda: self.controller.console.folders.rename(folder_id, new_name))

    def move_current(self) -> None:
        current = self.current_folder()
        if current is None:
            return
        folder_id, name = current
        branch = self.model.find_folder(folder_id)
        own = {folder_id, *self._descendants(branch)}
        targets = [(fid, path) for fid, path in self.model.folder_paths() if fid not in own]
        parent_id = MoveFolderDialog.ask(self.navigation.window(), targets, name)
        if parent_id is not None:
            self.controller.run(f"Moving folder {name}", lambda: self.controller.console.folders.move(folder_id, parent_id))

    def delete_current(self) -> None:
        current = self.current_folder()
        if current is None:
            return
        folder_id, name = current
        console = self.controller.console

        def ask(counts: tuple[int, int]) -> None:
            packages, subfolders = counts
            parent = self.model.find_folder(folder_id).parent()
            parent_id = int(parent.data(FolderIdRole) or 0)
            label = dict(self.model.folder_paths()).get(parent_id, "Boot Images")
            if DeleteFolderDialog.ask(self.navigation.window(), name, packages, subfolders, label):
                self.navigation.setCurrentIndex(parent)
                self.controller.run(f"Deleting folder {name}",
                                    lambda: console.folders.delete(folder_id, move_contents_up=True))

        self.controller.tasks.run(lambda ctx: console.folders.contents(folder_id), on_success=ask,
                                  description=f"Reading folder {name}")

    def _descendants(self, index: object) -> list[int]:
        from PySide6.QtCore import QModelIndex

        assert isinstance(index, QModelIndex)
        result: list[int] = []
        for row in range(self.model.rowCount(index)):
            child = self.model.index(row, 0, index)
            result.append(int(child.data(FolderIdRole) or 0))
            result.extend(self._descendants(child))
        return result
