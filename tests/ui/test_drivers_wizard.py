"""Drivers wizard: the console's three filters, search, ticking by keyboard, summary, save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QWizard

from console.ui.models.driver_columns import size_text
from console.ui.wizards.drivers_wizard import DriversWizard, PageId
from tests.driver_fixtures import build_driver_tree

NETKVM2K = "virtio-win__kvm-guest-drivers-windows__NetKVM__wxp__netkvm2k"
SOFTETHER_ARM64 = "SoftEtherVPN__SoftEtherVPN__src__bin__hamcore__DriverPackages__Neo6_Win10__arm64__Neo6_arm64_VPN"
VIGEM = "ViGEm__ViGEmBus__sys__ViGEmBus"
WNBD = "microsoft__Windows-driver-samples__storage__class__disk__src__diskdev"  # DiskDrive for amd64, unsigned
PID = "PS100001"


def open_wizard(qtbot, console, tasks) -> DriversWizard:
    wizard = DriversWizard(console, console.packages.get(PID, lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: not wizard.drivers.chooser.loading, timeout=10000)
    return wizard


def shown(wizard) -> set[str]:
    return {Path(d.folder).name for d in wizard.drivers.chooser.model.rows()}


def set_filter(qtbot, wizard, box, on: bool) -> None:
    box.setChecked(on)
    qtbot.waitUntil(lambda: not wizard.drivers.chooser.loading, timeout=10000)


def tick_by_keyboard(qtbot, wizard, drivers) -> None:
    """Select the rows (Ctrl+click would do the same) and press Space in the list."""
    chooser = wizard.drivers.chooser
    selection = chooser.view.selectionModel()
    selection.clearSelection()
    for driver in drivers:
        row = chooser.model.row_of(driver.ci_id)
        selection.select(chooser.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    chooser.view.setFocus()
    qtbot.keyClick(chooser.view, Qt.Key.Key_Space)


def next_until(qtbot, wizard, page: PageId) -> None:
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == page and wizard.currentPage().isComplete(), timeout=10000)


def summary_text(wizard) -> str:
    return wizard.summary.text.toPlainText()


def test_filters_hide_and_show_the_right_drivers(qtbot, console, x64_package, driver_catalog, tasks, qtmodeltester):
    wizard = open_wizard(qtbot, console, tasks)
    chooser = wizard.drivers.chooser
    assert chooser.hide_other_architectures.isChecked() and chooser.hide_not_storage_or_network.isChecked()
    assert not chooser.hide_unsigned.isChecked()
    assert "(x64)" in chooser.hide_other_architectures.text()
    assert "Undecorated INFs install on x86 only" in chooser.hide_other_architectures.toolTip()
    assert "stamped" in shown(wizard)
    assert NETKVM2K not in shown(wizard), "an undecorated INF installs on x86 only: hidden for x64"
    assert VIGEM not in shown(wizard) and SOFTETHER_ARM64 not in shown(wizard)
    assert {chooser.model.index(r, 2).data() for r in range(chooser.model.rowCount())} <= {
        "Net", "SCSIAdapter", "HDC", "DiskDrive", "SDHost"}
    qtmodeltester.check(chooser.model)

    set_filter(qtbot, wizard, chooser.hide_not_storage_or_network, False)
    assert VIGEM in shown(wizard) and SOFTETHER_ARM64 not in shown(wizard)
    set_filter(qtbot, wizard, chooser.hide_other_architectures, False)
    assert SOFTETHER_ARM64 in shown(wizard) and NETKVM2K in shown(wizard)
    row = chooser.model.row_of(driver_catalog[NETKVM2K].ci_id)
    arch_column = next(c for c in range(chooser.model.columnCount())
                       if chooser.model.headerData(c, Qt.Orientation.Horizontal) == "Architectures")
    assert chooser.model.index(row, arch_column).data() == "x86 (undecorated INF)"
    set_filter(qtbot, wizard, chooser.hide_unsigned, True)
    signed = {name for name, d in driver_catalog.items() if d.signed}
    assert shown(wizard) == signed and "stamped" in signed
    assert {chooser.model.index(r, 6).data() for r in range(chooser.model.rowCount())} == {"Yes"}

    set_filter(qtbot, wizard, chooser.hide_unsigned, False)
    hardware_id = "PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00"  # the VirtIO network adapter
    qtbot.keyClicks(chooser.search, hardware_id.lower())
    qtbot.waitUntil(lambda: not chooser._debounce.isActive() and not chooser.loading, timeout=10000)
    assert shown(wizard) == {name for name, d in driver_catalog.items() if hardware_id in d.hardware_ids}
    assert NETKVM2K in shown(wizard)
    assert chooser.status.text() == f"{len(shown(wizard))} driver(s) shown; 0 selected"


def test_add_two_network_drivers_to_an_x64_boot_image(qtbot, console, x64_package, driver_catalog, tasks):
    """The undecorated NETKVM2K is hidden by the architecture filter; ticked with the filter off,
    the summary says why it does not match (filtered, and the reason given: one rule)."""
    wizard = open_wizard(qtbot, console, tasks)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled(), "nothing ticked: nothing to do"
    set_filter(qtbot, wizard, wizard.drivers.chooser.hide_other_architectures, False)
    nics = [driver_catalog[NETKVM2K], driver_catalog["stamped"]]
    tick_by_keyboard(qtbot, wizard, nics)
    assert sorted(wizard.field("drivers")) == sorted(d.ci_id for d in nics)
    assert wizard.drivers.chooser.status.text().endswith("; 2 selected")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    next_until(qtbot, wizard, PageId.SUMMARY)
    text = summary_text(wizard)
    assert f"Boot image: Boot image (x64) ({PID}, x64)" in text
    assert "Drivers to add (2):" in text and "Red Hat VirtIO Ethernet Adapter" in text
    assert driver_catalog["stamped"].name in text
    size = driver_catalog[NETKVM2K].size + driver_catalog["stamped"].size
    assert f"After the change: 2 driver(s), {size_text(size)} of driver files (now 0, 0 KB)." in text
    assert (f"Driver {nics[0].ci_id} ({nics[0].name}) does not match the x64 boot image {PID}: its INF is undecorated, "
            "so it installs on x86 only") in text, "the service's notes are shown before saving"
    assert console.packages.get(PID, lazy=True)["ReferencedDrivers"] == (), "the summary saves nothing"

    with qtbot.waitSignal(wizard.applied, timeout=10000) as applied:
        wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=10000)
    assert applied.args[0].updated == {PID}
    assert "2 added, 0 removed; the boot image now references 2 driver(s)." in wizard.currentPage().text.text()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    refs = console.packages.get(PID, lazy=True)["ReferencedDrivers"]
    assert sorted((d["ID"], d["SourcePath"]) for d in refs) == sorted((d.ci_id, d.folder) for d in nics)


def test_referenced_drivers_are_ticked_and_unticking_removes_them(qtbot, console, x64_package, driver_catalog, tasks):
    nic, other = driver_catalog[WNBD], driver_catalog["stamped"]
    console.drivers.add_drivers_to_boot_image(PID, [nic.ci_id, other.ci_id])
    wizard = open_wizard(qtbot, console, tasks)
    model = wizard.drivers.chooser.model
    assert model.index(model.row_of(nic.ci_id), 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled(), "unchanged selection"
    model.setData(model.index(model.row_of(nic.ci_id), 0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    next_until(qtbot, wizard, PageId.SUMMARY)
    text = summary_text(wizard)
    assert "Drivers to remove (1):" in text and nic.name in text and "Drivers to add" not in text
    assert f"After the change: 1 driver(s), {size_text(other.size)}" in text
    next_until(qtbot, wizard, PageId.DONE)
    assert [d["ID"] for d in console.packages.get(PID, lazy=True)["ReferencedDrivers"]] == [other.ci_id]


def test_an_architecture_mismatch_is_a_warning_on_the_summary(qtbot, console, x64_package, driver_catalog, tasks):
    wizard = open_wizard(qtbot, console, tasks)
    set_filter(qtbot, wizard, wizard.drivers.chooser.hide_other_architectures, False)
    arm = driver_catalog[SOFTETHER_ARM64]
    tick_by_keyboard(qtbot, wizard, [arm])
    next_until(qtbot, wizard, PageId.SUMMARY)
    assert f"Driver {arm.ci_id} ({arm.name}) does not match the x64 boot image {PID}: it is for arm64, not x64" in summary_text(wizard)


def test_ticked_drivers_hidden_by_a_filter_stay_ticked(qtbot, console, x64_package, driver_catalog, tasks):
    wizard = open_wizard(qtbot, console, tasks)
    chooser = wizard.drivers.chooser
    tick_by_keyboard(qtbot, wizard, [driver_catalog[WNBD]])
    set_filter(qtbot, wizard, chooser.hide_unsigned, True)
    assert WNBD not in shown(wizard)
    assert chooser.status.text().endswith("1 selected (1 hidden by the filters or the search)")
    assert wizard.field("drivers") == [driver_catalog[WNBD].ci_id]


def test_cancel_changes_nothing(qtbot, console, x64_package, driver_catalog, tasks):
    before = console.packages.get(PID, lazy=True)
    wizard = open_wizard(qtbot, console, tasks)
    tick_by_keyboard(qtbot, wizard, [driver_catalog[WNBD]])
    next_until(qtbot, wizard, PageId.SUMMARY)
    wizard.button(QWizard.WizardButton.CancelButton).click()
    assert wizard.result() == QWizard.DialogCode.Rejected
    assert console.packages.get(PID, lazy=True) == before


def test_a_stale_version_is_reported_on_the_progress_page(qtbot, console, db_url, x64_package, driver_catalog, tasks):
    from console.app import open_console

    wizard = open_wizard(qtbot, console, tasks)
    tick_by_keyboard(qtbot, wizard, [driver_catalog[WNBD]])
    next_until(qtbot, wizard, PageId.SUMMARY)
    other = open_console(db_url, user="bob@console2")
    other.packages.put(PID, {"Description": "changed meanwhile"})
    other.close()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.progress.error is not None, timeout=10000)
    assert wizard.currentId() == PageId.PROGRESS
    assert f"{PID} was changed by bob@console2" in wizard.progress.status.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.button(QWizard.WizardButton.CancelButton).isEnabled()
    assert console.packages.get(PID, lazy=True)["ReferencedDrivers"] == ()


def test_a_refused_plan_is_shown_on_the_summary(qtbot, console, x64_package, driver_catalog, tasks):
    wizard = open_wizard(qtbot, console, tasks)
    nic = driver_catalog[WNBD]
    tick_by_keyboard(qtbot, wizard, [nic])
    console.drivers.disable(nic.ci_id)  # another administrator, meanwhile
    wizard.next()
    qtbot.waitUntil(lambda: wizard.summary.error is not None, timeout=10000)
    assert f"driver {nic.ci_id} ({nic.name}) is disabled; enable it before adding it to a boot image" in summary_text(wizard)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_import_driver_from_the_wizard_reloads_the_list(qtbot, console, x64_package, tasks, tmp_path):
    from console.ui.dialogs.import_driver_dialog import ImportDriverDialog
    from console.ui.dialogs.import_driver_dialog import PageId as ImportPage

    wizard = open_wizard(qtbot, console, tasks)
    chooser = wizard.drivers.chooser
    assert chooser.model.rowCount() == 0
    assert chooser.status.text().startswith("No catalog driver matches. Clear a filter or the search, or import")
    chooser.import_button.click()
    dialog = wizard.findChild(ImportDriverDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.locate.folder.setText(str(build_driver_tree(tmp_path / "drivers")))
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentId() == ImportPage.DETAILS, timeout=15000)
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentId() == ImportPage.DONE, timeout=15000)
    dialog.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: chooser.model.rowCount() > 0 and not chooser.loading, timeout=10000)
    assert {WNBD, "stamped"} <= shown(wizard)
