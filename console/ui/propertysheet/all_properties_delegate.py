"""Edits a value cell of the All Properties table with the editor the factory picks."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from console.ui.propertysheet.choice_editors import BoolEditor, ChoiceEditor
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.editor_factory import create_editor
from console.ui.propertysheet.roles import PropertyRole

Index = QModelIndex | QPersistentModelIndex


class PropertyValueDelegate(QStyledItemDelegate):
    def __init__(self, ctx: EditorContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        """The metadata-chosen editor; choices and check boxes commit as soon as they change."""
        editor: Any = create_editor(index.data(PropertyRole), self._ctx, parent, inline=True)
        editor.setAutoFillBackground(True)
        if isinstance(editor, (ChoiceEditor, BoolEditor)):
            editor.changed.connect(lambda: self.commitData.emit(editor))
        widget: QWidget = editor
        return widget

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        editor.set_value(index.data(Qt.ItemDataRole.EditRole))  # type: ignore[attr-defined]

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        """Half-typed input (``editor.problem()``) is not committed; the old value stays."""
        if editor.problem() is None:  # type: ignore[attr-defined]
            model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)  # type: ignore[attr-defined]

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        editor.setGeometry(option.rect)
