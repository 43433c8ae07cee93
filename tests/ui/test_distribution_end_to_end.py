"""The distribution GUI end to end (issue 10, "GUI: the wizard end to end, the Content
Locations tab actions"): Distribute Content sends a built boot image to two folder DPs, a real
``bootimage worker`` installs it, and Content Status, the details pane and Content Locations
show it; a byte flipped on one DP is named by Validate (a cause the administrator reads in
the tab), Redistribute repairs it, Remove deletes the package from a DP."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from console.core.content import boot_image_name
from console.core.distribution import DpState
from console.ui.models.navigation_model import NavKind
from console.ui.propertysheet.properties_dialog import PropertiesDialog
from tests.distribution_fixtures import capture_wim, dist, payload_tree  # noqa: F401 (dist is a fixture)
from tests.ui.conftest import wait_idle
from tests.ui.dp_fixtures import wait_rows


def _select_first(window) -> None:
    window.packages_page.view.selectionModel().setCurrentIndex(
        window.packages_page.proxy.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def test_distribute_install_validate_redistribute_remove_through_the_gui(qtbot, dist, tmp_path, make_window,  # noqa: F811
                                                                        x64_facts, tasks):
    console = dist.console
    pid = str(console.packages.create(name="WinPE x64", image_path="/images/boot.wim", image_index=1,
                                      image=x64_facts).value["PackageID"])
    wim = capture_wim(payload_tree(tmp_path / "tree", files=8, kib=64), tmp_path / "v1.wim")
    dist.store_wim(pid, 1, wim)
    dist.add_dp("DP01")
    dist.add_dp("DP02")

    window = make_window()
    qtbot.waitUntil(lambda: window.package_model.loaded == 1, timeout=10000)
    _select_first(window)
    window.console_actions.distribute_content.trigger()
    qtbot.waitUntil(lambda: getattr(window.wizards, "distribute_wizard", None) is not None, timeout=15000)
    wizard = window.wizards.distribute_wizard
    wizard.next()
    chooser = wizard.destination.open_chooser("Distribution point")
    chooser.select_all.click()
    chooser.accept()
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.completion, timeout=20000)
    assert "2 job(s) queued" in wizard.completion.text.text()
    wizard.accept()

    dist.run_until_idle()
    assert {dist.row(pid, n).state for n in ("DP01", "DP02")} == {DpState.INSTALLED}
    _select_first(window)
    details = window.packages_page.details
    qtbot.waitUntil(lambda: details.content_status.text() == "Installed on 2 of 2 distribution points", timeout=10000)

    model = window.navigation_model
    window.navigation.setCurrentIndex(model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Content Status", 1,
                                                  Qt.MatchFlag.MatchRecursive)[0])
    page = window.extra_pages[NavKind.CONTENT_STATUS]
    qtbot.waitUntil(lambda: page.summaries.rowCount() == 1, timeout=10000)
    assert page.summaries.index(0, 6).data() == "100% installed"
    page.select(pid)
    qtbot.waitUntil(lambda: page.rows.rowCount() == 2, timeout=10000)
    assert {page.rows.index(r, 1).data() for r in range(2)} == {"Installed"}

    # Content Locations: a flipped byte on DP02 is found by Validate, Redistribute repairs it
    image = dist.dp_root("DP02") / "Packages" / pid / boot_image_name(pid)
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0xFF
    image.write_bytes(bytes(data))
    dialog = PropertiesDialog(console, pid, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sheet is not None and dialog.content_panel is not None, timeout=15000)
    dialog.sheet.select_tab("content-locations")
    panel = dialog.content_panel
    wait_rows(qtbot, panel, 2)
    panel.select_dps("DP02")
    panel.validate_button.click()
    qtbot.waitUntil(lambda: "Validation queued for DP02" in panel.banner.text(), timeout=10000)
    dist.run_until_idle()
    panel.refresh()
    wait_rows(qtbot, panel, 2)
    panel.select_dps("DP02")
    assert panel.details.isVisible()
    assert "Install failed" in panel.details.text() and "damaged" in panel.details.text()
    qtbot.waitUntil(lambda: panel.summary.text() == "Installed on 1 of 2 distribution points, 1 failed", timeout=10000)

    panel.redistribute_button.click()
    qtbot.waitUntil(lambda: "Redistribution queued for DP02" in panel.banner.text(), timeout=10000)
    dist.run_until_idle()
    assert image.read_bytes() == wim.read_bytes()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.summary.text() == "Installed on 2 of 2 distribution points", timeout=10000)

    # Remove deletes the package from DP01; its row goes once the job is done
    wait_rows(qtbot, panel, 2)
    panel.select_dps("DP01")
    panel.ask_remove()
    next(b for b in panel.confirmation.buttons() if b.text() == "&Remove").click()
    qtbot.waitUntil(lambda: "Removal queued for DP01" in panel.banner.text(), timeout=10000)
    dist.run_until_idle()
    assert not (dist.dp_root("DP01") / "Packages" / pid).exists()
    panel.refresh()
    wait_rows(qtbot, panel, 1)
    assert panel.model.entry(0).dp_name == "DP02"
    dialog.reject()
    wait_idle(qtbot, window)
