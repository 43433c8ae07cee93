"""Help › About Boot Image Console: the version, the installation, the tools it runs and where it
keeps its data (the same details as ``bootimage about``), with a button that copies them for a
support request."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console import __version__
from console.ui.icons import icon
from console.ui.tasks import TaskRunner

SUMMARY = ("Administer Windows PE boot image packages the way Configuration Manager's Boot Images node does: "
           "import, customize, build, distribute and boot them.")


class AboutDialog(QDialog):
    def __init__(self, database_url: str, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Boot Image Console")
        self.details: dict[str, str] = {}
        logo = QLabel()
        logo.setPixmap(icon("app").pixmap(64, 64))
        title = QLabel(f"<b>Boot Image Console</b> {__version__}")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        summary = QLabel(SUMMARY)
        summary.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow(QLabel("Reading the installation…"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy = QPushButton("&Copy Details")
        self.copy.setToolTip("Copy these details to the clipboard, e.g. for a support request")
        self.copy.setEnabled(False)
        self.copy.clicked.connect(self._copy)
        self.buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(summary)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self.resize(640, 0)
        tasks.run(lambda _ctx: _details(database_url), on_success=self._show, description="Reading the installation")

    def _show(self, details: dict[str, str]) -> None:
        self.details = details
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, value in details.items():
            if label == "Version":
                continue
            text = QLabel(value)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName(label)
            if value.startswith("not found"):
                text.setObjectName("warning")
            self.form.addRow(f"{label}:", text)
        self.copy.setEnabled(True)

    def details_text(self) -> str:
        return "\n".join(f"{label}: {value}" for label, value in self.details.items())

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())


def _details(database_url: str) -> dict[str, str]:
    from console.about import about_details

    return about_details(database_url)
