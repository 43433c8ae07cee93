"""File › Settings: site-wide settings (the Windows ADK folder)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.ui.tasks import TaskRunner

# One paragraph: the label wraps it to the dialog's width (hard newlines made ragged lines).
ADK_HELP = (
    "The Windows ADK's Windows PE add-on provides winpe.wim per architecture and the "
    "optional-component cabs (WinPE_OCs). With it configured, the Optional Components wizard shows "
    "component sizes and flags components your ADK does not have. Choose the ADK folder, its "
    '"Windows Preinstallation Environment" folder, or a copy of it.'
)


class SettingsDialog(QDialog):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._console = console
        self._tasks = tasks
        self.adk_path = QLineEdit()
        self.adk_path.setAccessibleName("Windows ADK folder")
        self.adk_path.setPlaceholderText("C:\\Program Files (x86)\\Windows Kits\\10\\Assessment and Deployment Kit")
        browse = QPushButton("B&rowse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        label = QLabel("&Folder:")
        label.setBuddy(self.adk_path)
        row.addWidget(label)
        row.addWidget(self.adk_path, 1)
        row.addWidget(browse)
        self.help_text = help_text = QLabel(ADK_HELP)
        help_text.setWordWrap(True)
        help_text.setObjectName("hint")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Windows ADK status")
        box = QGroupBox("Windows ADK")
        inner = QVBoxLayout(box)
        inner.addWidget(help_text)
        inner.addLayout(row)
        inner.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(640, 300)
        self._busy(True)
        tasks.run(lambda ctx: console.settings.windows_adk_path(), on_success=self._loaded, description="Reading settings")

    def _busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not busy)

    def _loaded(self, path: str) -> None:
        self.adk_path.setText(path)
        self.status.setText("No Windows ADK configured." if not path else f"Configured: {path}")
        self._busy(False)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Windows ADK folder", self.adk_path.text())
        if folder:
            self.adk_path.setText(folder)

    def save(self) -> None:
        path = self.adk_path.text().strip()
        self._busy(True)
        self.status.setText(f"Checking {path}…" if path else "Removing the Windows ADK setting…")
        self._tasks.run(lambda ctx: self._console.settings.set_windows_adk_path(path), on_success=self._saved,
                        on_error=self._failed, description="Saving settings")

    def _saved(self, result: Any) -> None:
        self._busy(False)
        info = result.value
        if info is not None:
            counts = ", ".join(f"{arch}: {len(info.components.get(arch, {}))} optional components" for arch in info.architectures)
            self.status.setText(f"Windows ADK found at {info.root} ({counts}).")
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.status.setText(exc.message if isinstance(exc, ConsoleError) else str(exc))
        self.status.setStyleSheet("color: #c0392b;")
