"""GUI fixtures: the real main window on a real site database (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from console.ui.settings import UiSettings


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


def wait_idle(qtbot, window, timeout: int = 15000) -> None:
    """Wait until every background task of the window has finished."""
    qtbot.waitUntil(lambda: not window.tasks.running, timeout=timeout)


@pytest.fixture
def make_window(qtbot, console, ui_settings):
    from console.ui.application import create_application
    from console.ui.main_window import MainWindow

    create_application()
    windows = []

    def make(settings: UiSettings | None = None):
        window = MainWindow(console, console.sites.local(), settings or ui_settings)
        qtbot.addWidget(window)
        window.show()
        wait_idle(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.tasks.wait(10000)
