"""The Drivers node: the catalog list, its actions and the driver Properties dialog."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog
from console.ui.views.drivers_page import ConfirmDriverDelete, DriversPage

NETKVM2K = "virtio-win__kvm-guest-drivers-windows__NetKVM__wxp__netkvm2k"
PID = "PS100001"


@pytest.fixture
def page(qtbot, console, tasks):
    widget = DriversPage(console, tasks)
    qtbot.addWidget(widget)
    widget.resize(1200, 600)
    widget.show()
    return widget


def load(qtbot, page) -> None:
    page.refresh()
    qtbot.waitUntil(lambda: not page.loading and not page.tasks.running, timeout=10000)


def select(page, *drivers) -> None:
    selection = page.view.selectionModel()
    selection.clearSelection()
    for driver in drivers:
        selection.select(page.model.index(page.model.row_of(driver.ci_id), 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def cell(page, driver, header: str) -> str:
    column = [c.header for c in page.model.columns].index(header)
    return page.model.index(page.model.row_of(driver.ci_id), column).data()


def test_lists_the_catalog_sorted_and_searchable(qtbot, page, driver_catalog, qtmodeltester):
    assert page.counts.text() == ""
    load(qtbot, page)
    qtmodeltester.check(page.model)
    names = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert len(names) == len(driver_catalog) and names == sorted(names, key=str.casefold)
    assert page.counts.text() == f"{len(driver_catalog):,} driver(s)"
    nic = driver_catalog[NETKVM2K]
    assert [cell(page, nic, h) for h in ("CI_ID", "Class", "Provider", "Version", "Architectures", "Enabled")] == [
        str(nic.ci_id), "Net", "Red Hat Inc.", "1.0.0.0", "x86 (undecorated INF)", "Yes"]
    page.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # CI_ID: read again, sorted by the database
    qtbot.waitUntil(lambda: not page.loading and page.model.rowCount() == len(driver_catalog), timeout=10000)
    ids = [int(page.model.index(r, 1).data()) for r in range(page.model.rowCount())]
    assert ids == sorted(ids, reverse=True)
    qtbot.keyClicks(page.filter, "netkvm2k")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and not page.loading, timeout=10000)
    assert page.model.index(0, 0).data() == nic.name
    assert page.counts.text() == "1 driver(s) matching the search"


def test_an_empty_catalog_says_how_to_fill_it(qtbot, page):
    load(qtbot, page)
    assert "The driver catalog is empty. Import Driver…" in page.counts.text()
    assert not page.delete_action.isEnabled() and not page.properties_action.isEnabled()
    with qtbot.waitSignal(page.import_requested):
        page.import_action.trigger()


def test_disable_and_enable(qtbot, page, console, driver_catalog):
    load(qtbot, page)
    nic = driver_catalog[NETKVM2K]
    select(page, nic)
    assert page.disable_action.isEnabled() and not page.enable_action.isEnabled()
    page.disable_action.trigger()
    qtbot.waitUntil(lambda: cell(page, nic, "Enabled") == "No" and not page.loading, timeout=10000)
    assert page.banner.text() == f"Disabled 1 driver(s): {nic.ci_id}"
    assert not console.drivers.get(nic.ci_id).is_enabled
    assert page.model.index(page.model.row_of(nic.ci_id), 0).data(Qt.ItemDataRole.ForegroundRole) is not None, "greyed out"
    assert page.selected_ids() == [nic.ci_id], "the selection survives the reload"
    assert "1 disabled, 1 selected" in page.counts.text()
    assert page.enable_action.isEnabled() and not page.disable_action.isEnabled()
    page.enable_action.trigger()
    qtbot.waitUntil(lambda: cell(page, nic, "Enabled") == "Yes", timeout=10000)
    assert console.drivers.get(nic.ci_id).is_enabled


def test_delete_asks_and_a_driver_in_use_is_refused_before_asking(qtbot, monkeypatch, page, console, driver_catalog, x64_package):
    nic, other = driver_catalog[NETKVM2K], driver_catalog["stamped"]
    console.drivers.add_drivers_to_boot_image(PID, [nic.ci_id])
    load(qtbot, page)
    asked = []
    monkeypatch.setattr(ConfirmDriverDelete, "ask", classmethod(lambda cls, parent, drivers: asked.append(drivers) or False))
    select(page, nic, other)
    page.delete_action.trigger()
    qtbot.waitUntil(lambda: bool(asked), timeout=10000)
    assert asked[0] == [(other.ci_id, other.name)], "only the driver no boot image uses is offered for deletion"
    used = (f"Driver {nic.ci_id} (Red Hat VirtIO Ethernet Adapter) is used by boot image(s) {PID} (Boot image (x64)): "
            "remove it from them first; it is not deleted.")
    assert page.banner.isVisible() and page.banner.text() == used
    assert console.drivers.query().total == len(driver_catalog), "answering No deletes nothing"

    monkeypatch.setattr(ConfirmDriverDelete, "ask", classmethod(lambda cls, parent, drivers: True))
    page.delete_action.trigger()
    qtbot.waitUntil(lambda: page.model.row_of(other.ci_id) is None and not page.loading, timeout=10000)
    assert page.banner.isVisible()
    assert page.banner.text() == f"Deleted 1 driver(s): {other.ci_id}. {used}"
    assert page.model.row_of(nic.ci_id) is not None
    assert console.drivers.get(nic.ci_id).ci_id == nic.ci_id

    asked.clear()
    monkeypatch.setattr(ConfirmDriverDelete, "ask", classmethod(lambda cls, parent, drivers: asked.append(drivers) or True))
    select(page, nic)
    page.delete_action.trigger()
    qtbot.waitUntil(lambda: page.banner.text() == used and not page.tasks.running, timeout=10000)
    assert asked == [], "nothing to ask: the only selected driver is in use"


def test_properties_show_inf_folder_and_hardware_ids(qtbot, page, console, tasks, driver_catalog):
    stamped = driver_catalog["stamped"]
    dialog = DriverPropertiesDialog(console, tasks, stamped.ci_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.driver is not None, timeout=10000)
    assert dialog.windowTitle() == f"{stamped.name} Properties"
    files = dialog.files.values
    assert files["INF file"].text() == "cxwmbclass.inf"
    assert files["Folder"].text() == stamped.folder
    assert files["Catalog file"].text() == "cxwmbclass.cat"
    assert dialog.general.values["Signed"].text() == "Yes (catalog file present, signature not verified)"
    assert dialog.general.values["Architectures"].text() == "x64"
    hardware_ids = [dialog.hardware.topLevelItem(i).text(0) for i in range(dialog.hardware.topLevelItemCount())]
    assert set(stamped.hardware_ids) <= set(hardware_ids) and hardware_ids
    assert dialog.tabs.tabText(2) == f"&Hardware IDs ({len(stamped.hardware_ids)})"


def test_properties_of_a_driver_that_is_gone(qtbot, console, tasks):
    dialog = DriverPropertiesDialog(console, tasks, 99)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "cannot be shown" in dialog.message.text(), timeout=10000)
    assert dialog.message.text() == "The driver cannot be shown: no driver with CI_ID 99 in the driver catalog"


def test_properties_action_opens_the_dialog(qtbot, page, driver_catalog):
    load(qtbot, page)
    select(page, driver_catalog[NETKVM2K])
    page.properties_action.trigger()
    dialog = page.findChild(DriverPropertiesDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.driver is not None, timeout=10000)
    assert dialog.files.values["INF file"].text() == f"{NETKVM2K}.inf"
    dialog.close()
    QApplication.processEvents()


def test_closing_properties_before_the_driver_is_read(qtbot, page, driver_catalog):
    load(qtbot, page)
    select(page, driver_catalog[NETKVM2K])
    page.properties_action.trigger()
    dialog = page.findChild(DriverPropertiesDialog)
    dialog.close()  # deleted on close; the read finishes afterwards and is dropped
    qtbot.waitUntil(lambda: not page.tasks.running, timeout=10000)
    qtbot.wait(20)
    assert page.findChild(DriverPropertiesDialog) is None


def test_a_long_catalog_is_read_page_by_page_in_the_databases_order(qtbot, page, console):
    """450 drivers: the first page only (200), the total and the disabled count from the
    database; each header the database can sort by reads the catalog in that order (keyset
    pages after the first one); a header it cannot sort by leaves order and arrow as they were."""
    from console.core.drivers import DriverQuery
    from console.ui.models.driver_catalog_model import SERVER_SORTS
    from tests.list_data import add_drivers

    add_drivers(console.engine, 450)
    disabled = console.drivers.query(DriverQuery(enabled=False)).total
    load(qtbot, page)
    assert page.model.rowCount() == page.model.page_size == 200, "one page, not every driver"
    assert page.counts.text() == f"450 driver(s), {disabled} disabled"
    for header, sort in SERVER_SORTS.items():
        column = page.model.headers.index(header)
        for order in (Qt.SortOrder.DescendingOrder, Qt.SortOrder.AscendingOrder):
            page.view.sortByColumn(column, order)
            qtbot.waitUntil(lambda: not page.loading, timeout=10000)
            for _ in range(3):  # bounded: 450 rows are three pages
                page.model.fetch_next()
                qtbot.waitUntil(lambda: not page.model.loading, timeout=10000)
            expected = [d.ci_id for d in console.drivers.query(
                DriverQuery(sort=sort, descending=order == Qt.SortOrder.DescendingOrder)).items]
            assert [page.model.record(r).ci_id for r in range(page.model.rowCount())] == expected, (header, order)
    before = [page.model.record(r).ci_id for r in range(page.model.rowCount())]
    page.view.sortByColumn(page.model.headers.index("Architectures"), Qt.SortOrder.DescendingOrder)
    assert page.view.header().sortIndicatorSection() == page.model.headers.index("INF file"), "the last order stays"
    assert [page.model.record(r).ci_id for r in range(page.model.rowCount())] == before
    load(qtbot, page)
    assert page.model.rowCount() == 200
    page.view.scrollToBottom()  # the end of what is read: the next page comes
    qtbot.waitUntil(lambda: page.model.rowCount() == 400 and not page.model.loading, timeout=10000)


def test_each_page_is_read_once(qtbot, page, driver_catalog, qtmodeltester):
    """A view that asks for more rows while the model resets does not get the first page twice."""
    for _ in range(3):
        load(qtbot, page)
        ids = [page.model.record(r).ci_id for r in range(page.model.rowCount())]
        assert len(ids) == len(set(ids)) == len(driver_catalog)


def test_set_security_scopes_of_a_driver_from_its_context_menu(qtbot, page, console, driver_catalog):
    from shiboken6 import isValid

    from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog

    console.security.add_scope("Lab")
    stamped = driver_catalog["stamped"]
    load(qtbot, page)
    select(page, stamped)
    assert page.scopes_action in page.view.actions() and page.scopes_action.isEnabled()
    page.scopes_action.trigger()
    dialog = page.findChild(SecurityScopesDialog)
    qtbot.waitUntil(lambda: dialog.scopes.count() == 2 or "Reading" not in dialog.note.text(), timeout=10000)
    assert dialog.chosen() == ["Default"], dialog.note.text()
    dialog.scopes.item(1).setCheckState(Qt.CheckState.Checked)  # Default and Lab
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not page.tasks.running and not (isValid(dialog) and dialog.isVisible()), timeout=10000)  # closed, deleted
    assert console.security.object_scopes(str(stamped.ci_id)) == ["Default", "Lab"]
