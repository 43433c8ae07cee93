"""File › Settings: site-wide settings (the Windows ADK folder; what builds of boot images use)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError, ValidationError
from console.core.services.network_boot import PxeSettings
from console.ui.dialogs.settings_network_boot import NetworkBootSettings
from console.ui.tasks import TaskRunner

# One paragraph: the label wraps it to the dialog's width (hard newlines made ragged lines).
ADK_HELP = (
    "The Windows ADK's Windows PE add-on provides winpe.wim per architecture and the "
    "optional-component cabs (WinPE_OCs). With it configured, the Optional Components wizard shows "
    "component sizes and flags components your ADK does not have. Choose the ADK folder, its "
    '"Windows Preinstallation Environment" folder, or a copy of it.'
)
BUILD_HELP = (
    "Builds of boot images are written in the content library's work folder; every worker of the site must "
    "reach the content library root by the same path (a shared mount on a multi-machine site). Empty: "
    "the default folder under this computer's data folder. The deployment command runs at the end of the "
    "boot script of every built image, after the prestart command (empty: none)."
)
BUILD_FIELDS = ("DeploymentCommand", "ContentLibraryPath")
NETWORK_BOOT_FIELDS = ("PxeWimbootPath", "PxeMenuTimeout", "PxeDefaultItem", "PxeHttpPort", "PxeSubnet")


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
        self.library_root = QLineEdit()
        self.library_root.setAccessibleName("Content library root")
        library_browse = QPushButton("Bro&wse…")
        library_browse.clicked.connect(self._browse_library)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library_root, 1)
        library_row.addWidget(library_browse)
        self.deployment_command = QLineEdit()
        self.deployment_command.setAccessibleName("Deployment command")
        self.deployment_command.setPlaceholderText("none (e.g. X:\\sms\\bin\\x64\\TsBootShell.exe)")
        build_help = QLabel(BUILD_HELP)
        build_help.setWordWrap(True)
        build_help.setObjectName("hint")
        self.build_status = QLabel()
        self.build_status.setWordWrap(True)
        self.build_status.setAccessibleName("Build settings status")
        build_box = QGroupBox("Building boot images")
        form = QFormLayout()
        library_label = QLabel("Content &library root:")
        library_label.setBuddy(self.library_root)
        command_label = QLabel("&Deployment command:")
        command_label.setBuddy(self.deployment_command)
        form.addRow(library_label, library_row)
        form.addRow(command_label, self.deployment_command)
        build_inner = QVBoxLayout(build_box)
        build_inner.addWidget(build_help)
        build_inner.addLayout(form)
        build_inner.addWidget(self.build_status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(build_box)
        self.network_boot = NetworkBootSettings()
        layout.addWidget(self.network_boot)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(680, 640)
        self._busy(True)
        tasks.run(lambda ctx: (console.settings.windows_adk_path(), console.settings.content_library_root(),
                               console.settings.deployment_command(), console.network_boot.settings()),
                  on_success=self._loaded, description="Reading settings")

    def _busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not busy)

    def _loaded(self, values: tuple[str, str, str, PxeSettings]) -> None:
        path, library, command, network_boot = values
        self.network_boot.set_values(network_boot)
        self.library_root.setText(library)
        self.deployment_command.setText(command)
        self.adk_path.setText(path)
        self.status.setText("No Windows ADK configured." if not path else f"Configured: {path}")
        self._busy(False)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Windows ADK folder", self.adk_path.text())
        if folder:
            self.adk_path.setText(folder)

    def _browse_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Content library root", self.library_root.text())
        if folder:
            self.library_root.setText(folder)

    def save(self) -> None:
        path = self.adk_path.text().strip()
        library = self.library_root.text()
        command = self.deployment_command.text()
        self._busy(True)
        self.build_status.setText("")
        self.status.setText(f"Checking {path}…" if path else "Removing the Windows ADK setting…")
        settings = self._console.settings
        console, pxe = self._console, self.network_boot.values()
        self.network_boot.show_problem("")

        def work(_ctx: Any) -> Any:
            # everything is checked before anything is written
            settings.check_content_library_root(library)
            settings.check_deployment_command(command)
            network_boot = console.network_boot
            network_boot.check_settings(pxe)
            result = settings.set_windows_adk_path(path)
            settings.set_content_library_root(library)
            settings.set_deployment_command(command)
            network_boot.save_settings(pxe)
            return result

        self._tasks.run(work, on_success=self._saved, on_error=self._failed, description="Saving settings")

    def _saved(self, result: Any) -> None:
        self._busy(False)
        info = result.value
        if info is not None:
            counts = ", ".join(f"{arch}: {len(info.components.get(arch, {}))} optional components" for arch in info.architectures)
            self.status.setText(f"Windows ADK found at {info.root} ({counts}).")
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        label = self.status
        if isinstance(exc, ValidationError) and any(p.property in BUILD_FIELDS for p in exc.problems):
            label = self.build_status
            self.status.setText("")
        elif isinstance(exc, ValidationError) and any(p.property in NETWORK_BOOT_FIELDS for p in exc.problems):
            label = self.network_boot.status
            self.status.setText("")
        label.setText(exc.message if isinstance(exc, ConsoleError) else str(exc))
        label.setStyleSheet("color: #c0392b;")
