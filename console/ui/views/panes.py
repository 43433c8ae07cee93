"""Two stacked panes in a vertical splitter, as the Distribution Points and Content Status pages
lay them out (a bar over a list, a bar over a list)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLayout, QSplitter, QVBoxLayout, QWidget

#: A pane's item: a layout, a widget, or (widget, stretch).
PaneItem = QLayout | QWidget | tuple[QWidget, int]


def pane(*items: PaneItem) -> QWidget:
    """A widget holding ``items`` top to bottom, without margins."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    for item in items:
        if isinstance(item, QLayout):
            layout.addLayout(item)
        elif isinstance(item, tuple):
            layout.addWidget(item[0], item[1])
        else:
            layout.addWidget(item)
    return widget


def vertical_split(panes: Sequence[QWidget], sizes: Sequence[int]) -> QSplitter:
    splitter = QSplitter(Qt.Orientation.Vertical)
    for widget in panes:
        splitter.addWidget(widget)
    splitter.setSizes(list(sizes))
    return splitter
