"""Arrays of embedded instances: a table with Add…, Edit… and Remove."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.classdef import PropertyDef
from console.core.instance import Instance
from console.ui.propertysheet.editor_base import EditorContext, EditorMixin
from console.ui.propertysheet.instance_table_model import InstanceTableModel
from console.ui.propertysheet.view_keys import setup_table


class InstanceTableEditor(EditorMixin, QWidget):
    """Each row is edited in a dialog generated from the row's class metadata (with a
    type chooser when the embedded class has subclasses, as schedule tokens do)."""

    def __init__(self, prop: PropertyDef, ctx: EditorContext, parent: QWidget | None = None, *,
                 label: str = "", read_only: str = "") -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._base = prop.embedded_class or ""
        self.model = InstanceTableModel(ctx.registry, self._base, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        setup_table(self.table, prop.name)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(90)
        self.table.setMaximumHeight(120)
        self.table.activated.connect(lambda _index: self._edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton("Add…", self)
        self.edit_button = QPushButton("Edit…", self)
        self.remove_button = QPushButton("Remove", self)
        self.count_label = QLabel(self)
        self.add_button.clicked.connect(self._add)
        self.edit_button.clicked.connect(self._edit)
        self.remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.init_editor(prop, label, read_only)
        self.table.setAccessibleName(self.accessibleName())
        self._update_buttons()

    # -- uniform interface ----------------------------------------------------------------

    def value(self) -> Any:
        return self.model.instances()

    def set_value(self, value: Any) -> None:
        with self.updating():
            self.model.set_instances(tuple(value or ()))
        self._update_buttons()

    def set_read_only(self, read_only: bool) -> None:
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setVisible(not read_only)

    # -- actions --------------------------------------------------------------------------

    def edit_instance(self, instance: Instance | None) -> Instance | None:
        from console.ui.propertysheet.schedule_dialog import ScheduleDialog

        if self._base == "SMS_ScheduleToken" and ScheduleDialog.can_edit(instance):
            title = f"{self.accessibleName()} — {'Edit' if instance else 'New'} Schedule"
            return ScheduleDialog.ask(self, instance, title)
        if self._ctx.open_instance is None:
            raise RuntimeError("this editor context has no dialog for embedded instances (EditorContext.open_instance)")
        title = f"{self.accessibleName()} — {'Edit' if instance else 'New'} {self._base}"
        return self._ctx.open_instance(self, self._ctx, self._base, instance, title=title)

    def _add(self) -> None:
        created = self.edit_instance(None)
        if created is not None:
            self.model.append(created)
            self.table.selectRow(self.model.rowCount() - 1)
            self.emit_changed()
        self._update_buttons()

    def _edit(self) -> None:
        row = self._current_row()
        if row is None or self.read_only:
            return
        edited = self.edit_instance(self.model.instances()[row])
        if edited is not None and edited != self.model.instances()[row]:
            self.model.replace(row, edited)
            self.emit_changed()

    def _remove(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        if rows:
            self.model.remove_rows(rows)
            self.emit_changed()
        self._update_buttons()

    def _current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        current = self.table.currentIndex()
        return current.row() if current.isValid() else None

    def _update_buttons(self, *_args: object) -> None:
        count = self.model.rowCount()
        limit = self.prop.max_items
        full = limit is not None and count >= limit
        self.add_button.setEnabled(not full)
        self.add_button.setToolTip(f"{self.prop.name} holds at most {limit} items" if full else "")
        has_selection = bool(self.table.selectionModel().selectedRows())
        self.edit_button.setEnabled(has_selection)
        self.remove_button.setEnabled(has_selection)
        noun = "item" if count == 1 else "items"
        self.count_label.setText(f"{count} of at most {limit} {noun}" if limit is not None else f"{count} {noun}")
