"""Add ▸ Distribution Point / Distribution Point Group: a searchable, checkable list of the
destinations that may still be added (DPs that already hold all the selected content, and
those already chosen, are not offered)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

NameRole = Qt.ItemDataRole.UserRole + 80


class DestinationChooser(QDialog):
    """``entries``: (name, description) pairs offered; ``chosen()`` the checked names."""

    def __init__(self, title: str, entries: Sequence[tuple[str, str]], hidden_note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("destinationChooser")
        self.setWindowTitle(title)
        self.model = QStandardItemModel(self)
        for name, description in entries:
            item = QStandardItem(f"{name} — {description}" if description else name)
            item.setData(name, NameRole)
            item.setCheckable(True)
            item.setEditable(False)
            self.model.appendRow(item)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search")
        self.search.setAccessibleName("Search")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QListView(self)
        self.view.setModel(self.proxy)
        self.view.setAccessibleName(title)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        search_label = QLabel("&Filter:", self)
        search_label.setBuddy(self.search)
        self.note = QLabel(hidden_note if entries else (hidden_note or "Nothing to add."), self)
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(self.note.text()))
        self.select_all = QPushButton("Select &All Shown", self)
        self.select_all.clicked.connect(self._check_shown)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.addButton(self.select_all, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(search_label)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(460, 420)

    def _check_shown(self) -> None:
        for row in range(self.proxy.rowCount()):
            source = self.proxy.mapToSource(self.proxy.index(row, 0))
            item = self.model.itemFromIndex(source)
            if item is not None:
                item.setCheckState(Qt.CheckState.Checked)

    def set_checked(self, *names: str) -> None:
        for row in range(self.model.rowCount()):
            item = self.model.item(row)
            if item is not None and item.data(NameRole) in names:
                item.setCheckState(Qt.CheckState.Checked)

    def offered(self) -> list[str]:
        return [str(self.model.item(row).data(NameRole)) for row in range(self.model.rowCount())]

    def chosen(self) -> list[str]:
        names = []
        for row in range(self.model.rowCount()):
            item = self.model.item(row)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                names.append(str(item.data(NameRole)))
        return names
