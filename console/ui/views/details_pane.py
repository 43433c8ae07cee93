"""Details of the selected boot image: Summary, Images, Optional Components, Drivers."""

from __future__ import annotations

from collections.abc import Callable

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


class DetailsPane(QStackedWidget):
    """Tabs with the selected package's details, or a one-line hint when nothing is selected."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Details")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        summary = QWidget()
        self._form = QFormLayout(summary)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._values: dict[str, QLabel] = {}
        for label, prop in SUMMARY_FIELDS:
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self._values[prop] = value
            self._form.addRow(f"{label}:", value)
        self.content_status = QLabel()
        self.content_status.setAccessibleName("Content status")
        self.content_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.content_status.setWordWrap(True)
        self._form.insertRow(2, "Content status:", self.content_status)  # under Name and Image ID: seen first
        scroll = QScrollArea()
        scroll.setWidget(summary)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tabs.addTab(scroll, icon("info"), "Summary")
        self.images_view, self._images = _table(["Index", "Name", "Architecture", "OS version", "Languages", "Size (KB)", "Edition", "Windows PE"], "Images")
        self.tabs.addTab(self.images_view, icon("image"), "Images")
        self.components_view, self._components = _table(["ID", "Component", "Why"], "Optional components")
        self.tabs.addTab(self.components_view, icon("optional-component"), "Optional Components")
        self.drivers_view, self._drivers = _table(["CI_ID", "Driver", "Source path"], "Drivers")
        self.tabs.addTab(self.drivers_view, icon("driver"), "Drivers")
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setEnabled(False)
        self.addWidget(self.message)
        self.addWidget(self.tabs)
        self.clear("Select a boot image to see its details.")

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
        self.setCurrentWidget(self.tabs)
        pkg = details.package
        self.package_id = pkg.get("PackageID")
        for prop, label in self._values.items():
            label.setText(property_text(details.cls.properties[prop], pkg.get(prop)))
        self.content_status.setText(details.content_status)
        self._images.removeRows(0, self._images.rowCount())
        for info in details.images:
            self._images.appendRow(_row(
                info.index, info.name, info.architecture, info.os_version, ", ".join(info.languages),
                size_in("KiloBytes", info.total_bytes), info.edition_id, "Yes" if info.is_windows_pe else "No",
            ))
        if details.image_error:
            self._images.appendRow(_row("", f"The image metadata cannot be read: {details.image_error}"))
        self._components.removeRows(0, self._components.rowCount())
        for cid, name, group in details.components:
            self._components.appendRow(_row(cid, name, group))
        self._drivers.removeRows(0, self._drivers.rowCount())
        for ci_id, name, path in details.drivers:
            self._drivers.appendRow(_row(ci_id, name, path))
        self.tabs.setTabText(1, f"Images ({len(details.images)})")
        self.tabs.setTabText(2, f"Optional Components ({len(details.components)})")
        self.tabs.setTabText(3, f"Drivers ({len(details.drivers)})")
