"""Help › About Boot Image Console and Help › Administrator's Guide."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from console import __version__
from console.ui.dialogs.about_dialog import AboutDialog

ROOT = Path(__file__).resolve().parents[2]


def test_about_shows_the_installation_and_copies_it(qtbot, tasks, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    dialog = AboutDialog("postgresql+psycopg://alice:pw@db.example/ps1", tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.copy.isEnabled, timeout=10000)
    texts = {label.accessibleName(): label.text() for label in dialog.findChildren(QLabel) if label.accessibleName()}
    assert texts["Site database"] == "postgresql+psycopg://alice:***@db.example/ps1"
    assert texts["Installation"] == "source checkout"
    assert texts["Data folder"] == str(tmp_path / "data" / "bootimage-console")
    assert any(f"Boot Image Console</b> {__version__}" in label.text() for label in dialog.findChildren(QLabel))
    dialog.copy.click()
    copied = QGuiApplication.clipboard().text()
    assert f"Version: {__version__}" in copied and "alice:***@" in copied and ":pw@" not in copied


class _Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_help_menu_opens_the_guide_and_about(qtbot, make_window):
    window = make_window()
    [help_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"]
    assert [a.text() for a in help_menu.actions()] == ["Administrator's &Guide", "&About Boot Image Console"]
    opened = _Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")
    try:
        window.console_actions.guide.trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [url.toLocalFile() for url in opened.urls] == [str(ROOT / "docs" / "admin-guide.md")]
    window.console_actions.about.trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, AboutDialog) and w.isVisible() for w in QApplication.topLevelWidgets()),
                    timeout=5000)
    [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, AboutDialog)]
    qtbot.waitUntil(dialog.copy.isEnabled, timeout=10000)
    assert dialog.details["Site database"] == window.console.url
    dialog.close()
