"""The boot image Properties dialog against a real site database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, QModelIndex, Qt, QTime
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog, QLabel, QMessageBox

from console.app import open_console
from console.core.instance import Instance
from console.core.schedules import Occurs
from console.ui.dialogs.conflict_dialog import ConflictDialog
from console.ui.propertysheet.instance_dialog import InstanceDialog
from console.ui.propertysheet.properties_dialog import PropertiesDialog
from console.ui.propertysheet.schedule_dialog import ScheduleDialog
from console.wim.capture import ImageSpec, capture, set_properties, wimlib_available

INF_DIR = Path(__file__).resolve().parents[1] / "data" / "inf"
PERSIST_IN_CACHE = 0x02000000
USE_BINARY_DELTA_REP = 0x04000000
DISTRIBUTE_ON_DEMAND = 0x40000000


@pytest.fixture
def open_dialog(qtbot, console, tasks):
    def open_dialog(package_id: str) -> PropertiesDialog:
        dialog = PropertiesDialog(console, package_id, tasks)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.loaded, timeout=10000):
            dialog.show()
        return dialog

    return open_dialog


@pytest.fixture
def package_id(x64_package) -> str:
    return x64_package["PackageID"]


def _retype(qtbot, editor, text: str) -> None:
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)


def _check(dialog, ref: str) -> QCheckBox:
    return dialog.findChild(QCheckBox, f"check_{ref}")


def _apply(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.apply_button.click()


def _as_bob(db_url: str, change: Callable[[Any], object]) -> None:
    """What another console (user bob) does to the site while the dialog is open. The dialog holds
    the package's lock (SEDO), which bob's console would honour: bob writes as a site job does
    (locks not honoured), so these tests reach SedoObjectVersion, the last line of defence."""
    other = open_console(db_url, user="bob@console2")
    other.context.honour_object_locks = False
    try:
        change(other)
    finally:
        other.close()


def test_loading_state_comes_first(qtbot, console, tasks, package_id):
    dialog = PropertiesDialog(console, package_id, tasks)
    qtbot.addWidget(dialog)
    assert dialog.stack.currentWidget() is dialog.loading
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.show()
    assert dialog.stack.currentWidget() is dialog.sheet
    assert dialog.windowTitle() == "Boot image (x64) Properties"
    assert [dialog.sheet.tabs.tabText(i) for i in range(dialog.sheet.tabs.count())] == [
        "General", "Images", "Drivers", "Customization", "Optional Components", "Data Source", "Revisions",
        "Content Locations", "Data Access", "Distribution Settings", "Security", "All Properties",
    ]
    assert dialog.sheet.editor("Name").text() == "Boot image (x64)"
    assert dialog.sheet.editor("Architecture").text() == "x64 (64-bit)"
    assert dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()


def test_missing_package_says_so(qtbot, console, tasks):
    dialog = PropertiesDialog(console, "PS1FFFFF", tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "cannot be shown" in dialog.loading_text.text(), timeout=10000)
    assert "no boot image package with PackageID 'PS1FFFFF'" in dialog.loading_text.text()
    assert not dialog.ok_button.isEnabled()


def test_edits_on_several_tabs_are_saved_with_ok(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    sheet = dialog.sheet
    _retype(qtbot, sheet.editor("Name"), "WinPE 11 x64 (production)")
    _retype(qtbot, sheet.editor("Version"), "2.1")
    sheet.select_tab("customization")
    scratch = sheet.editor("ScratchSpace")
    scratch.setFocus()
    while scratch.currentData() != 128:
        qtbot.keyClick(scratch, Qt.Key.Key_Up)
    sheet.select_tab("data-source")
    _check(dialog, "PkgFlags:PERSIST_IN_CACHE").click()
    _check(dialog, "PkgFlags:USE_BINARY_DELTA_REP").click()
    sheet.select_tab("distribution-settings")
    _check(dialog, "PkgFlags:DISTRIBUTE_ON_DEMAND").click()
    assert set(sheet.changes()) == {"Name", "Version", "ScratchSpace", "PkgFlags"}
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = console.packages.get(package_id, lazy=True)
    assert (saved["Name"], saved["Version"], saved["ScratchSpace"]) == ("WinPE 11 x64 (production)", "2.1", 128)
    assert saved["PkgFlags"] == PERSIST_IN_CACHE | USE_BINARY_DELTA_REP | DISTRIBUTE_ON_DEMAND


def test_the_same_bit_on_two_tabs_stays_in_step(qtbot, open_dialog, package_id):
    dialog = open_dialog(package_id)
    _check(dialog, "PkgFlags:PERSIST_IN_CACHE").click()
    model = dialog.sheet.all_properties.model
    assert model.index(model.row_of("PkgFlags"), 3).data() == "PERSIST_IN_CACHE"
    dialog.sheet.values.set("PkgFlags", 0)  # as the All Properties bit editor does
    assert not _check(dialog, "PkgFlags:PERSIST_IN_CACHE").isChecked()


def test_apply_is_enabled_only_while_something_changed(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    name = dialog.sheet.editor("Name")
    assert not dialog.apply_button.isEnabled()
    qtbot.keyClick(name, Qt.Key.Key_End)
    qtbot.keyClicks(name, "!")
    assert dialog.apply_button.isEnabled()
    qtbot.keyClick(name, Qt.Key.Key_Backspace)
    assert not dialog.apply_button.isEnabled()
    qtbot.keyClicks(name, " - lab")
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        dialog.apply_button.click()
    assert package_id in saved.args[0].updated
    assert dialog.isVisible()
    assert not dialog.apply_button.isEnabled()
    assert console.packages.get(package_id)["Name"] == "Boot image (x64) - lab"


def test_custom_share_without_a_name_is_refused_next_to_the_field(qtbot, console, open_dialog, package_id):
    before = console.packages.get(package_id, lazy=True)
    dialog = open_dialog(package_id)
    sheet = dialog.sheet
    sheet.select_tab("data-access")
    _check(dialog, "PkgFlags:COPY_CONTENT").click()
    _check(dialog, "ShareType").click()
    sheet.select_tab("general")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=10000)
    assert sheet.current_key == "data-access"
    error = sheet.editor("ShareName").parentWidget().findChild(QLabel, "fieldError")
    assert error.isVisible()
    assert "ShareName is required when ShareType is SHARE_SPECIFIC" in error.text()
    assert "Nothing was saved" in dialog.banner.text()
    assert not sheet.tab_rows.bar_for(sheet.tab_index("data-access"))[0].tabIcon(
        sheet.tab_rows.bar_for(sheet.tab_index("data-access"))[1]).isNull()
    assert console.packages.get(package_id, lazy=True) == before


def test_empty_and_duplicate_names_are_refused(qtbot, console, open_dialog, package_id, x64_facts):
    console.packages.create(name="Boot image (x86)", image_path="/images/boot86.wim", image=x64_facts)
    dialog = open_dialog(package_id)
    name = dialog.sheet.editor("Name")
    error = name.parentWidget().findChild(QLabel, "fieldError")
    _retype(qtbot, name, "Boot image (x86)")
    dialog.apply_button.click()
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert "a boot image named 'Boot image (x86)' already exists" in error.text()
    name.clear()
    name.textEdited.emit("")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: "cannot be empty" in error.text(), timeout=10000)
    assert console.packages.get(package_id)["Name"] == "Boot image (x64)"


def test_unreadable_new_image_path_is_shown_next_to_the_field(qtbot, console, open_dialog, package_id, tmp_path):
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("data-source")
    path = dialog.sheet.editor("ImagePath")
    _retype(qtbot, path, str(tmp_path / "missing.wim"))
    dialog.apply_button.click()
    error = path.parentWidget().findChild(QLabel, "fieldError")
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert "missing.wim" in error.text()
    assert dialog.sheet.current_key == "data-source"
    assert console.packages.get(package_id)["ImagePath"] == "/images/boot.wim"


@pytest.mark.skipif(__import__("os").name == "nt", reason="UNC paths are paths on Windows")
def test_path_hints_are_paths_this_machine_opens_and_a_unc_image_path_is_refused(qtbot, console, open_dialog,
                                                                                   package_id):
    """On Linux the placeholders show a mounted share, never \\\\server\\share; the prestart
    command's example runs from X:\\Prestart, where the build copies the prestart files."""
    dialog = open_dialog(package_id)
    hints = {name: dialog.sheet.editor(name).placeholderText()
             for name in ("PreExecCommandLine", "PreExecSourceDirectory", "BackgroundBitmapPath", "ImagePath")}
    assert hints == {"PreExecCommandLine": r"cmd /c X:\Prestart\prestart.cmd",
                     "PreExecSourceDirectory": "/mnt/share/prestart",
                     "BackgroundBitmapPath": "/mnt/share/background.bmp", "ImagePath": "/mnt/share/boot.wim"}
    dialog.sheet.select_tab("data-source")
    path = dialog.sheet.editor("ImagePath")
    _retype(qtbot, path, r"\\cm01\OSD\boot.wim")
    dialog.apply_button.click()
    error = path.parentWidget().findChild(QLabel, "fieldError")
    qtbot.waitUntil(error.isVisible, timeout=10000)
    assert r"\\cm01\OSD\boot.wim is a UNC path, which this machine cannot open" in error.text()
    assert console.packages.get(package_id)["ImagePath"] == "/images/boot.wim"


def test_prestart_check_box_without_a_command_is_refused_locally(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("customization")
    prestart = _check(dialog, "PreExecCommandLine")
    prestart.click()
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert "is selected, but pre exec command line is empty" in dialog.banner.text()
    command = dialog.sheet.editor("PreExecCommandLine")
    assert command.isEnabled()
    qtbot.keyClicks(command, r"cmd /c X:\Prestart\prestart.cmd")
    _apply(qtbot, dialog)
    assert console.packages.get(package_id, lazy=True)["PreExecCommandLine"] == r"cmd /c X:\Prestart\prestart.cmd"
    prestart.click()  # clearing the box clears the command
    _apply(qtbot, dialog)
    assert console.packages.get(package_id, lazy=True)["PreExecCommandLine"] == ""


def test_conflicting_save_offers_reload(qtbot, console, db_url, open_dialog, package_id, monkeypatch):
    dialog = open_dialog(package_id)
    _as_bob(db_url, lambda other: other.packages.put(package_id, {"Version": "from bob"}))
    asked = []
    monkeypatch.setattr(ConflictDialog, "ask", classmethod(lambda cls, parent, error: asked.append(error) or True))
    _retype(qtbot, dialog.sheet.editor("Name"), "Mine")
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.apply_button.click()
    assert asked and asked[0].changed_by == "bob@console2"
    assert dialog.isVisible()
    assert dialog.sheet.editor("Version").text() == "from bob"
    assert dialog.sheet.editor("Name").text() == "Boot image (x64)"
    assert "Your changes were discarded (Name)" in dialog.banner.text()
    assert console.packages.get(package_id)["Name"] == "Boot image (x64)"
    _retype(qtbot, dialog.sheet.editor("Name"), "Mine")
    _apply(qtbot, dialog)  # after the reload the save goes through
    saved = console.packages.get(package_id)
    assert (saved["Name"], saved["Version"]) == ("Mine", "from bob")


def test_conflict_cancel_keeps_the_edits_on_screen(qtbot, console, db_url, open_dialog, package_id, monkeypatch):
    dialog = open_dialog(package_id)
    _as_bob(db_url, lambda other: other.packages.put(package_id, {"Version": "from bob"}))
    monkeypatch.setattr(ConflictDialog, "ask", classmethod(lambda cls, parent, error: False))
    _retype(qtbot, dialog.sheet.editor("Name"), "Mine")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: "bob@console2" in dialog.banner.text(), timeout=10000)
    assert dialog.sheet.editor("Name").text() == "Mine"
    assert console.packages.get(package_id)["Name"] == "Boot image (x64)"


def test_other_errors_open_an_error_dialog(qtbot, console, db_url, open_dialog, package_id):
    dialog = open_dialog(package_id)
    _as_bob(db_url, lambda other: other.packages.delete(package_id))
    _retype(qtbot, dialog.sheet.editor("Name"), "Mine")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: any(box.isVisible() for box in dialog.findChildren(QMessageBox)), timeout=10000)
    box = next(box for box in dialog.findChildren(QMessageBox) if box.isVisible())
    assert box.windowTitle() == "Not found"
    assert package_id in box.text()
    box.close()


def _fill_weekly(dialog: ScheduleDialog) -> int:
    assert dialog.windowTitle().endswith("New Schedule")
    assert dialog.schedule().start.year >= 2026, "a new schedule starts now, not in 1970"
    dialog.occurs.setCurrentIndex(dialog.occurs.findData(Occurs.WEEKLY))
    dialog.weekday.setCurrentIndex(dialog.weekday.findData(7))
    dialog.every.setValue(2)
    dialog.start.setDateTime(QDateTime(QDate(2027, 3, 6), QTime(22, 0)))
    dialog.utc.setChecked(True)
    assert dialog.summary.text() == "Every 2 weeks on Saturday from 2027-03-06 22:00 UTC"
    dialog.accept()
    return dialog.result()


def test_schedule_editor_round_trip(qtbot, console, open_dialog, package_id, monkeypatch):
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("data-source")
    _check(dialog, "RefreshSchedule").click()
    schedule = dialog.sheet.editor("RefreshSchedule")
    assert schedule.isEnabled()
    monkeypatch.setattr(ScheduleDialog, "exec", _fill_weekly)
    schedule.add_button.click()
    assert schedule.model.index(0, 0).data() == "Every 2 weeks on Saturday from 2027-03-06 22:00 UTC"
    _apply(qtbot, dialog)
    tokens = console.packages.get(package_id, lazy=True)["RefreshSchedule"]
    assert len(tokens) == 1
    token = tokens[0]
    assert token.class_name == "SMS_ST_RecurWeekly"
    assert (token["Day"], token["ForNumberOfWeeks"], token["IsGMT"]) == (7, 2, True)
    assert token["StartTime"] == datetime(2027, 3, 6, 22, 0, tzinfo=UTC)

    reopened = open_dialog(package_id)
    reopened.sheet.select_tab("data-source")
    assert _check(reopened, "RefreshSchedule").isChecked()
    table = reopened.sheet.editor("RefreshSchedule")
    table.table.selectRow(0)
    seen = {}

    def look(schedule_dialog: ScheduleDialog) -> int:
        seen.update(occurs=schedule_dialog.occurs.currentData(), day=schedule_dialog.weekday.currentData(),
                    weeks=schedule_dialog.every.value(), utc=schedule_dialog.utc.isChecked(),
                    start=schedule_dialog.schedule().start)
        schedule_dialog.reject()
        return schedule_dialog.result()

    monkeypatch.setattr(ScheduleDialog, "exec", look)
    table.edit_button.click()
    assert seen == {"occurs": Occurs.WEEKLY, "day": 7, "weeks": 2, "utc": True, "start": datetime(2027, 3, 6, 22, 0)}
    assert not reopened.apply_button.isEnabled()


def test_a_token_the_schedule_dialog_cannot_state_opens_the_raw_editor(qtbot, console, open_dialog, package_id,
                                                                         monkeypatch, registry):
    minutes = Instance("SMS_ST_RecurInterval", {**registry["SMS_ST_RecurInterval"].defaults(), "MinuteSpan": 30})
    console.packages.put(package_id, {"RefreshSchedule": [minutes]})
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("data-source")
    table = dialog.sheet.editor("RefreshSchedule")
    assert table.model.index(0, 0).data().startswith("Every 30 minutes from")
    table.table.selectRow(0)
    opened = []
    monkeypatch.setattr(InstanceDialog, "exec", lambda d: opened.append(d.type_combo.currentData()) or 0)
    table.edit_button.click()
    assert opened == ["SMS_ST_RecurInterval"]


def test_schedule_holds_at_most_fifteen_tokens(qtbot, console, open_dialog, package_id, registry):
    token = Instance("SMS_ST_NonRecurring", registry["SMS_ST_NonRecurring"].defaults())
    console.packages.put(package_id, {"RefreshSchedule": [token] * 15})
    dialog = open_dialog(package_id)
    schedule = dialog.sheet.editor("RefreshSchedule")
    assert schedule.model.rowCount() == 15
    assert not schedule.add_button.isEnabled()
    assert "at most 15" in schedule.add_button.toolTip()


def test_works_without_a_mouse(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.sheet.editor("Name"))
    qtbot.keyClick(dialog, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.sheet.editor("Version")
    qtbot.keyClicks(QApplication.focusWidget(), "3.0")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.sheet.editor("Description")
    for _ in range(3):  # General -> Images -> Drivers -> Customization
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert dialog.sheet.current_key == "customization"
    qtbot.keyClick(dialog, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # Enable command support (&testing only)
    qtbot.waitUntil(_check(dialog, "EnableLabShell").isChecked)  # a mnemonic "animates" the click
    qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)  # scratch s&pace
    assert QApplication.focusWidget() is dialog.sheet.editor("ScratchSpace")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &Apply
    saved = console.packages.get(package_id, lazy=True)
    assert (saved["Version"], saved["EnableLabShell"], saved["ScratchSpace"]) == ("3.0", True, 256)
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)


def test_optional_components_tab_lists_and_asks_for_the_wizard(qtbot, console, open_dialog, package_id):
    console.packages.update_optional_components(package_id, ["WinPE-PowerShell"])
    dialog = open_dialog(package_id)
    panel = dialog.components_panel
    states = {row.name: row.state for row in panel.model.rows()}
    assert states == {"WinPE-PowerShell": "Chosen", "WinPE-NetFx": "Prerequisite of WinPE-PowerShell",
                      "WinPE-Scripting": "Required by the site", "WinPE-SecureStartup": "Required by the site",
                      "WinPE-WDS-Tools": "Required by the site", "WinPE-WMI": "Required by the site"}
    with qtbot.waitSignal(dialog.edit_optional_components_requested) as asked:
        panel.edit_button.click()
    assert asked.args == [package_id]


def test_reload_after_a_wizard_keeps_pending_edits(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    _retype(qtbot, dialog.sheet.editor("Version"), "3.1")
    console.packages.update_optional_components(package_id, ["WinPE-HTA"])  # what the wizard does
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.reload(keep_edits=True)
    assert "WinPE-HTA" in {row.name for row in dialog.components_panel.model.rows()}
    assert dialog.sheet.changes() == {"Version": "3.1"}
    _apply(qtbot, dialog)
    saved = console.packages.get(package_id, lazy=True)
    assert saved["Version"] == "3.1"
    assert 36 in saved["OptionalComponents"]


def test_drivers_tab_shows_catalog_drivers_removes_and_asks_to_add(qtbot, qtmodeltester, console, open_dialog,
                                                                   package_id, tmp_path):
    folder = tmp_path / "Drivers" / "netvadapter"
    folder.mkdir(parents=True)
    shutil.copy(INF_DIR / "microsoft__Windows-driver-samples__network__netadaptercx__netvadapter__km__netvadapter.inf",
                folder / "netvadapter.inf")
    catalog_driver = console.drivers.create_from_inf(str(folder), "netvadapter.inf").value
    unknown = [Instance("SMS_Driver_Details", {"ID": 16777300 + i, "SourcePath": rf"\\srv\drivers\d{i}"}) for i in range(2)]
    known = Instance("SMS_Driver_Details", {"ID": catalog_driver.ci_id, "SourcePath": str(folder)})
    console.packages.put(package_id, {"ReferencedDrivers": [known, *unknown]})
    dialog = open_dialog(package_id)
    panel = dialog.drivers_panel
    model = panel.model
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    assert panel.count.text() == "3 drivers"
    assert [model.index(0, c).data() for c in range(4)] == [
        catalog_driver.name, catalog_driver.version, "Net", catalog_driver.provider,
    ]
    assert model.index(1, 0).data() == "(not in the driver catalog)"
    with qtbot.waitSignal(dialog.add_drivers_requested) as asked:
        panel.add_button.click()
    assert asked.args == [package_id]
    panel.table.selectRow(1)
    panel.remove_button.click()
    dialog.add_referenced_drivers([Instance("SMS_Driver_Details", {"ID": 16777400, "SourcePath": r"\\srv\drivers\nvme"})])
    assert model.index(2, 4).data(Qt.ItemDataRole.FontRole).bold()  # not saved yet
    _apply(qtbot, dialog)
    saved = console.packages.get(package_id, lazy=True)["ReferencedDrivers"]
    assert [d["ID"] for d in saved] == [catalog_driver.ci_id, 16777301, 16777400]


def test_images_reload_failure_is_shown_on_the_tab(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("images")
    panel = dialog.images_panel
    assert panel.path.text() == "/images/boot.wim"
    panel.reload_button.click()
    assert not panel.reload_button.isEnabled()
    assert "Reading /images/boot.wim" in panel.status.text()
    qtbot.waitUntil(panel.reload_button.isEnabled, timeout=10000)
    assert panel.status.text().startswith("Reload failed:")
    assert "/images/boot.wim" in panel.status.text()


@pytest.mark.skipif(not wimlib_available(), reason="needs wimlib-imagex (Debian package wimtools)")
def test_images_tab_lists_the_wim_and_reload_keeps_pending_edits(qtbot, qtmodeltester, console, open_dialog, tmp_path):
    wim = capture(tmp_path / "boot.wim", [
        ImageSpec("Microsoft Windows PE (amd64)", "Windows PE", "x64", (10, 0, 22621, 1), flags="9"),
        ImageSpec("Microsoft Windows Setup (amd64)", "Setup", "x64", (10, 0, 22621, 1), flags="2"),
    ], boot_index=2)
    package_id = console.packages.create_from_wim(str(wim), 2, "Setup boot image").value["PackageID"]
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("images")
    panel = dialog.images_panel
    model = panel.model
    qtmodeltester.check(model)
    assert [model.index(row, 1).data() for row in range(model.rowCount())] == [
        "Microsoft Windows PE (amd64)", "Microsoft Windows Setup (amd64)",
    ]
    assert model.index(1, 3).data() == "10.0.22621.1"
    assert model.index(1, 0).data(Qt.ItemDataRole.FontRole).bold()  # ImageIndex 2: the image in use
    assert panel.table.currentIndex().row() == 1
    _retype(qtbot, dialog.sheet.editor("Version"), "pending edit")

    set_properties(wim, 2, {"WINDOWS/VERSION/BUILD": "26100", "WINDOWS/VERSION/SPBUILD": "2161"})
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        panel.reload_button.click()
    assert "10.0.22621.1 -> 10.0.26100.2161" in panel.status.text()
    assert model.index(1, 3).data() == "10.0.26100.2161"
    assert dialog.sheet.editor("ImageOSVersion").text() == "10.0.26100.2161"
    assert dialog.sheet.changes() == {"Version": "pending edit"}
    _apply(qtbot, dialog)  # the reload's new SedoObjectVersion is the one saved against
    saved = console.packages.get(package_id)
    assert (saved["Version"], saved["ImageOSVersion"]) == ("pending edit", "10.0.26100.2161")


def test_name_is_trimmed_and_an_over_long_one_is_refused_not_cut(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    name = dialog.sheet.editor("Name")
    _retype(qtbot, name, "Lab image ")
    _apply(qtbot, dialog)
    assert console.packages.get(package_id)["Name"] == "Lab image"
    _retype(qtbot, name, "y" * 60)
    dialog.apply_button.click()
    qtbot.wait(100)
    assert console.packages.get(package_id)["Name"] == "Lab image"
    errors = [label.text() for label in dialog.findChildren(QLabel, "fieldError") if label.isVisible()]
    assert any("Name is limited to 50 characters; it has 60" in text for text in errors), errors


def test_keyboard_layout_offers_the_known_input_locales_and_refuses_others(qtbot, console, open_dialog, package_id):
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("customization")
    editor = dialog.sheet.editor("InputLocale")
    completer = editor.completer()
    completer.setCompletionPrefix("german")
    offered = [completer.completionModel().index(r, 0).data() for r in range(completer.completionModel().rowCount())]
    assert "de-DE — German (Germany) (0407:00000407)" in offered
    completer.activated[QModelIndex].emit(completer.completionModel().index(offered.index(
        "de-DE — German (Germany) (0407:00000407)"), 0))
    qtbot.waitUntil(lambda: editor.text() == "de-DE", timeout=2000)
    _apply(qtbot, dialog)
    assert console.packages.get(package_id, lazy=True)["InputLocale"] == "de-DE"
    _retype(qtbot, editor, "xx-YY")
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: any("not a known Windows input locale" in label.text()
                                for label in dialog.findChildren(QLabel) if label.isVisible()), timeout=5000)
    assert console.packages.get(package_id, lazy=True)["InputLocale"] == "de-DE"


@pytest.mark.skipif(not wimlib_available(), reason="needs wimlib-imagex (Debian package wimtools)")
def test_images_tab_warns_when_the_source_wim_is_gone_and_names_the_boot_index(qtbot, console, open_dialog, tmp_path):
    wim = capture(tmp_path / "boot.wim", [
        ImageSpec("Microsoft Windows PE (amd64)", "Windows PE", "x64", (10, 0, 22621, 1), flags="9"),
        ImageSpec("Microsoft Windows Setup (amd64)", "Setup", "x64", (10, 0, 22621, 1), flags="2"),
    ], boot_index=2)
    package_id = console.packages.create_from_wim(str(wim), 1, "PE boot image").value["PackageID"]
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("images")
    panel = dialog.images_panel
    assert not panel.source_warning.isVisible()
    assert panel._detail_labels["is_boot_image"].text() == "2 (image 2, not this one)"
    panel.table.selectRow(1)
    assert panel._detail_labels["is_boot_image"].text() == "2 (this image)"
    wim.unlink()
    dialog.reload()
    qtbot.waitUntil(panel.source_warning.isVisible, timeout=10000)
    text = panel.source_warning.text()
    assert f"The source image file {wim} no longer exists" in text and "press Reload" in text
    assert panel._detail_labels["is_boot_image"].text() == "unknown (the image file could not be read)"
    dialog.grab().save("/tmp/images-missing-wim.png")


@pytest.mark.skipif(not wimlib_available(), reason="needs wimlib-imagex (Debian package wimtools)")
def test_image_index_is_chosen_from_the_images_of_the_wim(qtbot, console, open_dialog, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QPushButton

    from console.ui.propertysheet.image_chooser import ImageChooserDialog

    wim = capture(tmp_path / "boot.wim", [
        ImageSpec("Microsoft Windows PE (amd64)", "Windows PE", "x64", (10, 0, 22621, 1), flags="9"),
        ImageSpec("Microsoft Windows Setup (amd64)", "Setup", "x64", (10, 0, 22621, 1), flags="2"),
    ], boot_index=2)
    package_id = console.packages.create_from_wim(str(wim), 1, "PE boot image").value["PackageID"]
    dialog = open_dialog(package_id)
    dialog.sheet.select_tab("data-source")
    offered = []

    def pick_second(chooser: ImageChooserDialog) -> int:
        offered.extend(chooser.table.item(r, 1).text() for r in range(chooser.table.rowCount()))
        assert chooser.chosen_index() == 1, "the current image is preselected"
        chooser.table.selectRow(1)
        chooser.grab().save("/tmp/image-chooser.png")
        chooser.accept()
        return chooser.result()

    monkeypatch.setattr(ImageChooserDialog, "exec", pick_second)
    dialog.findChild(QPushButton, "button_ImageIndex").click()
    qtbot.waitUntil(lambda: dialog.sheet.editor("ImageIndex").value() == 2, timeout=10000)
    assert offered == ["Microsoft Windows PE (amd64)", "Microsoft Windows Setup (amd64)"]
    assert dialog.sheet.changes() == {"ImageIndex": 2}
    _apply(qtbot, dialog)
    saved = console.packages.get(package_id, lazy=True)
    assert (saved["ImageIndex"], saved["ImageOSVersion"]) == (2, "10.0.22621.1")


def test_drivers_and_components_tabs_do_not_promise_a_distribution_point_update(open_dialog, x64_package):
    """Building and distributing images is not in this console yet: the tab notes say where the
    change goes (recorded with the boot image) instead of advising a distribution point update."""
    dialog = open_dialog(x64_package["PackageID"])
    sheet = dialog.sheet
    assert sheet is not None
    for key in ("drivers", "optional-components"):
        sheet.select_tab(key)
        page = sheet.tabs.currentWidget()
        texts = " ".join(label.text() for label in page.findChildren(QLabel) if label.isVisible())
        assert "distribution points are next updated" not in texts, key
        assert "not available in this console yet" in texts, key
