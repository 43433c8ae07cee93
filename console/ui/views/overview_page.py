"""The page of a group node (the site, Software Library, Operating Systems, Administration,
Monitoring): its child nodes with a one-line description each; Enter or a double-click opens one."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTreeView, QVBoxLayout, QWidget

NODE_DESCRIPTIONS = {
    "Software Library": "Boot images and the driver catalog.",
    "Administration": "The sites of the hierarchy and their distribution points.",
    "Monitoring": "Status messages, the audit (who changed what, when and from where), build and distribution jobs, content status.",
    "Operating Systems": "Boot images and drivers.",
    "Boot Images": "Windows PE boot image packages: import, edit and organise them in folders.",
    "Drivers": "The driver catalog: network and storage drivers to add to boot images.",
    "Sites": "This site and the other sites of the hierarchy.",
    "Distribution Points": "The servers that keep boot images for clients and PXE (folder, SMB share or SSH), and their groups.",
    "Status Messages": "What happened at this site: every change to a boot image or driver, with user and time.",
    "Audit": "Who changed what, when and from where, with every value old → new; refused actions too.",
    "Jobs": "Build and distribution jobs and their progress.",
    "Distribution Status": "Where content is on the distribution points.",
    "Content Status": "Per boot image and per distribution point: installed, in progress, failed (with the cause).",
}


class OverviewPage(QWidget):
    """Lists ``children`` (navigation indexes); ``open_requested`` names the one to open."""

    open_requested = Signal(QPersistentModelIndex)

    def __init__(self, title: str, children: Sequence[QModelIndex], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("pageTitle")
        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels(["Node", "Description"])
        self._targets: list[QPersistentModelIndex] = []
        for child in children:
            label = str(child.data())
            name = QStandardItem(label)
            name.setIcon(child.data(Qt.ItemDataRole.DecorationRole))
            name.setEditable(False)
            text = QStandardItem(NODE_DESCRIPTIONS.get(label, ""))
            text.setEditable(False)
            self.model.appendRow([name, text])
            self._targets.append(QPersistentModelIndex(child))
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setRootIsDecorated(False)
        self.view.setAccessibleName(title)
        self.view.setUniformRowHeights(True)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.view.header().setStretchLastSection(True)
        self.view.activated.connect(self._activated)
        if self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)

    def status_text(self) -> str:
        return f"{self.title.text()}: {self.model.rowCount()} node(s)"

    def node_names(self) -> list[str]:
        return [str(self.model.index(r, 0).data()) for r in range(self.model.rowCount())]

    def _activated(self, index: QModelIndex) -> None:
        target = self._targets[index.row()]
        if target.isValid():
            self.open_requested.emit(target)
