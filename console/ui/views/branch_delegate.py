"""Draws the tree part of the flat package list: indentation and expand arrows in column 0."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOption, QStyleOptionViewItem, QWidget

from console.ui.models.flat_tree_proxy import DepthRole, ExpandableRole, ExpandedRole

INDENT = 18


class BranchDelegate(QStyledItemDelegate):
    toggled = Signal(int)  # flat row whose expansion was clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    @staticmethod
    def _arrow_rect(option: QStyleOptionViewItem, depth: int) -> QRect:
        rect = option.rect  # type: ignore[attr-defined]
        return QRect(rect.left() + depth * INDENT, rect.top(), INDENT, rect.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        if index.column() != 0:
            super().paint(painter, option, index)
            return
        depth = int(index.data(DepthRole) or 0)
        arrow = self._arrow_rect(option, depth)
        shifted = QStyleOptionViewItem(option)
        shifted.rect = option.rect.adjusted(arrow.right() + 1 - option.rect.left(), 0, 0, 0)  # type: ignore[attr-defined]
        # paint the selection/background under the indentation too
        style = option.widget.style() if option.widget else None  # type: ignore[attr-defined]
        if style is not None:
            background = QStyleOptionViewItem(option)
            self.initStyleOption(background, index)
            background.text = ""
            background.icon = background.icon.__class__()
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, background, painter, option.widget)  # type: ignore[attr-defined]
        if index.data(ExpandableRole) and style is not None:
            branch = QStyleOption()
            branch.initFrom(option.widget)  # type: ignore[attr-defined]
            size = min(arrow.width(), arrow.height(), 12)
            branch.rect = QRect(arrow.center().x() - size // 2 + 1, arrow.center().y() - size // 2 + 1, size, size)
            if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
                branch.palette.setColor(QPalette.ColorRole.WindowText, option.palette.color(QPalette.ColorRole.HighlightedText))  # type: ignore[attr-defined]
            element = (QStyle.PrimitiveElement.PE_IndicatorArrowDown if index.data(ExpandedRole)
                       else QStyle.PrimitiveElement.PE_IndicatorArrowRight)
            style.drawPrimitive(element, branch, painter, option.widget)  # type: ignore[attr-defined]
        super().paint(painter, shifted, index)

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> bool:
        if index.column() == 0 and event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            depth = int(index.data(DepthRole) or 0)
            if index.data(ExpandableRole) and self._arrow_rect(option, depth).contains(event.position().toPoint()):
                self.toggled.emit(index.row())
                return True
        return super().editorEvent(event, model, option, index)  # type: ignore[arg-type]
