"""Object locks in the console: Properties takes the package's lock; a second console sees a
read-only sheet with who holds it, and Refresh when it goes (two consoles on one SQLite site)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QMessageBox

from console.core.object_locks import ConsoleId
from console.ui.propertysheet.properties_dialog import PropertiesDialog


@pytest.fixture
def bob(console, db_url):
    """A second administrator's console (another engine, another console id) on the same site."""
    from console.app import open_console

    other = open_console(db_url, user="bob@ws2")
    other.context.console = ConsoleId("ws2", 2222)
    yield other
    other.close()


def _open(qtbot, console, tasks, package_id: str) -> PropertiesDialog:
    dialog = PropertiesDialog(console, package_id, tasks)
    qtbot.addWidget(dialog)
    dialog.lock.live.interval_ms = 100  # the test does not wait the polling interval of a real console
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sheet is not None and not dialog._busy and not tasks.running, timeout=10000)
    return dialog


def test_a_sheet_locked_by_another_console_is_read_only_until_refresh(qtbot, console, bob, tasks, x64_package):
    pid = x64_package["PackageID"]
    assert bob.locks.acquire(pid).held
    dialog = _open(qtbot, console, tasks, pid)
    qtbot.waitUntil(lambda: dialog.lock.bar.isVisible(), timeout=10000)
    assert re.match(r"Locked by bob@ws2 since \d\d:\d\d \(Properties open in their console\)\. "
                    r"This sheet is read-only", re.sub("<[^>]+>", "", dialog.lock.text.text()))
    name = dialog.sheet.editor("Name")
    assert not name.isEnabled() and not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
    assert dialog.sheet.tabs.isEnabled(), "the tabs stay browsable"
    assert not dialog.lock.refresh_button.isEnabled()
    dialog.save(close=False)
    assert not tasks.running, "a locked sheet saves nothing"

    bob.locks.release(pid)  # bob closes his sheet
    qtbot.waitUntil(lambda: dialog.lock.refresh_button.isEnabled(), timeout=10000)
    assert "bob@ws2 closed " + pid in dialog.lock.text.text()
    dialog.lock.refresh_button.click()
    qtbot.waitUntil(lambda: not dialog.lock.bar.isVisible() and not dialog._busy and not tasks.running, timeout=10000)
    assert dialog.sheet.editor("Name").isEnabled() and dialog.ok_button.isEnabled()
    assert bob.locks.get(pid).login == "alice@console1"
    dialog.sheet.editor("Name").setText("Edited after the lock went")
    dialog.sheet.editor("Name").changed.emit()
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.apply_button.click()
    dialog.reject()
    qtbot.waitUntil(lambda: bob.locks.get(pid) is None and not tasks.running, timeout=10000)


def test_opening_properties_takes_the_lock_and_closing_releases_it(qtbot, console, bob, tasks, x64_package):
    pid = x64_package["PackageID"]
    dialog = _open(qtbot, console, tasks, pid)
    lock = bob.locks.get(pid)
    assert lock is not None and lock.login == "alice@console1" and lock.purpose == "Properties"
    assert not dialog.lock.bar.isVisible() and dialog.sheet.editor("Name").isEnabled()
    assert not bob.locks.acquire(pid).held
    # the heartbeat runs off the GUI thread and keeps the lock; a Full Administrator's release is noticed
    locks = dialog.lock.locks
    assert locks.timer.isActive()
    bob.locks.release(pid)
    locks.heartbeat()
    qtbot.waitUntil(lambda: dialog.lock.bar.isVisible(), timeout=10000)
    assert "was released by a Full Administrator" in dialog.lock.text.text()
    assert dialog.ok_button.isEnabled(), "the user may still save (SedoObjectVersion guards it)"
    dialog.lock.refresh_button.click()
    qtbot.waitUntil(lambda: not dialog.lock.bar.isVisible() and not tasks.running, timeout=10000)
    assert bob.locks.get(pid).login == "alice@console1"
    dialog.reject()
    qtbot.waitUntil(lambda: bob.locks.get(pid) is None and not tasks.running, timeout=10000)


def test_a_wizard_that_changes_a_locked_package_is_refused(qtbot, console, bob, x64_package, make_window):
    from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

    pid = x64_package["PackageID"]
    bob.locks.acquire(pid)
    window = make_window()
    window.wizards.scratch_space(pid)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=10000)
    box = window.findChild(QMessageBox)
    assert f"{pid} is locked by bob@ws2" in box.text()
    assert window.findChild(ScratchSpaceWizard) is None
    box.close()
    bob.locks.release(pid)
    window.wizards.scratch_space(pid)
    qtbot.waitUntil(lambda: window.findChild(ScratchSpaceWizard) is not None, timeout=10000)
    assert bob.locks.get(pid).purpose == "Scratch Space wizard"
    window.findChild(ScratchSpaceWizard).reject()
    qtbot.waitUntil(lambda: bob.locks.get(pid) is None, timeout=10000)


def test_closing_the_window_releases_the_locks_of_its_open_sheets(qtbot, console, bob, x64_package, make_window):
    pid = x64_package["PackageID"]
    window = make_window()
    dialog = window.wizards.properties(pid)
    qtbot.waitUntil(lambda: dialog.lock.holding and not window.tasks.running, timeout=10000)
    assert bob.locks.get(pid) is not None
    window.close()
    assert bob.locks.get(pid) is None
