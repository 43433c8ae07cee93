"""The All Properties tab: every property of the class, filterable, editable in place."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.classdef import PropertyDef
from console.ui.propertysheet.all_properties_delegate import PropertyValueDelegate
from console.ui.propertysheet.all_properties_model import NAME, QUALIFIERS, TYPE, VALUE, AllPropertiesModel
from console.ui.propertysheet.editor_base import EditorContext, read_only_reason
from console.ui.propertysheet.roles import InlineEditRole, PropertyRole
from console.ui.propertysheet.sheet_values import SheetValues
from console.ui.propertysheet.value_dialog import ValueDialog
from console.ui.propertysheet.view_keys import setup_table


class AllPropertiesTab(QWidget):
    def __init__(self, values: SheetValues, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tab_all-properties")
        self._values = values
        self._ctx = ctx
        self.model = AllPropertiesModel(values, ctx.registry, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(NAME)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter by property name")
        self.filter.setClearButtonEnabled(True)
        self.filter.setAccessibleName("Filter properties")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        filter_label = QLabel("&Find:", self)
        filter_label.setBuddy(self.filter)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setItemDelegateForColumn(VALUE, PropertyValueDelegate(ctx, self.table))
        setup_table(self.table, "All properties")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.resizeColumnToContents(NAME)
        header.resizeSection(NAME, min(header.sectionSize(NAME), 230))
        header.resizeSection(TYPE, 90)
        header.resizeSection(QUALIFIERS, 110)
        self.table.activated.connect(self.edit_index)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        edit_action = QAction("Edit value", self.table)
        edit_action.setShortcut(QKeySequence(Qt.Key.Key_F2))
        edit_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        edit_action.triggered.connect(lambda: self.edit_index(self.table.currentIndex()))
        self.table.addAction(edit_action)

        self.edit_button = QPushButton("&Edit Value…", self)
        self.edit_button.clicked.connect(lambda: self.edit_index(self.table.currentIndex()))
        self.edit_button.setEnabled(False)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setMinimumHeight(self.fontMetrics().lineSpacing() * 3)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setText("Select a property to see what it means. Enter, F2 or a double-click edits a value.")

        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.details, 1)
        bottom.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def select_property(self, name: str) -> None:
        index = self.proxy.mapFromSource(self.model.index(self.model.row_of(name), VALUE))
        if index.isValid():
            self.table.setCurrentIndex(index)
            self.table.scrollTo(index)

    def edit_index(self, index: QModelIndex) -> None:
        """Enter, F2, double-click or Edit Value…: edit in the cell when it fits, else in a dialog."""
        if not index.isValid():
            return
        value_index = index.siblingAtColumn(VALUE)
        prop: PropertyDef = value_index.data(PropertyRole)
        if value_index.data(InlineEditRole):
            self.table.setCurrentIndex(value_index)
            self.table.edit(value_index)
            return
        if not self._values.is_loaded(prop.name):
            return
        edited = ValueDialog.ask(self, prop, self._ctx, self._values.get(prop.name))
        if edited is not None and not prop.is_read_only:
            self._values.set(prop.name, edited.value)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.edit_button.setEnabled(current.isValid())
        if not current.isValid():
            return
        prop: PropertyDef = current.data(PropertyRole)
        access = read_only_reason(prop) if prop.is_read_only else "Read/write."
        self.edit_button.setText("&View Value…" if prop.is_read_only else "&Edit Value…")
        self.details.setText(
            f"<b>{html.escape(prop.name)}</b> ({html.escape(prop.display_type)}) — "
            f"{html.escape(prop.description or 'No description.')} <i>{html.escape(access)}</i>"
        )
