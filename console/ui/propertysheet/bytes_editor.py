"""``UInt8[]`` values (Icon, ISVData): a preview, Load from file… and Clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from console.core.blobs import read_blob_file
from console.core.classdef import PropertyDef
from console.core.errors import error_text
from console.ui.propertysheet.editor_base import EditorContext, EditorMixin

PREVIEW_SIZE = 48


class BytesEditor(EditorMixin, QWidget):
    def __init__(self, prop: PropertyDef, ctx: EditorContext, parent: QWidget | None = None, *,
                 label: str = "", read_only: str = "") -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._data: bytes | None = None
        self.preview = QLabel(self)
        self.preview.setFixedSize(PREVIEW_SIZE + 8, PREVIEW_SIZE + 8)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.info = QLabel(self)
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.load_button = QPushButton("Load from file…", self)
        self.clear_button = QPushButton("Clear", self)
        self.load_button.clicked.connect(self._load)
        self.clear_button.clicked.connect(self._clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.load_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.info)
        column.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        self.setFocusProxy(self.load_button)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.init_editor(prop, label, read_only)
        self.load_button.setAccessibleName(f"Load {self.accessibleName()} from file")
        self._show()

    @classmethod
    def ask_file(cls, parent: QWidget | None, title: str) -> str | None:
        """The file to load, or ``None`` on cancel (tests replace this)."""
        path, _filter = QFileDialog.getOpenFileName(
            parent, title, "", "Images (*.ico *.png *.bmp *.jpg *.jpeg *.gif);;All files (*)")
        return path or None

    def value(self) -> Any:
        return self._data

    def set_value(self, value: Any) -> None:
        with self.updating():
            self._data = bytes(value) if value else None
            self._show()

    def set_read_only(self, read_only: bool) -> None:
        self.load_button.setVisible(not read_only)
        self.clear_button.setVisible(not read_only)

    def _load(self) -> None:
        path = self.ask_file(self, f"Load {self.accessibleName()}")
        if not path:
            return
        prop = self.prop
        if self._ctx.tasks is None:
            try:
                self._loaded(read_blob_file(prop, path))
            except Exception as exc:
                self._failed(exc)
            return
        self.info.setText(f"Reading {Path(path).name}…")
        self._ctx.tasks.run(lambda _task: read_blob_file(prop, path), on_success=self._loaded,
                            on_error=self._failed, description=f"Reading {path}")

    def _loaded(self, data: bytes) -> None:
        self._data = data or None
        self._show()
        self.emit_changed()

    def _failed(self, exc: BaseException) -> None:
        self._show()
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else error_text(exc)
        self.info.setText(f"{self.info.text()}\nCould not load the file: {message}")

    def _clear(self) -> None:
        if self._data is not None:
            self._data = None
            self._show()
            self.emit_changed()

    def _show(self) -> None:
        data = self._data or b""
        image = QImage.fromData(QByteArray(data)) if data else QImage()
        if not image.isNull():
            pixmap = QPixmap.fromImage(image).scaled(
                PREVIEW_SIZE, PREVIEW_SIZE, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self.preview.setPixmap(pixmap)
            self.info.setText(f"{image.width()} × {image.height()} image, {len(data):,} bytes")
        else:
            self.preview.clear()
            self.preview.setText("None" if not data else "Data")
            self.info.setText(f"{len(data):,} bytes: {data[:16].hex(' ')}{' …' if len(data) > 16 else ''}"
                              if data else "Nothing stored.")
        self.clear_button.setEnabled(bool(data))
