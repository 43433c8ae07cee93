"""Set Security Scopes…: the security scopes of a boot image, driver or distribution point as a
checkable list (ConfigMgr's dialog of the same name; twin: ``bootimage scope set ID --scope …``).

The scopes and the object's current scopes are read in the background; OK saves in the
background. A refusal of the database (a scope that is not yours, a role that may not change
the object) is shown in the error dialog and the dialog stays open with the choice kept.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.console_services import ConsoleServices
from console.ui.dialogs.error_dialog import show_error
from console.ui.tasks import TaskRunner


class SecurityScopesDialog(QDialog):
    applied = Signal(object)  # Changes

    def __init__(self, console: ConsoleServices, object_id: str, label: str, tasks: TaskRunner,
                 parent: QWidget | None = None, *, kind: str | None = None) -> None:
        super().__init__(parent)
        self._console = console
        self._object_id = object_id
        self._kind = kind  # console.core.services.security_admin: PACKAGE, DRIVER, DISTRIBUTION_POINT
        self._tasks = tasks
        self.setWindowTitle("Set Security Scopes")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        intro = QLabel(f"Security scopes of <b>{_escape(label)}</b>. Administrators see and change it only "
                       "when one of its scopes is theirs; you can give it only scopes you have.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.scopes = QListWidget()
        self.scopes.setAccessibleName("Security scopes")
        layout.addWidget(self.scopes, 1)
        self.note = QLabel("Reading the security scopes…")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self.ok_button.setEnabled(False)
        layout.addWidget(self.buttons)
        self.scopes.itemChanged.connect(lambda _item: self._update_ok())
        tasks.run(self._read, on_success=self._loaded, on_error=self._failed, description="Reading security scopes")

    @property
    def ok_button(self) -> Any:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _read(self, _ctx: Any) -> tuple[list[tuple[str, str]], list[str]]:
        security = self._console.security
        return ([(s.name, s.description) for s in security.scopes()], security.object_scopes(self._object_id, self._kind))

    def _loaded(self, result: tuple[list[tuple[str, str]], list[str]]) -> None:
        scopes, chosen = result
        self.scopes.blockSignals(True)
        for name, description in scopes:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
            item.setToolTip(description)
            self.scopes.addItem(item)
        self.scopes.blockSignals(False)
        self._update_ok()

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(str(exc))
        show_error(self, exc)

    def chosen(self) -> list[str]:
        return [self.scopes.item(i).text() for i in range(self.scopes.count())
                if self.scopes.item(i).checkState() == Qt.CheckState.Checked]

    def _update_ok(self) -> None:
        chosen = self.chosen()
        self.ok_button.setEnabled(bool(chosen))
        self.note.setText(f"Scopes: {', '.join(chosen)}" if chosen else "Choose at least one security scope.")

    def _save(self) -> None:
        scopes = self.chosen()
        self.ok_button.setEnabled(False)
        self.note.setText("Saving…")

        def saved(result: Any) -> None:
            self.applied.emit(result.changes)
            self.accept()

        def refused(exc: BaseException) -> None:
            self._update_ok()
            show_error(self, exc)

        self._tasks.run(lambda _ctx: self._console.security.set_object_scopes(self._object_id, scopes, self._kind),
                        on_success=saved, on_error=refused, description="Saving security scopes")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
