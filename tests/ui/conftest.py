"""GUI fixtures: the real main window on a real site database (offscreen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from console.ui.settings import UiSettings
from console.ui.tasks import TaskRunner
from tests.driver_fixtures import build_driver_tree


@pytest.fixture(autouse=True)
def no_keyboard_modifier_held(qapp) -> None:
    """Qt keeps the modifiers of the last key event as held: after an earlier test's Ctrl+key
    click, ``selectRow`` toggled instead of selecting and a typed filter became a shortcut (tests
    failed depending on which test ran before them in the same process). Released here."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QWidget

    if QApplication.keyboardModifiers() != Qt.KeyboardModifier.NoModifier:
        target = QWidget()
        QTest.keyRelease(target, Qt.Key.Key_Control, Qt.KeyboardModifier.NoModifier)
        target.deleteLater()
    assert QApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier


@pytest.fixture
def ui_settings(tmp_path: Path) -> UiSettings:
    return UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def tasks(qtbot) -> Iterator[TaskRunner]:
    """A task runner for a widget under test; the test ends once its tasks have (before qtbot
    closes the widgets)."""
    runner = TaskRunner()
    yield runner
    runner.wait()


@pytest.fixture
def driver_catalog(console, tmp_path: Path) -> dict[str, Any]:
    """The test INFs imported into the driver catalog: {folder name: Driver}."""
    imported = console.drivers.import_drivers(build_driver_tree(tmp_path / "drivers")).value.imported
    return {Path(d.folder).name: d for d in imported}


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
