"""Properties › Revisions (issue 9, section 3): the package's content revisions made by real
builds (``record_build`` with real WIMs), Compare, Roll back… with its confirmation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTabWidget

from console.app import open_console
from console.ui.propertysheet.panels.revisions_model import CURRENT_TEXT, RevisionsModel
from console.ui.propertysheet.panels.revisions_panel import EMPTY_TEXT, RevisionsPanel
from console.ui.propertysheet.properties_dialog import PropertiesDialog
from tests.revision_fixtures import built_image


@pytest.fixture
def pid(x64_package: Any) -> str:
    return str(x64_package["PackageID"])


@pytest.fixture
def two_builds(console: Any, pid: str, tmp_path: Path) -> None:
    """Revision 1 (scratch 64) and revision 2 (scratch 128, Lab shell, one image file added,
    one removed, one changed), stored from real WIMs."""
    console.packages.put(pid, {"ScratchSpace": 64})
    console.revisions.record_build(pid, built_image(tmp_path, "one"))
    console.packages.put(pid, {"ScratchSpace": 128, "EnableLabShell": True})
    console.revisions.record_build(pid, built_image(
        tmp_path, "two", scratch=128, add={"Drivers/16777217/net.inf": b"[Version]\r\n"},
        change={"Windows/System32/startnet.cmd": b"wpeinit\r\ncall X:\\bic\\boot.cmd\r\n"},
        remove=("Windows/System32/setupplatform.exe",)))


def open_tab(qtbot: Any, console: Any, tasks: Any, pid: str) -> tuple[PropertiesDialog, RevisionsPanel]:
    dialog = PropertiesDialog(console, pid, tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=15000):
        dialog.show()
    tabs = dialog.findChild(QTabWidget)
    titles = [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]
    tabs.setCurrentIndex(titles.index("Revisions"))
    panel = dialog.revisions_panel
    assert panel is not None and panel.isVisible()
    qtbot.waitUntil(lambda: not tasks.running and panel.status.text() != "Reading revisions…", timeout=15000)
    return dialog, panel


def column(model: RevisionsModel, col: int) -> list[str]:
    return [model.index(row, col).data() for row in range(model.rowCount())]


def source_version(console: Any, pid: str) -> int:
    return int(console.packages.get(pid, lazy=True).values["SourceVersion"])


def test_lists_the_revisions_newest_first_with_the_current_one_marked(qtbot, console, tasks, pid, two_builds):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)

    model = panel.model
    assert model.headers == ("Version", "Current", "Built", "Size", "What changed", "Summary", "By")
    assert column(model, 0) == ["2", "1"]
    assert column(model, 1) == [CURRENT_TEXT, ""]
    assert all(text.endswith(("KB", "MB")) for text in column(model, 3))
    assert "ScratchSpace: 64 -> 128" in column(model, 4)[0]
    assert column(model, 4)[1] == "first revision"
    assert column(model, 5) == ["scratch 128 MB", "scratch 64 MB"]
    assert column(model, 6) == ["alice@console1", "alice@console1"]
    panel.select_versions(2)  # the selected revision's summary and changes in full below the table
    assert "ScratchSpace: 64 -&gt; 128" in panel.details.text() and "by alice@console1" in panel.details.text()
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert panel.table.isVisible() and not panel.empty.isVisible()


def test_a_package_without_revisions_says_how_to_make_the_first(qtbot, console, tasks, pid):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)

    assert panel.empty.isVisible() and panel.empty.text() == EMPTY_TEXT
    assert "Update Distribution Points" in EMPTY_TEXT
    assert not panel.table.isVisible()
    assert not panel.compare_button.isEnabled() and not panel.rollback_button.isEnabled()


def test_compare_one_revision_with_the_current_shows_property_and_file_changes(qtbot, console, tasks, pid, two_builds):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)
    panel.select_versions(1)
    assert panel.comparison() == (1, 2)

    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.diff_dialog is not None and panel.diff_dialog.isVisible(), timeout=15000)

    text = panel.diff_dialog.plain_text()
    assert "revision 1 → revision 2" in text
    assert "ScratchSpace" in text and "64" in text and "128" in text and "EnableLabShell" in text
    assert "+ /Drivers/16777217/net.inf (added)" in text
    assert "− /Windows/System32/setupplatform.exe (removed)" in text
    assert "~ /Windows/System32/startnet.cmd (changed)" in text
    assert "WinPECacheThreshold" in text


def test_compare_two_selected_revisions_older_to_newer(qtbot, console, tasks, pid, two_builds):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)
    panel.select_versions(2, 1)
    assert panel.comparison() == (1, 2)
    panel.select_versions(2)  # the current one alone: what it changed
    assert panel.comparison() == (1, 2)


def confirmation(qtbot: Any, panel: RevisionsPanel) -> QMessageBox:
    qtbot.mouseClick(panel.rollback_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.confirmation is not None and panel.confirmation.isVisible(), timeout=5000)
    assert panel.confirmation is not None
    return panel.confirmation


def test_roll_back_asks_and_then_makes_a_new_current_revision(qtbot, console, tasks, pid, two_builds):
    dialog, panel = open_tab(qtbot, console, tasks, pid)
    assert not panel.rollback_button.isEnabled()  # nothing selected
    panel.select_versions(2)
    assert not panel.rollback_button.isEnabled()  # the current one
    panel.select_versions(1)
    box = confirmation(qtbot, panel)

    assert box.text() == f"Roll back {pid} to revision 1?"
    info = box.informativeText()
    assert "revision 1" in info and "new revision 3" in info and "replacing revision 2" in info
    assert "Distribution points will receive it as a new version" in info
    assert source_version(console, pid) == 2  # nothing happens before the answer

    confirm = next(b for b in box.buttons() if b.text() == "&Roll back")
    with qtbot.waitSignal(dialog.saved, timeout=15000), qtbot.waitSignal(dialog.loaded, timeout=15000):
        confirm.click()
    qtbot.waitUntil(lambda: not tasks.running and panel.model.rowCount() == 3, timeout=15000)

    assert source_version(console, pid) == 3
    assert column(panel.model, 0) == ["3", "2", "1"]
    assert column(panel.model, 1)[0] == CURRENT_TEXT
    assert "rolled back to revision 1" in column(panel.model, 4)[0]
    assert "Revision 1 is current again as revision 3" in panel.banner.text()
    values = console.packages.get(pid, lazy=True).values
    assert dialog._version == values["SedoObjectVersion"]  # the next save is not refused as a conflict
    assert dialog.sheet is not None and dialog.sheet.values.get("SourceVersion") == 3
    # the content is rolled back, not the properties (the next build uses them): the tab says so
    assert "properties still differ from revision 1" in panel.banner.text()
    assert "ScratchSpace" in panel.banner.text()


def test_cancelling_the_confirmation_changes_nothing(qtbot, console, tasks, pid, two_builds):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)
    panel.select_versions(1)
    box = confirmation(qtbot, panel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: panel.confirmation is None, timeout=5000)
    assert not tasks.running
    assert source_version(console, pid) == 2 and len(console.revisions.revisions(pid)) == 2


def test_a_refused_roll_back_shows_why_and_changes_nothing(qtbot, console, tasks, pid, two_builds):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)

    panel.rollback(2)  # the current revision (its button is disabled; the service refuses too)
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=15000)
    assert "Nothing was rolled back: revision 2 is already" in panel.banner.text()
    assert "current revision" in panel.banner.text()
    assert source_version(console, pid) == 2 and len(console.revisions.revisions(pid)) == 2
    assert panel.compare_button.isEnabled() is False or panel.selected() == []


def test_a_roll_back_after_another_console_changed_the_package_is_refused(qtbot, console, tasks, pid, two_builds,
                                                                           db_url):
    _dialog, panel = open_tab(qtbot, console, tasks, pid)
    other = open_console(db_url, user="bob@console2")
    other.context.honour_object_locks = False  # past the sheet's lock, as a site job writes: the version check refuses
    try:
        other.packages.put(pid, {"Description": "changed elsewhere"})
    finally:
        other.close()
    panel.select_versions(1)
    confirm = next(b for b in confirmation(qtbot, panel).buttons() if b.text() == "&Roll back")
    confirm.click()
    qtbot.waitUntil(lambda: panel.banner.isVisible(), timeout=15000)

    assert panel.banner.text().startswith("Nothing was rolled back:")
    assert "bob@console2" in panel.banner.text()
    assert source_version(console, pid) == 2 and len(console.revisions.revisions(pid)) == 2
    assert panel.rollback_button.isEnabled()  # the tab is usable again


def test_revisions_model_passes_the_model_tester(qtbot, qtmodeltester, console, pid, two_builds):
    model = RevisionsModel()
    model.set_revisions(console.revisions.revisions(pid))
    qtmodeltester.check(model, force_py=True)
    model.set_revisions([])
    qtmodeltester.check(model, force_py=True)
