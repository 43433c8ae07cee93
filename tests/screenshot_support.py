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


def save_modal(out: Path, name: str, open_modal: Callable[[], object], timeout: float = 20.0) -> None:
    """Call ``open_modal`` (which runs a modal dialog's ``exec``: the real ``ask`` code path),
    save the dialog once it is up as ``out/name``, then close it as Cancel/No would."""
    from PySide6.QtWidgets import QApplication, QDialog

    def shoot() -> None:
        widget = QApplication.activeModalWidget()
        assert widget is not None
        save(widget, out, name)
        if isinstance(widget, QDialog):
            widget.done(0)
        else:
            widget.close()

    save_modal_with(shoot, open_modal, timeout)


def save_modal_with(shoot: Callable[[], None], open_modal: Callable[[], object], timeout: float = 20.0) -> None:
    """Call ``open_modal``; once a (new) modal dialog is up, call ``shoot``, which must close it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    before = QApplication.activeModalWidget()
    deadline = time.monotonic() + timeout
    poll = QTimer()
    poll.setInterval(50)

    def check() -> None:
        widget = QApplication.activeModalWidget()
        if widget is None or widget is before:
            if time.monotonic() > deadline:
                poll.stop()
            return
        poll.stop()
        shoot()

    poll.timeout.connect(check)
    poll.start()
    open_modal()
    wait(lambda: not poll.isActive(), timeout)


def save_composite(base: QWidget, overlays: list[QWidget], out: Path, name: str) -> Path:
    """Save ``base`` with the separate top-level ``overlays`` (a completer popup, a dialog
    opened over it) painted where they are on the screen; the picture grows to hold them all,
    and an overlay that is a dialog gets a thin frame."""
    from PySide6.QtCore import QPoint, QRect, Qt
    from PySide6.QtGui import QColor, QPainter, QPixmap
    from PySide6.QtWidgets import QDialog

    settle(base)
    for overlay in overlays:
        settle(overlay)
    origin = base.mapToGlobal(QPoint(0, 0))
    placed = [(overlay, overlay.mapToGlobal(QPoint(0, 0)) - origin) for overlay in overlays]
    area = QRect(QPoint(0, 0), base.size())
    for overlay, offset in placed:
        area = area.united(QRect(offset, overlay.size()).adjusted(-1, -1, 1, 1))
    picture = QPixmap(area.size())
    picture.fill(Qt.GlobalColor.transparent)
    painter = QPainter(picture)
    shift = -area.topLeft()
    painter.drawPixmap(shift, base.grab())
    for overlay, offset in placed:
        painter.drawPixmap(offset + shift, overlay.grab())
        if isinstance(overlay, QDialog):
            painter.setPen(QColor("#555555"))
            painter.drawRect(QRect(offset + shift, overlay.size()).adjusted(-1, -1, 0, 0))
    painter.end()
    path = out / name
    picture.save(str(path))
    print(path)
    return path
