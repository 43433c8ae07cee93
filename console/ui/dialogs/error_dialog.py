"""Readable error messages: the message first, details (traceback) on demand."""

from __future__ import annotations

import traceback as tb_module

from PySide6.QtWidgets import QMessageBox, QWidget

from console.core.errors import ConsoleError


def error_box(parent: QWidget | None, exc: BaseException, details: str = "") -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if isinstance(exc, ConsoleError) else QMessageBox.Icon.Critical)
    if isinstance(exc, ConsoleError):
        box.setWindowTitle(exc.title)
        box.setText(exc.message)
    else:
        box.setWindowTitle("Unexpected error")
        box.setText(f"Something went wrong that the console did not expect:\n{type(exc).__name__}: {exc}")
        box.setInformativeText("Nothing was saved. The details below help to report the problem.")
        box.setDetailedText(details or "".join(tb_module.format_exception(exc)))
    box.setAccessibleName("Error message")
    return box


def show_error(parent: QWidget | None, exc: BaseException, details: str = "") -> None:
    error_box(parent, exc, details).open()
