"""MainWindow keeps QWidget.actions(): the console's own actions live in ``console_actions``."""

from __future__ import annotations

from PySide6.QtGui import QAction


def test_qwidget_actions_is_not_shadowed(make_window):
    window = make_window()
    assert all(isinstance(action, QAction) for action in window.actions())
    assert window.console_actions.refresh.text()
    assert window.console_actions.properties in window.console_actions.package_actions()
