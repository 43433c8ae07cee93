"""Add / Edit Distribution Point: General, Connection (with Test connection), Schedule and rate.

The dialog collects input and checks it field by field (messages next to the fields); the
service saves it (``save``) and tests it (``test``), both on a worker thread. The password goes
to the site's secrets store through the service, never into the database: the dialog shows only
whether one is set.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QTabWidget, QWidget
from shiboken6 import isValid

from console.core.distribution import ALWAYS_OPEN, CAUSES, DistributionPoint, ProbeReport, TransportKind
from console.core.errors import ValidationError, error_text
from console.core.services.network_boot import PxeStatus
from console.ui.dialogs import dp_form
from console.ui.dialogs.dp_dialog_layout import DialogLayout, build_tabs
from console.ui.dialogs.dp_network_boot import NetworkBootTab
from console.ui.tasks import TaskRunner

#: (point, password) -> the saved point. password None: unchanged; else the new one.
SaveFn = Callable[[DistributionPoint, str | None], DistributionPoint]
TestFn = Callable[[DistributionPoint, str | None], ProbeReport]
OK_STYLE = "color: #1e7b34;"
ERROR_STYLE = "color: #c0392b;"



class DistributionPointDialog(QDialog):
    """``saved(DistributionPoint)`` once the service saved it (the dialog then closes)."""

    saved = Signal(object)

    def __init__(self, tasks: TaskRunner, site_code: str, save: SaveFn, test: TestFn, *,
                 existing: DistributionPoint | None = None, password_set: bool = False,
                 network_boot: Callable[[], PxeStatus] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("distributionPointDialog")
        self._tasks = tasks
        self._save = save
        self._test = test
        self._existing = existing
        self._password_set = password_set
        self._busy = False
        self.setWindowTitle(f"Distribution Point Properties — {existing.name}" if existing else "Add Distribution Point")
        self.ui: DialogLayout = build_tabs(self, site_code)
        ui = self.ui
        ui.browse_address.clicked.connect(self._browse_address)
        ui.browse_key.clicked.connect(self._browse_key)
        ui.transport.currentIndexChanged.connect(self._transport_changed)
        ui.password.textEdited.connect(self._password_edited)
        ui.rate_limited.toggled.connect(ui.rate.setEnabled)
        ui.test_button.clicked.connect(self.test_connection)
        for edit in (ui.name, ui.address, ui.library_root, ui.key_file):
            edit.textEdited.connect(lambda _text: self._clear_errors())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add" if existing is None else "OK")
        self.buttons.accepted.connect(self.accept_input)
        self.buttons.rejected.connect(self.reject)
        ui.outer.addWidget(self.buttons)
        self._fill(existing)
        self.network_tab: NetworkBootTab | None = None
        if existing is not None and network_boot is not None:  # the Network Boot tab of an existing DP
            self.network_tab = NetworkBootTab(tasks, network_boot)
            ui.tabs.addTab(self.network_tab, "Network &Boot")
            self.network_tab.load()
        self.resize(640, 560)

    # -- the fields ------------------------------------------------------------------------

    @property
    def tabs(self) -> QTabWidget:
        return self.ui.tabs

    def _fill(self, dp: DistributionPoint | None) -> None:
        ui = self.ui
        if dp is None:
            ui.schedule.set_schedule(ALWAYS_OPEN)
            self._transport_changed()
            self._show_password_state()
            return
        ui.name.setText(dp.name)
        ui.name.setReadOnly(True)  # the server name is the DP's key (its NAL path)
        ui.name.setToolTip("The server name identifies the distribution point (its NAL path) and cannot change.")
        ui.description.setText(dp.description)
        ui.transport.setCurrentIndex(ui.transport.findData(dp.transport.value))
        ui.address.setText(dp.address)
        ui.username.setText(dp.username)
        if dp.transport is TransportKind.SSH and dp.credential.startswith("/"):
            ui.key_file.setText(dp.credential)
        ui.pxe.setChecked(dp.pxe)
        ui.maintenance.setChecked(dp.maintenance)
        ui.rate_limited.setChecked(dp.rate_limit_kbps > 0)
        ui.unlimited.setChecked(dp.rate_limit_kbps == 0)
        ui.rate.setValue(dp.rate_limit_kbps or ui.rate.value())
        ui.schedule.set_schedule(dp.schedule)
        ui.concurrency.setValue(dp.concurrency)
        ui.library_root.setText(dp.library_root)
        self._transport_changed()
        self._show_password_state()

    def transport(self) -> TransportKind:
        return TransportKind(self.ui.transport.currentData())

    def _transport_changed(self, *_: object) -> None:
        ui, kind = self.ui, self.transport()
        ui.address.setPlaceholderText(dp_form.PLACEHOLDERS[kind])
        ui.address_help.setText(dp_form.ADDRESS_HELP[kind])
        remote = kind is not TransportKind.FOLDER
        for widget in (ui.username, ui.password):
            widget.setEnabled(remote)
        ui.browse_address.setEnabled(kind is TransportKind.FOLDER)
        ui.key_file.setEnabled(kind is TransportKind.SSH)
        ui.browse_key.setEnabled(kind is TransportKind.SSH)
        self._clear_errors()

    def _show_password_state(self) -> None:
        ui = self.ui
        if ui.password.text():
            state = "A new password will be stored in the site's secrets store when you save."
        elif self._password_set:
            state = "Set (stored in the site's secrets store; type to replace it)."
        else:
            state = "Not set."
        ui.password_state.setText(state)

    def _password_edited(self, _text: str) -> None:
        self._show_password_state()

    def password(self) -> str | None:
        """None: keep the stored password (or none); else the new password."""
        if self.transport() is TransportKind.FOLDER or not self.ui.password.text():
            return None
        return self.ui.password.text()

    def _browse_address(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Distribution point folder", self.ui.address.text())
        if folder:
            self.ui.address.setText(folder)

    def _browse_key(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "SSH private key", self.ui.key_file.text() or "/root/.ssh")
        if path:
            self.ui.key_file.setText(path)

    # -- checking --------------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """Field name -> message, for the fields whose input is not usable yet."""
        ui, kind = self.ui, self.transport()
        found = {
            "name": dp_form.check_name(ui.name.text()),
            "address": dp_form.check_address(kind, ui.address.text()),
            "library_root": dp_form.check_library_root(ui.library_root.text()),
            "key_file": dp_form.check_key_file(kind, ui.key_file.text()),
        }
        return {field: text for field, text in found.items() if text}

    def _show_errors(self, problems: dict[str, str]) -> None:
        self._clear_errors()
        first: QWidget | None = None
        for field, text in problems.items():
            label = self.ui.errors.get(field, self.ui.errors["general"])
            label.setText(text if not label.text() else f"{label.text()} {text}")
            _show_row(label, True)
            target = self.ui.fields.get(field)
            if first is None and target is not None:
                first = target
        if first is not None:
            for index in range(self.ui.tabs.count()):
                page = self.ui.tabs.widget(index)
                if page is not None and page.isAncestorOf(first):
                    self.ui.tabs.setCurrentIndex(index)
            first.setFocus()

    def _clear_errors(self) -> None:
        for label in self.ui.errors.values():
            label.clear()
            _show_row(label, False)

    def point(self) -> DistributionPoint:
        """The distribution point as entered (not checked)."""
        ui, kind = self.ui, self.transport()
        base = self._existing or DistributionPoint(name="", transport=kind, address="")
        credential = base.credential
        if kind is TransportKind.SSH and ui.key_file.text().strip():
            credential = ui.key_file.text().strip()
        elif credential.startswith("/"):
            credential = ""  # the key file was removed (or the transport changed)
        return dataclasses.replace(
            base, name=ui.name.text().strip(), transport=kind, address=ui.address.text().strip(),
            site_code=ui.site_code.text(), description=ui.description.text().strip(),
            username=ui.username.text().strip() if kind is not TransportKind.FOLDER else "",
            credential=credential, pxe=ui.pxe.isChecked(), maintenance=ui.maintenance.isChecked(),
            rate_limit_kbps=ui.rate.value() if ui.rate_limited.isChecked() else 0,
            schedule=ui.schedule.schedule(), concurrency=ui.concurrency.value(),
            library_root=ui.library_root.text().strip(),
        )

    # -- actions ---------------------------------------------------------------------------

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)
        self.ui.test_button.setEnabled(not busy)
        if text:
            self.ui.status.setStyleSheet("")
            self.ui.status.setText(text)

    def test_connection(self) -> None:
        problems = {k: v for k, v in self.problems().items() if k != "name"}
        if problems:
            self._show_errors(problems)
            return
        dp = dataclasses.replace(self.point(), name=self.ui.name.text().strip() or "test")
        password = self.password()
        self._set_busy(True, f"Testing {dp.address}…")
        self.ui.test_result.setText("")
        self._tasks.run(lambda _ctx: self._test(dp, password),
                        on_success=lambda report: self._tested(report) if isValid(self) else None,
                        on_error=lambda exc: self._test_failed(exc) if isValid(self) else None,
                        description=f"Testing the connection to {dp.address}")

    def _tested(self, report: ProbeReport) -> None:
        self._set_busy(False)
        self.ui.status.setText("")
        text = html.escape(report.message)
        cause = CAUSES.get(report.details.get("cause", ""), (True, ""))[1]
        if not report.ok and cause and cause not in report.message:
            text = f"<b>{html.escape(cause.capitalize())}</b>: {text}"
        self.ui.test_result.setStyleSheet(OK_STYLE if report.ok else ERROR_STYLE)
        self.ui.test_result.setText(("✔ " if report.ok else "✘ ") + text)

    def _test_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.ui.status.setText("")
        self.ui.test_result.setStyleSheet(ERROR_STYLE)
        self.ui.test_result.setText("✘ " + html.escape(error_text(exc)))

    def accept_input(self) -> None:
        if self._busy:
            return
        problems = self.problems()
        if problems:
            self._show_errors(problems)
            return
        dp, password = self.point(), self.password()
        self._set_busy(True, "Saving…")
        self._tasks.run(lambda _ctx: self._save(dp, password),
                        on_success=lambda saved: self._saved(saved) if isValid(self) else None,
                        on_error=lambda exc: self._save_failed(exc) if isValid(self) else None,
                        description=f"Saving distribution point {dp.name}")

    def _saved(self, saved: DistributionPoint) -> None:
        self._set_busy(False)
        self.saved.emit(saved)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.ui.status.setText("")
        if isinstance(exc, ValidationError) and exc.problems:
            fields = {_FIELD_OF.get(p.property or "", "general"): p.message for p in exc.problems}
            self._show_errors(fields)
        else:
            self._show_errors({"general": error_text(exc)})


#: Service property names (CLI/service spelling) -> dialog fields.
_FIELD_OF = {"name": "name", "ServerName": "name", "address": "address", "library_root": "library_root",
             "key_file": "key_file", "credential": "key_file", "KeyFile": "key_file"}



def _show_row(label: QLabel, visible: bool) -> None:
    """Show or hide a problem label with its form row (a hidden row leaves no gap)."""
    parent = label.parentWidget()
    form = parent.layout() if parent is not None else None
    if isinstance(form, QFormLayout) and form.indexOf(label) >= 0:
        form.setRowVisible(label, visible)
    label.setVisible(visible)
