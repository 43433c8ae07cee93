"""The console's navigation tree: workspaces, nodes and the Boot Images folders."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel

from console.core.ports import Folder
from console.ui.icons import icon
from console.ui.models.package_tree_model import PACKAGE_MIME
from console.ui.models.roles import FolderIdRole, NavKindRole


class NavKind(Enum):
    SITE = "site"
    WORKSPACE = "workspace"
    OPERATING_SYSTEMS = "operating_systems"
    BOOT_IMAGES = "boot_images"
    FOLDER = "folder"
    DRIVERS = "drivers"
    SITES = "sites"
    DISTRIBUTION_POINTS = "distribution_points"
    STATUS_MESSAGES = "status_messages"
    AUDIT = "audit"
    JOBS = "jobs"
    CONTENT_STATUS = "content_status"


class NavigationModel(QStandardItemModel):
    """Packages dropped on Boot Images or a folder are reported with ``packages_dropped``;
    the model itself never moves anything (the controller calls the service)."""

    packages_dropped = Signal(list, int)  # package ids, folder id (0 = top of Boot Images)

    def __init__(self, site_label: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels(["Navigation"])
        self._site = self._item(site_label, "site", NavKind.SITE)
        self.appendRow(self._site)
        library = self._item("Software Library", "library", NavKind.WORKSPACE)
        self._site.appendRow(library)
        systems = self._item("Operating Systems", "operating-systems", NavKind.OPERATING_SYSTEMS)
        library.appendRow(systems)
        self.boot_images = self._item("Boot Images", "boot-image", NavKind.BOOT_IMAGES, folder_id=0)
        systems.appendRow(self.boot_images)
        systems.appendRow(self._item("Drivers", "driver", NavKind.DRIVERS))
        admin = self._item("Administration", "administration", NavKind.WORKSPACE)
        self._site.appendRow(admin)
        admin.appendRow(self._item("Sites", "site", NavKind.SITES))
        admin.appendRow(self._item("Distribution Points", "distribution-point", NavKind.DISTRIBUTION_POINTS))
        monitoring = self._item("Monitoring", "monitoring", NavKind.WORKSPACE)
        self._site.appendRow(monitoring)
        monitoring.appendRow(self._item("Status Messages", "status-messages", NavKind.STATUS_MESSAGES))
        monitoring.appendRow(self._item("Audit", "audit", NavKind.AUDIT))
        monitoring.appendRow(self._item("Jobs", "jobs", NavKind.JOBS))
        distribution = self._item("Distribution Status", "distribute", NavKind.WORKSPACE)
        monitoring.appendRow(distribution)
        distribution.appendRow(self._item("Content Status", "distribution-point", NavKind.CONTENT_STATUS))

    @staticmethod
    def _item(label: str, icon_name: str, kind: NavKind, folder_id: int | None = None) -> QStandardItem:
        item = QStandardItem(icon(icon_name), label)
        item.setEditable(False)
        item.setData(kind.value, NavKindRole)
        item.setAccessibleText(label)
        if folder_id is not None:
            item.setData(folder_id, FolderIdRole)
            item.setDropEnabled(True)
        else:
            item.setDropEnabled(False)
        item.setDragEnabled(False)
        return item

    def set_folders(self, folders: Sequence[Folder]) -> None:
        """Rebuild the folder items under Boot Images from the service's folder list."""
        self.boot_images.removeRows(0, self.boot_images.rowCount())
        by_parent: dict[int, list[Folder]] = {}
        for folder in folders:
            by_parent.setdefault(folder.parent_id, []).append(folder)

        def add(parent_item: QStandardItem, parent_id: int) -> None:
            for folder in sorted(by_parent.get(parent_id, []), key=lambda f: f.name.lower()):
                item = self._item(folder.name, "folder", NavKind.FOLDER, folder_id=folder.id)
                parent_item.appendRow(item)
                add(item, folder.id)

        add(self.boot_images, 0)

    def find_folder(self, folder_id: int) -> QModelIndex:
        if folder_id == 0:
            return self.boot_images.index()
        matches = self.match(self.boot_images.index(), FolderIdRole, folder_id, 1,
                             Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        return matches[0] if matches else QModelIndex()

    def kind(self, index: QModelIndex | QPersistentModelIndex) -> NavKind | None:
        value = index.data(NavKindRole) if index.isValid() else None
        return NavKind(value) if value else None

    def folder_paths(self) -> list[tuple[int, str]]:
        """(folder id, "Boot Images › A › B") for every folder, for the Move dialog."""
        result: list[tuple[int, str]] = [(0, "Boot Images")]

        def walk(item: QStandardItem, path: str) -> None:
            for row in range(item.rowCount()):
                child = item.child(row)
                label = f"{path} › {child.text()}"
                result.append((int(child.data(FolderIdRole)), label))
                walk(child, label)

        walk(self.boot_images, "Boot Images")
        return result

    # -- drag and drop -------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [PACKAGE_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: QModelIndex | QPersistentModelIndex) -> bool:
        return data.hasFormat(PACKAGE_MIME) and parent.isValid() and parent.data(FolderIdRole) is not None

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex | QPersistentModelIndex) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        ids = [i for i in bytes(data.data(PACKAGE_MIME).data()).decode("utf-8").split("\n") if i]
        if ids:
            self.packages_dropped.emit(ids, int(parent.data(FolderIdRole)))
        return False  # the move happens through the service; nothing is inserted here
