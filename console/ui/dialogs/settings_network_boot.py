"""The Network boot group of File › Settings: wimboot, the menu's timeout and default item, the
HTTP port and the proxy-DHCP subnet of the PXE-enabled distribution points' generated
configuration (``NetworkBoot.save_settings``)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.core.pxe import WIMBOOT_URL
from console.core.services.network_boot import PxeSettings

HELP = (f"PXE-enabled distribution points get an iPXE menu that starts boot images with wimboot (GPL, not "
        f"part of Debian): download it from {WIMBOOT_URL} and choose the file here. It is checked, then copied "
        "to each PXE-enabled distribution point at its next update.")


class NetworkBootSettings(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Network boot (PXE-enabled distribution points)", parent)
        self.wimboot = QLineEdit()
        self.wimboot.setAccessibleName("wimboot file")
        self.wimboot.setPlaceholderText("not set (e.g. /srv/boot/wimboot)")
        browse = QPushButton("Br&owse…")
        browse.clicked.connect(self._browse)
        wimboot_row = QHBoxLayout()
        wimboot_row.addWidget(self.wimboot, 1)
        wimboot_row.addWidget(browse)
        self.timeout = QSpinBox()
        self.timeout.setRange(0, 3600)
        self.timeout.setSuffix(" s")
        self.timeout.setSpecialValueText("wait for a choice")
        self.timeout.setAccessibleName("Menu timeout")
        self.timeout.setMaximumWidth(180)
        self.default_item = QLineEdit()
        self.default_item.setAccessibleName("Default menu item")
        self.default_item.setPlaceholderText("PackageID (empty: each menu's first image)")
        self.http_port = QSpinBox()
        self.http_port.setRange(1, 65535)
        self.http_port.setAccessibleName("HTTP port")
        self.http_port.setMaximumWidth(180)
        self.subnet = QLineEdit()
        self.subnet.setAccessibleName("Proxy-DHCP subnet")
        self.subnet.setPlaceholderText("e.g. 192.168.1.0 (empty: TFTP only)")
        help_text = QLabel(HELP)
        help_text.setWordWrap(True)
        help_text.setObjectName("hint")
        help_text.setOpenExternalLinks(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Network boot settings status")
        form = QFormLayout()
        for text, widget in (("wim&boot:", wimboot_row), ("Menu &timeout:", self.timeout),
                             ("Default &item:", self.default_item), ("HTTP &port:", self.http_port),
                             ("Proxy-DHCP s&ubnet:", self.subnet)):
            label = QLabel(text)
            label.setBuddy(self.wimboot if isinstance(widget, QHBoxLayout) else widget)
            form.addRow(label, widget)
        inner = QVBoxLayout(self)
        inner.addWidget(help_text)
        inner.addLayout(form)
        inner.addWidget(self.status)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "wimboot", self.wimboot.text())
        if path:
            self.wimboot.setText(path)

    def set_values(self, values: PxeSettings) -> None:
        self.wimboot.setText(values.wimboot_path)
        self.timeout.setValue(values.timeout)
        self.default_item.setText(values.default_item)
        self.http_port.setValue(values.http_port)
        self.subnet.setText(values.subnet)

    def values(self) -> PxeSettings:
        return PxeSettings(self.wimboot.text().strip(), self.timeout.value(), self.default_item.text().strip(),
                           self.http_port.value(), self.subnet.text().strip())

    def show_problem(self, text: str) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b;" if text else "")
