"""What a new site shows instead of an empty list: what boot images are, and how to start."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from console.ui.icons import icon

TEXT = """<h2>No boot images yet</h2>
<p>A <b>boot image</b> is a Windows PE image (a <code>.wim</code> file) that computers start
from over PXE or from media to run an operating system deployment. Here you import boot
images, add the drivers and optional components they need, set scratch space and prestart
commands, build the customized image, send it to distribution points (PXE-enabled ones serve
it over the network) and write bootable ISO or USB media.</p>
<p>Start with <b>Add Boot Image</b> to import a <code>boot.wim</code> (for example from the
Windows ADK), or let the console build a few small sample images so you can try every
feature in a minute. Samples are real WIM files, built with wimlib in your data folder.</p>"""


class EmptyState(QWidget):
    add_requested = Signal()
    samples_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("No boot images yet")
        picture = QLabel()
        picture.setPixmap(icon("boot-image").pixmap(QSize(72, 72)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(TEXT)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setMaximumWidth(620)
        self.add_button = QPushButton(icon("add-boot-image"), "&Add Boot Image…")
        self.add_button.setAccessibleName("Add Boot Image")
        self.samples_button = QPushButton(icon("samples"), "Create &sample boot images")
        self.samples_button.setAccessibleName("Create sample boot images")
        self.add_button.clicked.connect(self.add_requested)
        self.samples_button.clicked.connect(self.samples_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.samples_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(picture)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(text)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def set_busy(self, busy: bool) -> None:
        self.samples_button.setEnabled(not busy)
        self.samples_button.setText("Creating sample boot images…" if busy else "Create &sample boot images")
