"""Details of the selected boot image: Summary, Images, Optional Components, Drivers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QWidget,
)
from shiboken6 import isValid

from console.core.sizes import size_in
from console.ui.icons import icon
from console.ui.live import LiveRefresh
from console.ui.models.package_columns import property_text
from console.ui.models.package_details import PackageDetails
from console.ui.tasks import TaskRunner

SUMMARY_FIELDS = (
    ("Name", "Name"), ("Image ID", "PackageID"), ("Version", "Version"), ("Comment", "Description"),
    ("Architecture", "Architecture"), ("OS version", "ImageOSVersion"), ("Language", "Language"),
    ("Image path", "ImagePath"), ("Image index", "ImageIndex"), ("Size (KB)", "PackageSize"),
    ("Scratch space", "ScratchSpace"), ("Source version", "SourceVersion"), ("Owning site", "SourceSite"),
    ("Last update", "SourceDate"), ("Deploy from PXE", "DeployFromPxeDistributionPoint"),
    ("Command support (F8)", "EnableLabShell"),
)


def _table(headers: list[str], name: str) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(headers)
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view, model


def _row(*values: object) -> list[QStandardItem]:
    items = []
    for value in values:
        item = QStandardItem("" if value is None else str(value))
        item.setEditable(False)
        items.append(item)
    return items


class DetailTabs(QTabWidget):
    """Summary, Images, Optional Components and Drivers of one package."""

    def __init__(self) -> None:
        super().__init__()
        self.setDocumentMode(True)
        summary = QWidget()
        form = QFormLayout(summary)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for label, prop in SUMMARY_FIELDS:
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.values[prop] = value
            form.addRow(f"{label}:", value)
        self.content_status = QLabel()
        self.content_status.setAccessibleName("Content status")
        self.content_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.content_status.setWordWrap(True)
        form.insertRow(2, "Content status:", self.content_status)  # under Name and Image ID: seen first
        scroll = QScrollArea()
        scroll.setWidget(summary)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.addTab(scroll, icon("info"), "Summary")
        self.images_view, self.images = _table(["Index", "Name", "Architecture", "OS version", "Languages", "Size (KB)", "Edition", "Windows PE"], "Images")
        self.addTab(self.images_view, icon("image"), "Images")
        self.components_view, self.components = _table(["ID", "Component", "Why"], "Optional components")
        self.addTab(self.components_view, icon("optional-component"), "Optional Components")
        self.drivers_view, self.drivers = _table(["CI_ID", "Driver", "Source path"], "Drivers")
        self.addTab(self.drivers_view, icon("driver"), "Drivers")


def _part(name: str) -> Any:
    """A part of the tabs, read through the pane (builds the tabs)."""
    return property(lambda pane: getattr(pane.tabs, name), doc=f"The tabs' {name}.")


class DetailsPane(QStackedWidget):
    """Tabs with the selected package's details, or a one-line hint when nothing is selected.
    The tabs are built when first needed (start-up shows the hint only)."""

    _values = _part("values")
    content_status = _part("content_status")
    images_view = _part("images_view")
    components_view = _part("components_view")
    drivers_view = _part("drivers_view")
    _images = _part("images")
    _components = _part("components")
    _drivers = _part("drivers")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Details")
        self._tabs: DetailTabs | None = None
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setEnabled(False)
        self.addWidget(self.message)
        self.clear("Select a boot image to see its details.")

    @property
    def tabs(self) -> DetailTabs:
        if self._tabs is None:
            self._tabs = DetailTabs()
            self.addWidget(self._tabs)
        return self._tabs

    @property
    def tabs_built(self) -> bool:
        return self._tabs is not None

    def follow_content_status(self, tasks: TaskRunner, token: Callable[[], object], line: Callable[[str], str]) -> None:
        """Live: the selected package's one-line content status follows changes (``token``
        polled in the background while the pane is shown; ``line(PackageID)`` read when it moved)."""
        def changed() -> None:
            pid = self.package_id
            if pid is None:
                return
            tasks.run(lambda _ctx: line(pid), description="",
                      on_success=lambda text: self.content_status.setText(text)
                      if isValid(self) and self.package_id == pid else None,
                      on_error=lambda _exc: None)  # the next change tries again

        self.live = LiveRefresh(self, tasks, token, changed)

    def clear(self, message: str = "") -> None:
        self.package_id: str | None = None
        self.message.setText(message)
        self.setCurrentWidget(self.message)

    def show_details(self, details: PackageDetails) -> None:
        tabs = self.tabs
        self.setCurrentWidget(tabs)
        pkg = details.package
        self.package_id = pkg.get("PackageID")
        for prop, label in tabs.values.items():
            label.setText(property_text(details.cls.properties[prop], pkg.get(prop)))
        tabs.content_status.setText(details.content_status)
        tabs.images.removeRows(0, tabs.images.rowCount())
        for info in details.images:
            tabs.images.appendRow(_row(
                info.index, info.name, info.architecture, info.os_version, ", ".join(info.languages),
                size_in("KiloBytes", info.total_bytes), info.edition_id, "Yes" if info.is_windows_pe else "No",
            ))
        if details.image_error:
            tabs.images.appendRow(_row("", f"The image metadata cannot be read: {details.image_error}"))
        tabs.components.removeRows(0, tabs.components.rowCount())
        for cid, name, group in details.components:
            tabs.components.appendRow(_row(cid, name, group))
        tabs.drivers.removeRows(0, tabs.drivers.rowCount())
        for ci_id, name, path in details.drivers:
            tabs.drivers.appendRow(_row(ci_id, name, path))
        tabs.setTabText(1, f"Images ({len(details.images)})")
        tabs.setTabText(2, f"Optional Components ({len(details.components)})")
        tabs.setTabText(3, f"Drivers ({len(details.drivers)})")
