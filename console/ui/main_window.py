"""Main window (minimal until the console-window work lands): the site's boot images."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QMainWindow, QTableView

COLUMNS = ("Name", "PackageID", "Version", "Architecture", "ImageOSVersion", "Language", "PackageSize")
HEADERS = ("Name", "Image ID", "Version", "Architecture", "OS Version", "Language", "Size (KB)")


class PackageListModel(QAbstractTableModel):
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__()
        self._rows = rows

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return str(self._rows[index.row()].get(COLUMNS[index.column()], ""))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None


class MainWindow(QMainWindow):
    def __init__(self, console: Any) -> None:
        super().__init__()
        site = console.sites.local()
        self.setWindowTitle(f"Boot Image Console - {site.code} ({site.name})")
        rows = [dict(item.values) for item in console.packages.query().items]
        self.table = QTableView(self)
        self.table.setModel(PackageListModel(rows))
        self.setCentralWidget(self.table)
        self.statusBar().showMessage(f"{len(rows)} boot image package(s)")
        self.resize(1100, 650)
