"""Database trouble in the GUI: the same one-line message as the CLI, in a plain message box
(no traceback, no SQL), and nothing saved."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from console.ui.tasks import TaskRunner


def test_a_save_while_another_console_holds_the_lock_shows_who_in_one_line(qtbot, tmp_path: Path, monkeypatch):
    from console.app import ensure_default_site, open_console

    monkeypatch.setenv("BOOTIMAGE_DB_TIMEOUT", "0.5")
    url = f"sqlite:///{tmp_path / 'site.db'}"
    console = open_console(url, user="alice@console1")
    other = open_console(url, user="holder@pc7")
    try:
        ensure_default_site(console)
        pid = console.packages.create(name="Boot image", image_path="/images/boot.wim").value["PackageID"]
        before = console.packages.get(pid, lazy=True)
        window = QWidget()
        qtbot.addWidget(window)
        window.show()
        runner = TaskRunner(error_parent=window)  # as the main window's runner is
        with other.context.uow(write=True):
            runner.run(lambda _ctx: console.packages.put(pid, {"Description": "changed"}))
            qtbot.waitUntil(lambda: _message_box() is not None, timeout=15000)
        runner.wait()
        box = _message_box()
        assert box is not None
        assert box.windowTitle() == "Site database"
        assert box.text().startswith(f"the site database {tmp_path / 'site.db'} is busy: holder@pc7 (process ")
        assert "gave up after 0.5 s, nothing was changed" in box.text()
        assert "\n" not in box.text() and "UPDATE" not in box.text() and "BEGIN" not in box.text()
        assert box.detailedText() == ""
        box.close()
        assert console.packages.get(pid, lazy=True) == before
    finally:
        other.close()
        console.close()


def _message_box() -> QMessageBox | None:
    boxes = (w for top in QApplication.topLevelWidgets() for w in [top, *top.findChildren(QMessageBox)])
    return next((w for w in boxes if isinstance(w, QMessageBox) and w.isVisible()), None)
