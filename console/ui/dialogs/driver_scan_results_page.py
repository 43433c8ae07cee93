"""Import Driver: what the scan found (new drivers, duplicates, unusable INF files) and the
import options (categories, enabled). Next is "Import"; nothing is written before it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from console.core.console_services import ConsoleServices
from console.core.drivers import ScanResult
from console.ui.dialogs.driver_scan_page import ScanPage
from console.ui.icons import icon
from console.ui.models.driver_columns import duplicate_columns, failed_columns, found_columns
from console.ui.models.record_table_model import Column, RecordTableModel
from console.ui.record_views import record_view, size_columns
from console.ui.tasks import TaskRunner


@dataclass(frozen=True)
class ImportRequest:
    """What Import does, taken from the page on the GUI thread before the import runs."""

    scan: ScanResult
    categories: tuple[str, ...]
    enabled: bool


def split_categories(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,;]", text) if part.strip())


def _show(view: QTreeView, columns: Sequence[Column], rows: Sequence[Any], parent: QWidget) -> RecordTableModel:
    """A model of ``rows`` on ``view`` (columns show paths relative to the scanned folder)."""
    old = view.model()
    model = RecordTableModel(columns, parent)
    view.setModel(model)
    if old is not None:
        old.deleteLater()
    size_columns(view, columns)  # sorts the empty model: the rows are then sorted once, laid out once
    model.set_rows(rows)
    return model


class ScanResultsPage(QWizardPage):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, scan_page: ScanPage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Driver Details")
        self.setButtonText(QWizard.WizardButton.NextButton, "&Import")
        self._console = console
        self._tasks = tasks
        self._scan_page = scan_page
        self.request: ImportRequest | None = None
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Scan summary")
        self.tabs = QTabWidget()
        self.found_view = record_view("New drivers")
        self.duplicates_view = record_view("Duplicate drivers")
        self.failed_view = record_view("INF files that cannot be used")
        self.found = _show(self.found_view, found_columns(""), (), self)
        self.duplicates = _show(self.duplicates_view, duplicate_columns(""), (), self)
        self.failed = _show(self.failed_view, failed_columns(""), (), self)
        self.tabs.addTab(self.found_view, icon("driver"), "New")
        self.tabs.addTab(self.duplicates_view, icon("info"), "Duplicates")
        self.tabs.addTab(self.failed_view, icon("warning"), "Failed")
        self.categories = QLineEdit()
        self.categories.setPlaceholderText("Optional, separated by commas: e.g. Network, Latitude 7450")
        self.categories.setAccessibleName("Categories")
        self.existing = QLabel()
        self.existing.setObjectName("hint")
        self.existing.setWordWrap(True)
        self.enabled = QCheckBox("&Enable these drivers (only enabled drivers can be added to boot images)")
        self.enabled.setChecked(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        categories_label = QLabel("&Categories:")
        categories_label.setBuddy(self.categories)
        form.addRow(categories_label, self.categories)
        form.addRow("", self.existing)
        form.addRow("", self.enabled)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(form)

    def initializePage(self) -> None:
        scan = self._scan_page.result
        assert scan is not None, "the scan page moves on only with a result"
        self.request = None
        self.found = _show(self.found_view, found_columns(scan.folder), scan.found, self)
        self.duplicates = _show(self.duplicates_view, duplicate_columns(scan.folder), scan.duplicates, self)
        self.failed = _show(self.failed_view, failed_columns(scan.folder), scan.failed, self)
        self.tabs.setTabText(0, f"&New ({len(scan.found)})")
        self.tabs.setTabText(1, f"&Duplicates ({len(scan.duplicates)})")
        self.tabs.setTabText(2, f"F&ailed ({len(scan.failed)})")
        self.tabs.setCurrentIndex(0 if scan.found or not scan.failed else 2)
        self.setSubTitle(f"INF files in {scan.folder}. Import adds the new drivers to the driver catalog.")
        self.summary.setText(self._summary(scan))
        self.existing.setText("")
        self._tasks.run(lambda ctx: self._console.drivers.categories(), on_success=self._show_categories,
                        on_error=lambda exc: None, description="Reading driver categories")
        self.completeChanged.emit()

    @staticmethod
    def _summary(scan: ScanResult) -> str:
        if not scan.inf_count:
            return "No INF files were found. Go Back and choose the folder that holds the drivers."
        parts = [f"<b>{len(scan.found)}</b> new driver(s) to import"]
        if scan.duplicates:
            parts.append(f"<b>{len(scan.duplicates)}</b> already in the catalog or found twice (not imported again)")
        if scan.failed:
            parts.append(f"<b>{len(scan.failed)}</b> INF file(s) cannot be used (see Failed)")
        text = f"{scan.inf_count} INF file(s) read: " + "; ".join(parts) + "."
        if not scan.found:
            text += " There is nothing new to import."
        return text

    def _show_categories(self, names: list[str]) -> None:
        self.existing.setText(f"Existing categories: {', '.join(names)}" if names else
                              "Categories group drivers in the catalog (for example by model or by vendor).")

    def isComplete(self) -> bool:
        scan = self._scan_page.result
        return scan is not None and bool(scan.found)

    def validatePage(self) -> bool:
        scan = self._scan_page.result
        if scan is None:
            return False
        self.request = ImportRequest(scan, split_categories(self.categories.text()), self.enabled.isChecked())
        return True
