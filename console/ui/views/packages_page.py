"""The Boot Images node: filter box, package tree, details pane (or the first-run empty state)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.ui.models.flat_tree_proxy import FlatTreeProxy
from console.ui.models.package_tree_model import PackageTreeModel
from console.ui.record_views import search_field
from console.ui.views.details_pane import DetailsPane
from console.ui.views.empty_state import EmptyState
from console.ui.views.package_view import PackageView

FILTER_DELAY_MS = 120


class PackagesPage(QWidget):
    include_subfolders_changed = Signal(bool)

    def __init__(self, model: PackageTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.title = QLabel("Boot Images")
        self.title.setObjectName("pageTitle")
        self.filter = search_field("Search name, image ID, version or comment (Ctrl+F)", "Search boot images")
        self.subfolders = QCheckBox("Include s&ubfolders")
        self.subfolders.setToolTip("Also list the boot images in the sub-folders of the selected folder")
        self.subfolders.toggled.connect(self.include_subfolders_changed)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.subfolders)
        top.addWidget(self.filter, 2)
        self.proxy = FlatTreeProxy(model, self)
        self.view = PackageView(self.proxy)
        self.details = DetailsPane()
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([480, 300])
        self.splitter.setChildrenCollapsible(False)
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self._apply_filter)
        self.filter.textChanged.connect(lambda _text: self._debounce.start())
        model.totals_changed.connect(self._update_empty_state)

    def apply_filter_now(self) -> None:
        self._debounce.stop()
        self._apply_filter()

    def _apply_filter(self) -> None:
        text = self.filter.text().strip()
        if text != self.model.scope.text:
            self.model.set_scope(text=text)

    def _update_empty_state(self, loaded: int, total: int) -> None:
        scope = self.model.scope
        site_is_empty = total == 0 and not scope.text and scope.folder_id in (0, None) and not scope.recursive
        self.stack.setCurrentWidget(self.empty if site_is_empty else self.splitter)

    def set_title(self, text: str) -> None:
        self.title.setText(text)
