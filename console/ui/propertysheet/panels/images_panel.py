"""Images tab: the images of the source WIM, the one the package uses, and Reload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.ui.propertysheet.form_builder import caption
from console.ui.propertysheet.panels.images_model import DETAILS, ImagesModel, boot_index_text, shown
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.propertysheet.view_keys import setup_table

WARNING_STYLE = "background: #fff4ce; border: 1px solid #e0b400; padding: 6px; color: #3b2f00;"


class ImagesPanel(QWidget):
    """Shows what the dialog hands it (``set_images``); ``reload_requested`` asks the
    dialog to run ReloadImageProperties in the background."""

    reload_requested = Signal()

    def __init__(self, values: SheetValues, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = values
        self._boot_index: int | None = None
        self.path = QLabel(self)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path.setWordWrap(True)
        self.model = ImagesModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Images in the image file")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMaximumHeight(150)
        self.table.selectionModel().currentRowChanged.connect(self._show_details)

        self.details_box = QGroupBox("Image properties", self)
        self.details = QFormLayout(self.details_box)
        self.details.setVerticalSpacing(3)
        self._detail_labels: dict[str, QLabel] = {}
        for label, attribute in DETAILS:
            value = QLabel(self.details_box)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self._detail_labels[attribute] = value
            self.details.addRow(label + ":", value)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Reload status")
        self.reload_button = QPushButton("&Reload", self)
        self.reload_button.setToolTip("Read the image file again (ReloadImageProperties), for example after "
                                      "it was changed with DISM or another tool")
        self.reload_button.clicked.connect(self.reload_requested)

        self.source_warning = QLabel(self)
        self.source_warning.setObjectName("sourceWarning")
        self.source_warning.setAccessibleName("Source image warning")
        self.source_warning.setWordWrap(True)
        self.source_warning.setStyleSheet(WARNING_STYLE)
        self.source_warning.hide()

        top = QFormLayout()
        top.addRow("Image file:", self.path)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(caption("The images in the source image file. The package is built from the image "
                                 "shown in bold (Image index on the Data Source tab). If the file was changed "
                                 "by another tool, press Reload.", self))
        layout.addWidget(self.source_warning)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.details_box, 1)
        layout.addLayout(bottom)
        values.reset.connect(self._values_reset)

    def set_images(self, images: Sequence[Any]) -> None:
        self.model.set_images(images, int(self._values.get("ImageIndex") or 1))
        row = self.model.row_of_selected()
        if row is None and images:
            row = 0
        if row is not None:
            self.table.selectRow(row)
        else:
            self._show_details(QModelIndex(), QModelIndex())
        if not images:
            self.status.setText("The package records no image metadata; press Reload to read the image file.")

    def set_source_problem(self, problem: str | None, boot_index: int | None = None) -> None:
        """A warning banner when the source WIM is gone or unreadable (the list is then history);
        ``boot_index`` is the file's header boot index when it could be read."""
        self._boot_index = boot_index
        self.source_warning.setText(f"⚠ {problem}" if problem else "")
        self.source_warning.setVisible(bool(problem))

    def set_busy(self, text: str) -> None:
        self.reload_button.setEnabled(False)
        self.status.setText(text)

    def set_done(self, text: str) -> None:
        self.reload_button.setEnabled(True)
        self.status.setText(text)

    def _values_reset(self) -> None:
        self.path.setText(self._values.get("ImagePath") or "(none)")

    def _show_details(self, current: QModelIndex, _previous: QModelIndex) -> None:
        images = self.model.images()
        info = images[current.row()] if current.isValid() and current.row() < len(images) else None
        for attribute, label in self._detail_labels.items():
            label.setText(shown(info, attribute) if info is not None else "")
        if info is not None:
            self._detail_labels["is_boot_image"].setText(boot_index_text(self._boot_index, info))
