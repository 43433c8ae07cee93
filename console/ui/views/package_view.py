"""The central list of boot image packages: a table that unfolds packages like a tree.

It shows ``FlatTreeProxy`` over the package tree model, so 100,000 packages cost only the
visible rows. Right/Left (or + and -) expand and collapse, Enter opens the properties.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from console.ui.models.flat_tree_proxy import ExpandableRole, ExpandedRole, FlatTreeProxy
from console.ui.models.package_columns import COLUMNS
from console.ui.models.roles import NodeKindRole, PackageIdRole
from console.ui.views.branch_delegate import BranchDelegate

OS_VERSION_SAMPLE = "10.0.26100.10000"  # one digit more than today's builds
CELL_PADDING = 24  # the delegate's margins and the sort indicator's room


class PackageView(QTableView):
    properties_requested = Signal()
    wim_dropped = Signal(str)

    def __init__(self, model: FlatTreeProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.proxy = model
        self.selectionModel().selectionChanged.connect(self._keep_selected_rows)
        self.setAccessibleName("Boot images")
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        # the indicator first: enabling sorting then sorts (queries) once, by Name
        self.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setTabKeyNavigation(False)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.delegate = BranchDelegate(self)
        self.setItemDelegateForColumn(0, self.delegate)
        self.delegate.toggled.connect(self.toggle)
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        widths = {"name": 250, "id": 90, "version": 70, "arch": 85, "os": 115, "language": 75, "size": 90,
                  "scratch": 110, "source_version": 110, "last_update": 140, "comment": 220, "default": 100}
        # A real build number (10.0.26100.1742) shows whole at the default width, in any font.
        widths["os"] = max(widths["os"], self.fontMetrics().horizontalAdvance(OS_VERSION_SAMPLE) + CELL_PADDING)
        for i, column in enumerate(COLUMNS):
            header.resizeSection(i, widths.get(column.key, 100))
            header.setSectionHidden(i, not column.visible_by_default)
        self.doubleClicked.connect(self._double_clicked)

    def header(self) -> QHeaderView:
        return self.horizontalHeader()

    # -- tree behaviour ------------------------------------------------------------------------

    def toggle(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        if index.data(ExpandableRole):
            self.proxy.set_expanded(row, not index.data(ExpandedRole))

    def set_expanded(self, row: int, expanded: bool) -> None:
        self.proxy.set_expanded(row, expanded)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.data(NodeKindRole) == "package":
            self.properties_requested.emit()
        else:
            self.toggle(index.row())

    # -- selection -----------------------------------------------------------------------------

    def _keep_selected_rows(self, *_args: object) -> None:
        """The package model keeps the loaded rows of the selection (it drops far rows)."""
        keep = getattr(self.proxy.source, "keep_rows", None)
        if keep is None:
            return
        ranges = []
        selection = self.selectionModel().selection()
        for n in range(selection.count()):
            selected = selection.at(n)
            top = self.proxy.to_source(self.proxy.index(selected.top(), 0))
            bottom = self.proxy.to_source(self.proxy.index(selected.bottom(), 0))
            while top.isValid() and top.parent().isValid():
                top = top.parent()
            while bottom.isValid() and bottom.parent().isValid():
                bottom = bottom.parent()
            if top.isValid() and bottom.isValid():
                ranges.append((top.row(), bottom.row()))
        keep(ranges)

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

    def selectionCommand(self, index: QModelIndex | QPersistentModelIndex,
                         event: QEvent | None = None) -> QItemSelectionModel.SelectionFlag:
        """Ctrl+Home / Ctrl+End select the first / last boot image (Qt's default only moves the
        focus there, leaving the old selection and details)."""
        if (isinstance(event, QKeyEvent) and event.key() in (Qt.Key.Key_Home, Qt.Key.Key_End)
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier):
            return QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        return super().selectionCommand(index, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        index = self.currentIndex()
        key, modifiers = event.key(), event.modifiers()
        if index.isValid() and not modifiers:
            row = index.row()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.data(NodeKindRole) == "package":
                self.properties_requested.emit()
                return
            if key in (Qt.Key.Key_Right, Qt.Key.Key_Plus) and index.data(ExpandableRole) and not index.data(ExpandedRole):
                self.set_expanded(row, True)
                return
            if key in (Qt.Key.Key_Left, Qt.Key.Key_Minus) and index.data(ExpandedRole):
                self.set_expanded(row, False)
                return
        super().keyPressEvent(event)

    # -- column chooser ------------------------------------------------------------------------

    def column_menu(self) -> QMenu:
        menu = QMenu("Columns", self)
        header = self.horizontalHeader()
        for i, column in enumerate(COLUMNS):
            action = QAction(column.header, menu)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.setEnabled(i != 0)  # the Name column always stays
            action.toggled.connect(lambda on, i=i: header.setSectionHidden(i, not on))
            menu.addAction(action)
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        self.column_menu().exec(self.horizontalHeader().mapToGlobal(pos))

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
