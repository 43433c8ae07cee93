"""What the screenshot scripts share: waiting for the screen to get somewhere, and saving it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget


def wait(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Run the event loop until ``condition()`` holds; TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state in time")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def settle(widget: QWidget | None = None, seconds: float = 0.4) -> None:
    """Let pending events (layouts, animations, queued results) run for ``seconds``, then
    repaint ``widget``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    if widget is not None:
        widget.repaint()


def save(widget: QWidget, out: Path, name: str) -> Path:
    """Settle, save ``widget`` as ``out/name`` and print where it went."""
    settle(widget)
    path = out / name
    widget.grab().save(str(path))
    print(path)
    return path
