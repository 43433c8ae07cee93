"""Import Driver: locate a folder, scan it in the background, look at the findings, import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWizard

from console.ui.dialogs.import_driver_dialog import ImportDriverDialog, PageId
from console.ui.models.record_table_model import RecordRole
from tests.driver_fixtures import MALFORMED_INF, inf_source_folder

NETKVM2K = "virtio-win__kvm-guest-drivers-windows__NetKVM__wxp__netkvm2k"
VIGEM = "ViGEm__ViGEmBus__sys__ViGEmBus"
NETVMINI = "microsoft__Windows-driver-samples__network__ndis__netvmini__6x__680__netvmini680"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three good drivers, each in its own folder, and one malformed INF."""
    root = tmp_path / "share" / "drivers"
    for stem in (NETKVM2K, VIGEM, NETVMINI):
        (root / stem).mkdir(parents=True)
        shutil.copyfile(inf_source_folder() / f"{stem}.inf", root / stem / f"{stem}.inf")
        (root / stem / "driver.sys").write_bytes(b"MZ " + stem.encode())
    (root / "broken").mkdir()
    (root / "broken" / "broken.inf").write_bytes(MALFORMED_INF)
    return root


def open_dialog(qtbot, console, tasks) -> ImportDriverDialog:
    dialog = ImportDriverDialog(console, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def scan(qtbot, dialog, folder: Path) -> None:
    dialog.locate.folder.clear()
    qtbot.keyClicks(dialog.locate.folder, str(folder))
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DETAILS or dialog.scan.error is not None, timeout=15000)


def column(model, col: int, role=Qt.ItemDataRole.DisplayRole) -> list:
    return [model.index(r, col).data(role) for r in range(model.rowCount())]


def test_import_a_folder_with_a_malformed_inf(qtbot, console, tasks, folder, qtmodeltester):
    dialog = open_dialog(qtbot, console, tasks)
    next_button = dialog.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled(), "a folder is required before Next"
    scan(qtbot, dialog, folder)
    details = dialog.details
    assert [details.tabs.tabText(i) for i in range(3)] == ["&New (3)", "&Duplicates (0)", "F&ailed (1)"]
    names = column(details.found, 0)
    assert names == sorted(names, key=str.casefold) and "Red Hat VirtIO Ethernet Adapter" in names
    assert len(names) == 3
    netkvm = names.index("Red Hat VirtIO Ethernet Adapter")
    assert [details.found.index(netkvm, c).data() for c in range(1, 7)] == [
        "Net", "Red Hat Inc.", "1.0.0.0", "2007-03-15", "x86 (undecorated INF)", "No"]
    broken = folder / "broken" / "broken.inf"
    assert column(details.failed, 0) == [str(Path("broken") / "broken.inf")], "paths inside the scanned folder"
    assert column(details.failed, 1) == ["line 4: section header has no closing ']'"]
    assert column(details.failed, 1, Qt.ItemDataRole.ToolTipRole) == [f"{broken}, line 4: section header has no closing ']'"]
    assert "4 INF file(s) read: 3 new driver(s) to import; 1 INF file(s) cannot be used" in details.summary.text().replace("<b>", "").replace("</b>", "")
    qtmodeltester.check(details.found)
    qtmodeltester.check(details.failed)
    assert console.drivers.query().total == 0, "nothing is written before Import"

    assert next_button.text() == "&Import"
    qtbot.keyClicks(details.categories, "Lab; Network")
    with qtbot.waitSignal(dialog.imported, timeout=15000) as imported:
        next_button.click()
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DONE, timeout=15000)
    assert len(imported.args[0].drivers) == 3
    text = dialog.completion.text.text()
    assert "<b>3</b> driver(s) imported into the driver catalog (CI_ID 16777217 to 16777219, enabled, in Lab, Network)" in text
    assert "1 INF file(s) could not be used" in text and "section header has no closing" in text
    catalog = console.drivers.query().items
    assert sorted(d.name for d in catalog) == sorted(names)
    assert all(d.categories == ("Lab", "Network") and d.is_enabled for d in catalog)
    dialog.button(QWizard.WizardButton.FinishButton).click()
    assert dialog.result() == QWizard.DialogCode.Accepted


def test_a_second_import_lists_duplicates_and_offers_nothing(qtbot, console, tasks, folder):
    first = console.drivers.import_drivers(folder).value.imported
    dialog = open_dialog(qtbot, console, tasks)
    scan(qtbot, dialog, folder)
    details = dialog.details
    assert details.tabs.tabText(1) == "&Duplicates (3)"
    described = column(details.duplicates, 3)
    assert any(f"already in the catalog as driver {first[0].ci_id}" in d for d in described)
    assert "There is nothing new to import." in details.summary.text()
    assert not dialog.button(QWizard.WizardButton.NextButton).isEnabled()


def test_import_as_disabled_drivers(qtbot, console, tasks, folder):
    dialog = open_dialog(qtbot, console, tasks)
    scan(qtbot, dialog, folder)
    assert dialog.details.found.index(0, 0).data(RecordRole).inf_path.endswith(".inf")
    dialog.details.enabled.setChecked(False)
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DONE, timeout=15000)
    assert "(CI_ID 16777217 to 16777219, disabled)" in dialog.completion.text.text()
    assert all(not d.is_enabled for d in console.drivers.query().items)


def test_cancel_after_the_scan_writes_nothing(qtbot, console, tasks, folder):
    dialog = open_dialog(qtbot, console, tasks)
    scan(qtbot, dialog, folder)
    assert dialog.button(QWizard.WizardButton.CancelButton).isEnabled()
    dialog.button(QWizard.WizardButton.CancelButton).click()
    assert dialog.result() == QWizard.DialogCode.Rejected and not dialog.isVisible()
    tasks.wait()
    assert console.drivers.query().total == 0


def test_cancel_while_scanning_stops_the_scan(qtbot, console, tasks, folder):
    dialog = open_dialog(qtbot, console, tasks)
    dialog.locate.folder.setText(str(folder))
    dialog.next()
    assert dialog.currentId() == PageId.SCAN and dialog.scan.running
    dialog.button(QWizard.WizardButton.CancelButton).click()
    assert not dialog.isVisible() and not dialog.scan.running
    tasks.wait()
    qtbot.wait(50)  # the cancelled scan's result arrives and is dropped
    assert dialog.scan.result is None
    assert console.drivers.query().total == 0


def test_a_missing_folder_is_reported_on_the_scan_page(qtbot, console, tasks, tmp_path):
    dialog = open_dialog(qtbot, console, tasks)
    scan(qtbot, dialog, tmp_path / "nowhere")
    assert dialog.currentId() == PageId.SCAN
    assert "does not exist: choose a folder that holds driver INF files" in dialog.scan.status.text()
    assert not dialog.button(QWizard.WizardButton.NextButton).isEnabled()
    dialog.back()
    assert dialog.currentId() == PageId.LOCATE


def test_a_given_folder_is_filled_in_and_ready(qtbot, console, tasks, folder):
    dialog = ImportDriverDialog(console, tasks, folder=str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.locate.folder.text() == str(folder)
    assert dialog.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClick(dialog.locate.folder, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DETAILS, timeout=15000)
    assert dialog.details.found.rowCount() == 3


def test_a_named_pipe_called_inf_fails_instead_of_hanging_the_scan(qtbot, console, tasks, folder):
    """A FIFO is never opened for reading: the scan ends and lists it as failed (issue 8, item 2)."""
    import os

    os.mkfifo(folder / "pipe.inf")
    os.mkfifo(folder / NETKVM2K / "extra.sys")  # a pipe among a driver's files is not content
    dialog = open_dialog(qtbot, console, tasks)
    scan(qtbot, dialog, folder)
    assert dialog.currentId() == PageId.DETAILS
    assert dialog.details.tabs.tabText(2) == "F&ailed (2)"
    messages = " ".join(str(v) for c in range(dialog.details.failed.columnCount())
                        for v in column(dialog.details.failed, c))
    assert "is a named pipe, not an INF file; only regular files are read" in messages
    assert dialog.details.found.rowCount() == 3


@pytest.mark.skipif(__import__("os").name == "nt", reason="UNC paths are paths on Windows")
def test_the_hint_names_a_mounted_share_and_a_unc_folder_is_refused(qtbot, console, tasks):
    dialog = open_dialog(qtbot, console, tasks)
    hint = dialog.locate.findChild(QLabel, "hint").text()
    assert "a mounted share such as <tt>/mnt/share/drivers</tt>" in hint
    assert dialog.locate.folder.placeholderText() == "/mnt/share/drivers/Latitude 7450"
    dialog.locate.folder.clear()
    qtbot.keyClicks(dialog.locate.folder, r"\\cm01\Drivers")
    dialog.next()
    qtbot.waitUntil(lambda: dialog.scan.error is not None, timeout=15000)
    assert r"\\cm01\Drivers is a UNC path, which this machine cannot open" in dialog.scan.status.text()
    assert console.drivers.query().total == 0
