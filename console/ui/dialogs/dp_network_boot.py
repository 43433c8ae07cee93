"""The Network Boot tab of a distribution point's Properties: whether it is PXE-enabled, the
boot images its menu offers, wimboot's state, the layout on the DP, and the generated dnsmasq
snippet and nginx server block (read-only, with Copy buttons). ``NetworkBootTab.load`` reads it
all on a worker thread (the layout is read from the DP through its transport)."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.errors import error_text
from console.core.services.network_boot import PxeStatus
from console.ui.tasks import TaskRunner

OK_STYLE = "color: #1e7b34;"
ERROR_STYLE = "color: #c0392b;"


class NetworkBootTab(QWidget):
    def __init__(self, tasks: TaskRunner, load: Callable[[], PxeStatus], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkBootTab")
        self._tasks = tasks
        self._load = load
        self.status: PxeStatus | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.state = self._value("PXE state")
        self.menu = self._value("Menu items")
        self.wimboot = self._value("wimboot")
        self.layout_state = self._value("Layout on the distribution point")
        form.addRow("PXE:", self.state)
        form.addRow("Menu:", self.menu)
        form.addRow("wimboot:", self.wimboot)
        form.addRow("Layout:", self.layout_state)
        layout.addLayout(form)
        self.dnsmasq, self.copy_dnsmasq = self._text_box(layout, "dnsmasq (proxy-DHCP and TFTP: /etc/dnsmasq.d/)",
                                                         "Generated dnsmasq snippet")
        self.nginx, self.copy_nginx = self._text_box(layout, "nginx (HTTP: /etc/nginx/conf.d/)",
                                                     "Generated nginx server block")
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.load)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)

    @staticmethod
    def _value(name: str) -> QLabel:
        label = QLabel("Reading…")
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    @staticmethod
    def _text_box(layout: QVBoxLayout, title: str, name: str) -> tuple[QPlainTextEdit, QPushButton]:
        box = QGroupBox(title)
        inner = QVBoxLayout(box)
        text = QPlainTextEdit()
        text.setReadOnly(True)
        text.setAccessibleName(name)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        copy = QPushButton("Copy")
        copy.setAccessibleName(f"Copy the {name.lower()}")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text.toPlainText()))
        inner.addWidget(text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(copy)
        inner.addLayout(buttons)
        layout.addWidget(box, 1)
        return text, copy

    def load(self) -> None:
        self.refresh_button.setEnabled(False)
        self._tasks.run(lambda _ctx: self._load(),
                        on_success=lambda status: self.show_status(status) if isValid(self) else None,
                        on_error=lambda exc: self._failed(exc) if isValid(self) else None,
                        description="Reading the distribution point's network boot state")

    def show_status(self, status: PxeStatus) -> None:
        self.status = status
        self.refresh_button.setEnabled(True)
        if status.dp.pxe:
            self.state.setText(f"Enabled: clients boot from {html.escape(status.plan.script_url)} "
                               f"(layout in {html.escape(status.plan.layout_path)}).")
            self.state.setStyleSheet("")
        else:
            self.state.setText("Not enabled: turn on \"Enable PXE support for clients\" on the General tab; the "
                               "layout is written at the next distribution to this distribution point.")
        items = [f"{i.label} — {i.architecture}" for i in status.plan.images if i.architecture] + status.notes
        self.menu.setText("<br>".join(html.escape(i) for i in items) if items else
                          "No boot image here has \"Deploy this boot image from the PXE-enabled distribution point\" set.")
        self.wimboot.setText(html.escape(f"{status.wimboot.path}: {status.wimboot.message}" if status.wimboot.path
                                         else status.wimboot.message))
        self.wimboot.setStyleSheet(OK_STYLE if status.wimboot.ok else ERROR_STYLE)
        layout = status.layout
        if layout is not None:
            files = layout.get("files") or {}
            images = ", ".join(str(i.get("PackageID")) for i in layout.get("images") or []) or "no images"
            self.layout_state.setText(html.escape(f"Generation {layout.get('generation')}: {len(files)} files, "
                                                  f"{images}."))
        else:
            self.layout_state.setText(html.escape(status.layout_message))
        self.dnsmasq.setPlainText(status.dnsmasq)
        self.nginx.setPlainText(status.nginx)

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.state.setStyleSheet(ERROR_STYLE)
        self.state.setText(html.escape(error_text(exc)))
