"""Start-up: a window is on screen before the database layer is imported; the site is
opened in the background and the main window takes its place; a site that cannot be
opened is explained and start-up ends."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from console.ui.application import GuiStartup, StartupWindow

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_window_is_painted_before_the_database_layer_is_imported(console, db_url: str, tmp_path: Path) -> None:
    modules = tmp_path / "modules.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "tests.bench.startup_probe", "console", "shown", db_url, str(modules)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(modules.read_text().split())
    assert "PySide6.QtWidgets" in loaded and "console.ui.application" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("sqlalchemy", "alembic", "lxml")}
    assert "console.app" not in loaded and not any(m.startswith("console.storage") for m in loaded)


OS_USER = f"{getpass.getuser()}@{socket.gethostname()}"


def test_the_main_window_takes_the_startup_windows_place(qtbot, console, db_url: str) -> None:
    startup = GuiStartup(db_url)
    assert isinstance(startup.startup_window, StartupWindow) and startup.startup_window.isVisible()
    with qtbot.waitSignal(startup.ready, timeout=30000):
        pass
    qtbot.addWidget(startup.window)
    assert startup.window.isVisible() and not startup.startup_window.isVisible()
    # site and who is connected (on SQLite the operating-system user at this host)
    assert startup.window.windowTitle() == f"Boot Image Console — PS1 (Primary site) — {OS_USER}"
    qtbot.waitUntil(lambda: not startup.window.tasks.running, timeout=15000)
    startup.window.close()
    startup.console.close()


def test_a_site_that_cannot_be_opened_is_explained(qtbot, tmp_path: Path) -> None:
    broken = tmp_path / "site.db"
    broken.write_bytes(b"this is not a database" * 100)
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.done(0)
        else:
            QTimer.singleShot(50, answer)

    QTimer.singleShot(50, answer)
    startup = GuiStartup(f"sqlite:///{broken}")
    with qtbot.waitSignal(startup.failed, timeout=30000) as failed:
        pass
    assert seen and seen[0].startswith("The site database cannot be opened:")
    assert str(broken) in failed.args[0]
    assert not startup.startup_window.isVisible() and startup.window is None
