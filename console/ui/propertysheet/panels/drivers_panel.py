"""Drivers tab: the catalog drivers the boot image references, Add… and Remove."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.instance import Instance
from console.ui.propertysheet.panels.drivers_model import DriversModel
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.propertysheet.view_keys import setup_table

PROPERTY = "ReferencedDrivers"


class DriversPanel(QWidget):
    add_requested = Signal()

    def __init__(self, values: SheetValues, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = values
        self.model = DriversModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Drivers in this boot image")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.count = QLabel(self)
        self.add_button = QPushButton("A&dd…", self)
        self.add_button.setToolTip("Add drivers from the driver catalog")
        self.remove_button = QPushButton("&Remove", self)
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        values.reset.connect(self.refresh)
        values.value_changed.connect(lambda name: self.refresh() if name == PROPERTY else None)
        self._update_buttons()

    def refresh(self) -> None:
        self.model.set_references(self.drivers(), tuple(self._values.original(PROPERTY) or ()))
        self._update_buttons()

    def set_catalog(self, details: Mapping[int, Any]) -> None:
        """Catalog drivers by CI_ID (``console.core.drivers.Driver``), for names and versions."""
        self.model.set_details(details)

    def drivers(self) -> tuple[Instance, ...]:
        return tuple(self._values.get(PROPERTY) or ())

    def add_drivers(self, drivers: Sequence[Instance], details: Mapping[int, Any] | None = None) -> None:
        """Reference more drivers (from the Add Drivers dialog); ones already there are skipped."""
        if details:
            self.model.add_details(details)
        current = list(self.drivers())
        known = {d.get("ID") for d in current}
        current.extend(d for d in drivers if d.get("ID") not in known)
        self._values.set(PROPERTY, tuple(current))

    def remove_selected(self) -> None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if rows:
            self._values.set(PROPERTY, tuple(d for i, d in enumerate(self.drivers()) if i not in rows))

    def _update_buttons(self, *_args: object) -> None:
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        count = self.model.rowCount()
        self.count.setText(f"{count} driver" + ("" if count == 1 else "s"))
