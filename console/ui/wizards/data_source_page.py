"""Add Boot Image wizard, Data Source page: the WIM file and the image inside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from console.core.console_services import ConsoleServices
from console.core.errors import error_text
from console.core.local_paths import ON_WINDOWS, share_example
from console.core.services.source_images import image_problems
from console.core.sizes import size_header, size_in, size_units
from console.ui.icons import icon
from console.ui.tasks import TaskRunner

READ_DELAY_MS = 300
HEADERS = ["Index", "Name", "Architecture", "OS version", "Language", "Size", "Windows PE"]


class DataSourcePage(QWizardPage):
    """Reads the WIM in the background as soon as a path is typed or chosen, lists its images
    and shows the reader's message inline for damaged, foreign or encrypted files."""

    imageChanged = Signal()

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Data Source")
        self.setSubTitle("Choose the WIM file (for example boot.wim or the Windows ADK's winpe.wim) and the image to import.")
        self._console = console
        self._tasks = tasks
        self._generation = 0
        self.reading = False  # a background read is under way
        self.info: Any = None
        self.path = QLineEdit()
        self.path.setPlaceholderText(share_example("boot.wim") if ON_WINDOWS else "/srv/images/boot.wim or /mnt/share/boot.wim")
        self.path.setAccessibleName("Path of the WIM file")
        browse = QPushButton("B&rowse…")
        browse.clicked.connect(self._browse)
        path_label = QLabel("&Path:")
        path_label.setBuddy(self.path)
        row = QHBoxLayout()
        row.addWidget(path_label)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Reading the WIM file")
        self._units = size_units(console.packages.cls)
        self.model = QStandardItemModel(0, len(HEADERS), self)
        self.model.setHorizontalHeaderLabels([size_header(self._units) if h == "Size" else h for h in HEADERS])
        self.images = QTableView()
        self.images.setModel(self.model)
        self.images.setAccessibleName("Images in the WIM file")
        self.images.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.images.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.images.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.images.setTabKeyNavigation(False)  # Tab leaves the table
        self.images.verticalHeader().setVisible(False)
        self.images.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.images.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.images.selectionModel().selectionChanged.connect(lambda *_: self._image_selected())
        images_label = QLabel("Boot i&mage:")
        images_label.setBuddy(self.images)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.allow = QCheckBox("&Import this image anyway (it cannot be used to start computers for deployment)")
        self.allow.setVisible(False)
        self.allow.toggled.connect(lambda _on: self.completeChanged.emit())
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(images_label)
        layout.addWidget(self.images, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.allow)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(READ_DELAY_MS)
        self._timer.timeout.connect(self.read_now)
        self.path.textChanged.connect(self._path_changed)
        self.registerField("path*", self.path)
        self.registerField("imageIndex", self, "imageIndex", self.imageChanged)

    # -- the chosen image as a field ------------------------------------------------------------

    def selected_image(self) -> Any:
        rows = self.images.selectionModel().selectedRows()
        if not rows or self.info is None:
            return None
        return self.info.images[rows[0].row()]

    def _get_index(self) -> int:
        image = self.selected_image()
        return image.index if image is not None else 0

    imageIndex = Property(int, _get_index, notify=imageChanged)

    # -- reading the file ---------------------------------------------------------------------------

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a WIM file", self.path.text(),
                                              "Windows images (*.wim *.esd);;All files (*)")
        if path:
            self.path.setText(path)
            self.read_now()

    def _path_changed(self, _text: str) -> None:
        self.info = None
        self.model.removeRows(0, self.model.rowCount())
        self._show_problems()
        self.completeChanged.emit()
        self._timer.start()

    def read_now(self) -> None:
        self._timer.stop()
        path = self.path.text().strip()
        self._generation += 1
        generation = self._generation
        if not path:
            self.message.clear()
            return
        self.reading = True
        self._set_message(f"Reading {path}…", "info")
        self._tasks.run(lambda ctx: self._console.packages.get_image_properties(path),
                        on_success=lambda info: self._read(generation, info),
                        on_error=lambda exc: self._failed(generation, exc), description="")

    def _read(self, generation: int, info: Any) -> None:
        if generation != self._generation:
            return
        self.reading = False
        self.info = info
        for image in info.images:
            values = [image.index, image.name or "(no name)", image.architecture_text, image.os_version,
                      image.default_language, size_in(self._units, image.total_bytes),
                      "Yes" if image.is_windows_pe else "No"]
            items = [QStandardItem(str(v)) for v in values]
            if problems := image_problems(info, image):
                items[0].setIcon(icon("warning"))
                for item in items:
                    item.setToolTip("\n".join(problems))
            self.model.appendRow(items)
        count = len(info.images)
        text = f"{count} image{'s' if count != 1 else ''} in this {info.compression} WIM"
        if info.boot_index:
            text += f"; image {info.boot_index} is marked bootable"
        if info.warnings:
            text += ". " + " ".join(info.warnings)
        self._set_message(text, "ok")
        best = info.boot_index or 1
        if count:
            self.images.selectRow(max(0, min(best, count) - 1))
        self.completeChanged.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.reading = False
        text = error_text(exc)
        self._set_message(text, "error")
        self.completeChanged.emit()

    def _set_message(self, text: str, kind: str) -> None:
        colours = {"error": "#c0392b", "ok": "", "info": ""}
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {colours[kind]};" if colours[kind] else "")

    def _image_selected(self) -> None:
        self._show_problems()
        self.imageChanged.emit()
        self.completeChanged.emit()

    def _show_problems(self) -> None:
        problems = self.image_problems()
        self.problems.setText("\n".join(f"⚠ {p}" for p in problems))
        self.problems.setStyleSheet("color: #b9770e;" if problems else "")
        self.allow.setVisible(bool(problems))
        if not problems:
            self.allow.setChecked(False)

    def image_problems(self) -> list[str]:
        """The service's own check (WinPE, architecture, split WIM, ...) of the chosen image."""
        image = self.selected_image()
        return image_problems(self.info, image) if image is not None and self.info is not None else []

    def needs_override(self) -> bool:
        return bool(self.image_problems())

    def isComplete(self) -> bool:
        if self.selected_image() is None:
            return False
        return not self.image_problems() or self.allow.isChecked()
