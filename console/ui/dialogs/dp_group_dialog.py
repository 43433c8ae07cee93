"""Add / Edit Distribution Point Group: name, description and its members (this site's
distribution points), chosen from a searchable list. A distribution point may be in several
groups; one added later receives the group's content (the service queues it)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.distribution import DistributionPoint, DpGroup
from console.core.errors import error_text
from console.ui.tasks import TaskRunner

SaveGroupFn = Callable[[DpGroup], DpGroup]


class MembersChooser(QWidget):
    """Available distribution points (searchable) on the left, members on the right."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search distribution points")
        self.search.setAccessibleName("Search distribution points")
        self.search.setClearButtonEnabled(True)
        self.available = self._list("Available distribution points")
        self.members = self._list("Members")
        self.add_button = QPushButton("&Add >", self)
        self.remove_button = QPushButton("< &Remove", self)
        self.add_button.clicked.connect(self.add_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.available.itemDoubleClicked.connect(lambda _item: self.add_selected())
        self.members.itemDoubleClicked.connect(lambda _item: self.remove_selected())
        self.search.textChanged.connect(self._filter)
        self.available.itemSelectionChanged.connect(self._update_buttons)
        self.members.itemSelectionChanged.connect(self._update_buttons)
        available_label = QLabel("A&vailable:", self)
        available_label.setBuddy(self.available)
        members_label = QLabel("&Members:", self)
        members_label.setBuddy(self.members)
        buttons = QVBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.search, 0, 0)
        grid.addWidget(available_label, 1, 0)
        grid.addWidget(members_label, 1, 2)
        grid.addWidget(self.available, 2, 0)
        grid.addLayout(buttons, 2, 1)
        grid.addWidget(self.members, 2, 2)
        self._update_buttons()

    def _list(self, name: str) -> QListWidget:
        widget = QListWidget(self)
        widget.setAccessibleName(name)
        widget.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        widget.setSortingEnabled(True)
        return widget

    def set_points(self, points: Iterable[DistributionPoint], members: Iterable[str]) -> None:
        chosen = set(members)
        self.available.clear()
        self.members.clear()
        for dp in points:
            item = QListWidgetItem(dp.name)
            item.setToolTip(f"{dp.transport.value}: {dp.address}" + (f" — {dp.description}" if dp.description else ""))
            (self.members if dp.name in chosen else self.available).addItem(item)
        for missing in sorted(chosen - {self.members.item(i).text() for i in range(self.members.count())}):
            self.members.addItem(QListWidgetItem(missing))  # a member this site no longer lists
        self._filter(self.search.text())
        self._update_buttons()

    def member_names(self) -> tuple[str, ...]:
        return tuple(sorted(self.members.item(i).text() for i in range(self.members.count())))

    def _move(self, source: QListWidget, target: QListWidget) -> None:
        for item in source.selectedItems():
            target.addItem(source.takeItem(source.row(item)))
        self._filter(self.search.text())
        self._update_buttons()
        self.changed.emit()

    def add_selected(self) -> None:
        self._move(self.available, self.members)

    def remove_selected(self) -> None:
        self._move(self.members, self.available)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.available.count()):
            item = self.available.item(row)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(bool(self.available.selectedItems()))
        self.remove_button.setEnabled(bool(self.members.selectedItems()))


class DpGroupDialog(QDialog):
    """``saved(DpGroup)`` once the service saved the group."""

    saved = Signal(object)

    def __init__(self, tasks: TaskRunner, points: list[DistributionPoint], save: SaveGroupFn, *,
                 existing: DpGroup | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dpGroupDialog")
        self._tasks = tasks
        self._save = save
        self._existing = existing
        self.setWindowTitle(f"Distribution Point Group Properties — {existing.name}" if existing
                            else "Create Distribution Point Group")
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Group name")
        self.description = QLineEdit(self)
        self.description.setAccessibleName("Description")
        self.description.setPlaceholderText("optional")
        self.chooser = MembersChooser(self)
        self.chooser.set_points(points, existing.members if existing else ())
        self.error = QLabel(self)
        self.error.setObjectName("groupError")
        self.error.setAccessibleName("Group problem")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        self.error.hide()
        hint = QLabel("Content distributed to the group goes to every member; a distribution point added "
                      "later receives the group's content.", self)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        if existing is not None:
            self.name.setText(existing.name)
            self.description.setText(existing.description)
        form = QFormLayout()
        name_label = QLabel("&Name:", self)
        name_label.setBuddy(self.name)
        description_label = QLabel("&Description:", self)
        description_label.setBuddy(self.description)
        form.addRow(name_label, self.name)
        form.addRow(description_label, self.description)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept_input)
        self.buttons.rejected.connect(self.reject)
        self.name.textEdited.connect(lambda _t: self.error.hide())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.chooser, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(620, 460)
        self.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def group(self) -> DpGroup:
        base = self._existing or DpGroup(name="")
        return dataclasses.replace(base, name=self.name.text().strip(), description=self.description.text().strip(),
                                   members=self.chooser.member_names())

    def _problem(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def accept_input(self) -> None:
        group = self.group()
        if not group.name:
            self._problem("Enter the group's name.")
            self.name.setFocus()
            return
        self.buttons.setEnabled(False)
        self._tasks.run(lambda _ctx: self._save(group),
                        on_success=lambda saved: self._saved(saved) if isValid(self) else None,
                        on_error=lambda exc: self._failed(exc) if isValid(self) else None,
                        description=f"Saving distribution point group {group.name}")

    def _saved(self, saved: DpGroup) -> None:
        self.buttons.setEnabled(True)
        self.saved.emit(saved)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self._problem(error_text(exc))
