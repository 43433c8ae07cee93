"""Properties of one catalog driver (read-only): what its INF says, where its files are, and
the devices (hardware IDs) it installs on. The driver is read in the background."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.drivers import Driver
from console.core.errors import error_text
from console.core.values import format_datetime
from console.ui.icons import icon
from console.ui.models.driver_columns import SIGNED_NOTE, architectures_text, date_text, size_text
from console.ui.tasks import TaskRunner


def _when(value: Any, user: str) -> str:
    if value is None:
        return ""
    return format_datetime(value).replace("T", " ").replace("Z", " UTC") + (f" by {user}" if user else "")


def _value_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class _Form(QWidget):
    """Label/value rows; ``set`` fills a row by its label."""

    def __init__(self, labels: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.setVerticalSpacing(7)
        self.values: dict[str, QLabel] = {}
        for text in labels:
            value = _value_label()
            value.setAccessibleName(text)
            self.values[text] = value
            layout.addRow(f"{text}:", value)

    def set(self, label: str, text: str) -> None:
        self.values[label].setText(text)


class DriverPropertiesDialog(QDialog):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, ci_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Driver {ci_id} Properties")
        self.setWindowIcon(icon("driver"))
        self.ci_id = ci_id
        self.driver: Driver | None = None
        self.general = _Form(["Name", "CI_ID", "Class", "Provider", "Version", "Date", "Architectures", "Signed",
                              "Enabled", "Categories", "Created", "Last modified"])
        self.files = _Form(["INF file", "Folder", "Catalog file", "Size", "Unique ID"])
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setAccessibleName("INF warnings")
        files_page = QWidget()
        files_layout = QVBoxLayout(files_page)
        files_layout.addWidget(self.files)
        files_layout.addWidget(self.warnings)
        files_layout.addStretch(1)
        self.hardware = QTreeWidget()
        self.hardware.setAccessibleName("Hardware IDs")
        self.hardware.setHeaderLabels(["Hardware ID", "Device", "Manufacturer", "Compatible IDs"])
        self.hardware.setRootIsDecorated(False)
        self.hardware.setAlternatingRowColors(True)
        self.hardware.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.hardware.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.hardware.header().resizeSection(0, 300)
        self.hardware.header().resizeSection(1, 240)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.general, icon("info"), "&General")
        self.tabs.addTab(files_page, icon("folder"), "Driver &Files")
        self.tabs.addTab(self.hardware, icon("driver"), "&Hardware IDs")
        self.message = QLabel(f"Reading driver {ci_id} from the driver catalog…")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Message")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.tabs)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(buttons)
        self.resize(720, 520)
        tasks.run(lambda ctx: console.drivers.get(ci_id), on_success=self._show, on_error=self._failed,
                  description=f"Reading driver {ci_id}")

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):  # closed (and deleted) before the driver was read
            return
        text = error_text(exc)
        self.message.setText(f"The driver cannot be shown: {text}")
        self.message.setStyleSheet("color: #c0392b;")

    def _show(self, driver: Driver) -> None:
        if not isValid(self):
            return
        self.driver = driver
        self.setWindowTitle(f"{driver.name} Properties")
        g, f = self.general, self.files
        g.set("Name", driver.name)
        g.set("CI_ID", str(driver.ci_id))
        g.set("Class", f"{driver.driver_class}  {driver.class_guid}".strip())
        g.set("Provider", driver.provider)
        g.set("Version", driver.version)
        g.set("Date", date_text(driver.date))
        g.set("Architectures", architectures_text(driver.architectures))
        g.set("Signed", f"Yes ({SIGNED_NOTE})" if driver.signed else
              "No (no catalog file beside the INF)" if not driver.catalog_file else
              f"No ({driver.catalog_file} is named by the INF but is not beside it)")
        g.set("Enabled", "Yes" if driver.is_enabled else "No: it cannot be added to boot images until it is enabled")
        g.set("Categories", ", ".join(driver.categories) or "(none)")
        g.set("Created", _when(driver.created_at, driver.created_by))
        g.set("Last modified", _when(driver.modified_at, driver.modified_by))
        f.set("INF file", driver.inf_file)
        f.set("Folder", driver.folder)
        f.set("Catalog file", driver.catalog_file or "(none named by the INF)")
        f.set("Size", f"{size_text(driver.size)} ({driver.size:,} bytes, every file in the folder)")
        f.set("Unique ID", driver.ci_unique_id)
        if driver.warnings:
            self.warnings.setText("<b>Read with warnings:</b><br>" + "<br>".join(escape(w) for w in driver.warnings))
        for model in driver.models:
            item = QTreeWidgetItem([model.hardware_id, model.description, model.manufacturer, ", ".join(model.compatible_ids)])
            item.setToolTip(0, f"Install section: {model.install_section}")
            self.hardware.addTopLevelItem(item)
        self.tabs.setTabText(2, f"&Hardware IDs ({len(driver.hardware_ids)})")
        self.stack.setCurrentWidget(self.tabs)
