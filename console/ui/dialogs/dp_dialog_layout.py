"""The widgets of the Distribution Point dialog, laid out on three tabs (General, Connection,
Schedule and Rate Limits). ``build_tabs`` only builds; ``DistributionPointDialog`` acts."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.ui.dialogs.dp_form import TRANSPORT_LABELS
from console.ui.dialogs.dp_schedule import ScheduleGrid

ERROR_STYLE = "color: #c0392b;"


@dataclass
class DialogLayout:
    tabs: QTabWidget
    outer: QVBoxLayout
    name: QLineEdit
    site_code: QLineEdit
    description: QLineEdit
    pxe: QCheckBox
    maintenance: QCheckBox
    transport: QComboBox
    address: QLineEdit
    address_help: QLabel
    browse_address: QPushButton
    username: QLineEdit
    password: QLineEdit
    password_state: QLabel
    key_file: QLineEdit
    browse_key: QPushButton
    library_root: QLineEdit
    test_button: QPushButton
    test_result: QLabel
    unlimited: QRadioButton
    rate_limited: QRadioButton
    rate: QSpinBox
    schedule: ScheduleGrid
    concurrency: QSpinBox
    status: QLabel
    errors: dict[str, QLabel] = field(default_factory=dict)
    fields: dict[str, QWidget] = field(default_factory=dict)


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(f"{name}Error")
    label.setAccessibleName(f"{name} problem")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.setVisible(False)
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("hint")
    label.setWordWrap(True)
    return label


def _row(form: QFormLayout, text: str, widget: QWidget, *extra: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(widget)
    if extra:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        for w in extra:
            row.addWidget(w)
        form.addRow(label, box)
    else:
        form.addRow(label, widget)
    return label


def _line(accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    return edit


def build_tabs(dialog: QWidget, site_code: str) -> DialogLayout:
    tabs = QTabWidget(dialog)
    errors = {name: _error_label(name) for name in ("name", "address", "library_root", "key_file", "general")}

    general = QWidget()
    form = QFormLayout(general)
    name = _line("Server name", "DP01.contoso.com")
    _row(form, "&Server name:", name)
    form.addRow("", errors["name"])
    site = _line("Site code")
    site.setText(site_code)
    site.setReadOnly(True)
    site.setToolTip("Distribution points belong to this site.")
    _row(form, "Site co&de:", site)
    description = _line("Description", "optional")
    _row(form, "D&escription:", description)
    pxe = QCheckBox("Enable &PXE support for clients")
    pxe.setToolTip("Boot images with \"Deploy this boot image from the PXE-enabled distribution point\" are placed where a PXE server reads them.")
    maintenance = QCheckBox("&Maintenance mode (no content is sent until it is turned off)")
    form.addRow("", pxe)
    form.addRow("", maintenance)

    connection = QWidget()
    cform = QFormLayout(connection)
    transport = QComboBox()
    transport.setAccessibleName("Transport")
    for kind, text in TRANSPORT_LABELS.items():
        transport.addItem(text, kind.value)
    _row(cform, "Tra&nsport:", transport)
    address = _line("Address")
    browse_address = QPushButton("B&rowse…")
    _row(cform, "&Address:", address, browse_address)
    address_help = _hint("")
    cform.addRow("", address_help)
    cform.addRow("", errors["address"])
    username = _line("User name", r"CONTOSO\svc-dp or svc-dp")
    _row(cform, "&User name:", username)
    password = _line("Password", "type to set or replace")
    password.setEchoMode(QLineEdit.EchoMode.Password)
    _row(cform, "Pass&word:", password)
    password_state = _hint("")
    password_state.setAccessibleName("Password state")
    cform.addRow("", password_state)
    key_file = _line("SSH key file", "/home/console/.ssh/id_ed25519 (optional, instead of a password)")
    browse_key = QPushButton("Choose &File…")
    _row(cform, "SSH &key file:", key_file, browse_key)
    cform.addRow("", errors["key_file"])
    library_root = _line("Content library folder", "SCCMContentLib")
    library_root.setText("SCCMContentLib")
    _row(cform, "&Library folder:", library_root)
    cform.addRow("", errors["library_root"])
    cform.addRow("", _hint("The content library (FileLib, DataLib, PkgLib) is kept in this folder under the address; "
                           "package files for clients and PXE under Packages."))
    test_button = QPushButton("&Test Connection")
    test_button.setToolTip("Write, read back and delete a probe file on the distribution point and report its free space")
    test_result = QLabel()
    test_result.setObjectName("testResult")
    test_result.setAccessibleName("Test connection result")
    test_result.setWordWrap(True)
    test_row = QHBoxLayout()
    test_row.addWidget(test_button)
    test_row.addWidget(test_result, 1)
    cform.addRow(test_row)

    rates = QWidget()
    rlayout = QVBoxLayout(rates)
    rate_box = QGroupBox("Rate limit")
    unlimited = QRadioButton("Unlimited when sending to this distribution p&oint")
    rate_limited = QRadioButton("L&imit to")
    unlimited.setChecked(True)
    group = QButtonGroup(rate_box)
    group.addButton(unlimited)
    group.addButton(rate_limited)
    rate = QSpinBox()
    rate.setAccessibleName("Rate limit in KB/s")
    rate.setRange(1, 10_000_000)
    rate.setValue(10_240)
    rate.setSuffix(" KB/s")
    rate.setEnabled(False)
    rate_row = QHBoxLayout()
    rate_row.addWidget(rate_limited)
    rate_row.addWidget(rate)
    rate_row.addStretch(1)
    rb = QVBoxLayout(rate_box)
    rb.addWidget(unlimited)
    rb.addLayout(rate_row)
    schedule_box = QGroupBox("Schedule (the hours of the day when content may be sent)")
    schedule = ScheduleGrid()
    sb = QVBoxLayout(schedule_box)
    sb.addWidget(schedule)
    concurrency = QSpinBox()
    concurrency.setAccessibleName("Parallel file streams")
    concurrency.setRange(1, 64)
    concurrency.setValue(2)
    concurrency.setMaximumWidth(90)
    cform2 = QFormLayout()
    _row(cform2, "Parallel file &streams:", concurrency)
    cform2.addRow("", _hint("Files sent to this distribution point at the same time."))
    rlayout.addWidget(rate_box)
    rlayout.addWidget(schedule_box)
    rlayout.addLayout(cform2)
    rlayout.addStretch(1)

    tabs.addTab(general, "&General")
    tabs.addTab(connection, "&Connection")
    tabs.addTab(rates, "Sc&hedule and Rate Limits")
    status = QLabel()
    status.setWordWrap(True)
    status.setAccessibleName("Dialog status")
    outer = QVBoxLayout(dialog)
    outer.addWidget(tabs, 1)
    outer.addWidget(errors["general"])
    outer.addWidget(status)
    ui = DialogLayout(tabs, outer, name, site, description, pxe, maintenance, transport, address, address_help,
                      browse_address, username, password, password_state, key_file, browse_key,
                      library_root, test_button, test_result, unlimited, rate_limited, rate, schedule, concurrency,
                      status, errors)
    ui.fields = {"name": name, "address": address, "library_root": library_root, "key_file": key_file}
    return ui

