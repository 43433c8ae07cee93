"""Optional Components tab: what the boot image gets, and Edit… (the wizard)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.optional_components import OptionalComponentCatalog
from console.ui.propertysheet.form_builder import caption
from console.ui.propertysheet.panels.components_model import ComponentsModel, component_rows
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.propertysheet.view_keys import setup_table

PROPERTY = "OptionalComponents"


class OptionalComponentsPanel(QWidget):
    edit_requested = Signal()

    def __init__(self, values: SheetValues, catalog: OptionalComponentCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values = values
        self._catalog = catalog
        self.model = ComponentsModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, "Optional components")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.edit_button = QPushButton("&Edit…", self)
        self.edit_button.setToolTip("Choose the optional components; prerequisites are added for you")
        self.edit_button.clicked.connect(self.edit_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(caption(
            "Windows PE optional components of this boot image: the ones chosen, the ones added as their "
            "prerequisites, and (greyed) the ones this site requires in every boot image. Changes are recorded "
            "with the boot image and added to the WIM when customized boot images are built (not available "
            "in this console yet).", self))
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        values.reset.connect(self.refresh)
        values.value_changed.connect(lambda name: self.refresh() if name in (PROPERTY, "Architecture") else None)

    def refresh(self) -> None:
        self.model.set_rows(component_rows(
            self._catalog,
            self._values.get("Architecture") or "",
            tuple(self._values.get(PROPERTY) or ()),
            tuple(self._values.original(PROPERTY) or ()),
        ))
