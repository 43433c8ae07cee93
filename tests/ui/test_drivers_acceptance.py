"""Acceptance (issue 5): import the test INF folder into the catalog and add two network drivers
to an x64 boot image through the wizard, all in the console window; the drivers then show in
the details pane's Drivers tab and in ``bootimage show ID --json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QWizard

from console.ui.dialogs.import_driver_dialog import ImportDriverDialog
from console.ui.dialogs.import_driver_dialog import PageId as ImportPage
from console.ui.views.drivers_page import DriversPage
from console.ui.wizards.drivers_wizard import DriversWizard
from console.ui.wizards.drivers_wizard import PageId as WizardPage
from tests.driver_fixtures import build_driver_tree, inf_source_folder
from tests.ui.conftest import wait_idle

PID = "PS100001"


def open_node(qtbot, window, label: str):
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    return window.pages.currentWidget()


def import_folder(qtbot, window, folder: Path) -> ImportDriverDialog:
    window.console_actions.import_driver.trigger()
    dialog = window.findChild(ImportDriverDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.locate.folder, str(folder))
    qtbot.keyClick(dialog.locate.folder, Qt.Key.Key_Return)  # Enter = Next
    qtbot.waitUntil(lambda: dialog.currentId() == ImportPage.DETAILS, timeout=20000)
    dialog.button(QWizard.WizardButton.NextButton).click()  # Import
    qtbot.waitUntil(lambda: dialog.currentId() == ImportPage.DONE, timeout=20000)
    dialog.button(QWizard.WizardButton.FinishButton).click()
    return dialog


def test_import_the_testdata_and_add_two_network_drivers(qtbot, console, db_url, x64_package, make_window, tmp_path):
    window = make_window()
    page = open_node(qtbot, window, "Drivers")
    assert isinstance(page, DriversPage)
    assert "The driver catalog is empty" in page.counts.text()

    tree = build_driver_tree(tmp_path / "Sources" / "Drivers")
    dialog = import_folder(qtbot, window, tree)
    infs = len(list(inf_source_folder().glob("*.inf")))
    assert dialog.details.failed.rowCount() >= 1 and dialog.details.found.rowCount() >= infs - 10
    wait_idle(qtbot, window)
    assert page.model.rowCount() == console.drivers.query().total == dialog.details.found.rowCount()

    # The boot image: select it, then Boot Image › Drivers… (the Drivers tab's Add… opens the same wizard)
    open_node(qtbot, window, "Boot Images")
    view = window.packages_page.view
    view.selectionModel().setCurrentIndex(window.package_model.index(0, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    window.console_actions.drivers.trigger()
    qtbot.waitUntil(lambda: window.findChild(DriversWizard) is not None, timeout=10000)
    wizard = window.findChild(DriversWizard)
    chooser = wizard.drivers.chooser
    qtbot.waitUntil(lambda: not chooser.loading, timeout=10000)
    # what the filters offer for x64: storage and network drivers decorated NTamd64 (undecorated INFs are x86 only)
    nics = list(chooser.model.rows())[:2]
    assert len(nics) == 2 and all("amd64" in d.architectures for d in nics)
    for driver in nics:
        index = chooser.model.index(chooser.model.row_of(driver.ci_id), 0)
        chooser.view.setCurrentIndex(index)
        qtbot.keyClick(chooser.view, Qt.Key.Key_Space)
    assert sorted(wizard.field("drivers")) == sorted(d.ci_id for d in nics)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == WizardPage.SUMMARY and wizard.summary.isComplete(), timeout=10000)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == WizardPage.DONE, timeout=10000)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    wait_idle(qtbot, window)

    # Visible in the details pane's Drivers tab ...
    window._details_timer.timeout.emit()
    qtbot.waitUntil(lambda: window.packages_page.details._drivers.rowCount() == 2, timeout=10000)
    details = window.packages_page.details
    assert details.tabs.tabText(3) == "Drivers (2)"
    rows = [(int(details._drivers.item(r, 0).text()), details._drivers.item(r, 1).text(), details._drivers.item(r, 2).text())
            for r in range(2)]
    assert sorted(rows) == sorted((d.ci_id, d.name, d.folder) for d in nics)

    # ... and in `bootimage show ID --json`
    env = {**os.environ, "BOOTIMAGE_DB": db_url}
    shown = subprocess.run([sys.executable, "-m", "console.cli", "show", PID, "--json"], capture_output=True,
                           text=True, env=env, timeout=60, check=True)
    referenced = json.loads(shown.stdout)["ReferencedDrivers"]
    assert sorted((d["ID"], d["SourcePath"]) for d in referenced) == sorted((d.ci_id, d.folder) for d in nics)
    assert all(d["__class"] == "SMS_Driver_Details" for d in referenced)


def test_keys_in_the_drivers_list_act_on_drivers(qtbot, monkeypatch, console, x64_package, make_window, tmp_path):
    """Delete in the driver list asks about the driver, even while a boot image is selected
    (the window's own Delete would delete the boot image)."""
    from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog
    from console.ui.views.drivers_page import ConfirmDriverDelete

    console.drivers.import_drivers(build_driver_tree(tmp_path / "drivers"))
    window = make_window()
    window.packages_page.view.selectionModel().setCurrentIndex(
        window.package_model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert window.console_actions.delete.isEnabled()
    page = open_node(qtbot, window, "Drivers")
    asked = []
    monkeypatch.setattr(ConfirmDriverDelete, "ask", classmethod(lambda cls, parent, drivers: asked.append(drivers) or False))
    first = page.model.record(0)
    page.view.setFocus()
    page.view.selectionModel().setCurrentIndex(
        page.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.keyClick(page.view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: bool(asked), timeout=10000)  # after checking which boot images use it
    assert asked == [[(first.ci_id, first.name)]]
    assert console.packages.get(PID)["PackageID"] == PID
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    dialog = page.findChild(DriverPropertiesDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.driver is not None, timeout=10000)
    dialog.close()
