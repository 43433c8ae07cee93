"""The central list of boot image packages (a tree: packages expand to their contents)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTreeView, QWidget

from console.ui.models.package_columns import COLUMNS
from console.ui.models.package_tree_model import PackageTreeModel
from console.ui.models.roles import NodeKindRole, PackageIdRole


class PackageView(QTreeView):
    properties_requested = Signal()
    wim_dropped = Signal(str)

    def __init__(self, model: PackageTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Boot images")
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.setAllColumnsShowFocus(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        header = self.header()
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        widths = {"name": 240, "id": 90, "version": 70, "arch": 85, "os": 115, "language": 75, "size": 90,
                  "scratch": 95, "source_version": 100, "last_update": 140, "comment": 220, "default": 90}
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, widths.get(column.key, 100))
            header.setSectionHidden(i, not column.visible_by_default)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.doubleClicked.connect(self._activated)

    # -- selection -----------------------------------------------------------------------------

    def selected_package_ids(self) -> list[str]:
        ids: list[str] = []
        for index in self.selectionModel().selectedRows():
            if index.data(NodeKindRole) == "package":
                pid = index.data(PackageIdRole)
                if pid and pid not in ids:
                    ids.append(pid)
        return ids

    def current_package_id(self) -> str | None:
        index = self.currentIndex()
        return index.data(PackageIdRole) if index.isValid() else None

    def _activated(self, index: object) -> None:
        if self.current_package_id():
            self.properties_requested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
        if enter and self.current_package_id():
            self.properties_requested.emit()
            return
        super().keyPressEvent(event)

    # -- column chooser ------------------------------------------------------------------------

    def column_menu(self) -> QMenu:
        menu = QMenu("Columns", self)
        header = self.header()
        for i, column in enumerate(COLUMNS):
            action = QAction(column.header, menu)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setEnabled(i != 0)  # the Name column always stays
            action.toggled.connect(lambda on, i=i: header.setSectionHidden(i, not on))
            menu.addAction(action)
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        self.column_menu().exec(self.header().mapToGlobal(pos))

    # -- dropping a .wim file opens the Add Boot Image wizard --------------------------------------

    @staticmethod
    def _wim_path(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> str | None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        for url in urls:
            path = url.toLocalFile()
            if path.lower().endswith((".wim", ".esd")):
                return path
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._wim_path(event):
            event.acceptProposedAction()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._wim_path(event):
            event.acceptProposedAction()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._wim_path(event)
        if path:
            event.acceptProposedAction()
            self.wim_dropped.emit(path)
            return
        event.ignore()  # packages are moved by dropping them on a folder in the navigation tree
