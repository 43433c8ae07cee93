"""Choose… beside Image index: the images of the WIM at Image path, read in the background, to
pick from (as the Add Boot Image wizard offers them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.errors import error_text
from console.core.services.source_images import image_problems
from console.core.sizes import size_header, size_in
from console.ui.icons import icon
from console.ui.tasks import TaskRunner


class ImageChooserDialog(QDialog):
    """The images of ``info`` (a WimInfo); the one at ``current`` is preselected."""

    def __init__(self, info: Any, current: int, units: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose the Image")
        self.info = info
        headers = ["Index", "Name", "Architecture", "OS version", "Language", size_header(units), "Windows PE"]
        self.table = QTableWidget(len(info.images), len(headers), self)
        self.table.setAccessibleName("Images in the image file")
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for row, image in enumerate(info.images):
            values = [image.index, image.name or "(no name)", image.architecture_text, image.os_version,
                      image.default_language, size_in(units, image.total_bytes), "Yes" if image.is_windows_pe else "No"]
            problems = image_problems(info, image)
            for column, value in enumerate(values):
                item = QTableWidgetItem(str(value))
                if problems:
                    item.setToolTip("\n".join(problems))
                    if column == 0:
                        item.setIcon(icon("warning"))
                self.table.setItem(row, column, item)
            if image.index == current:
                self.table.selectRow(row)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.problems = QLabel(self)
        self.problems.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _index: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{info.path}: {len(info.images)} image(s)", self))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self.resize(760, 320)
        self._selected()

    def chosen_index(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.info.images[rows[0].row()].index if rows else None

    def _selected(self) -> None:
        index = self.chosen_index()
        image = next((i for i in self.info.images if i.index == index), None)
        problems = image_problems(self.info, image) if image is not None else []
        self.problems.setText("\n".join(f"⚠ {p}" for p in problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(index is not None)


def choose_image_index(parent: QWidget, console: Any, tasks: TaskRunner, path: str, current: int, units: str,
                       chosen: Callable[[int], None], failed: Callable[[str], None]) -> None:
    """Read ``path`` in the background, then ask; ``chosen`` gets the picked index."""
    if not path.strip():
        failed("Enter the image path first.")
        return

    def ask(info: Any) -> None:
        dialog = ImageChooserDialog(info, current, units, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted and (index := dialog.chosen_index()) is not None:
            chosen(index)

    tasks.run(lambda ctx: console.packages.get_image_properties(path.strip()), on_success=ask,
              on_error=lambda exc: failed(error_text(exc)), description=f"Reading {path}")
