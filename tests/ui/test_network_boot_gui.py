"""The Network Boot tab of a DP's Properties and the Network boot settings (issue 12, section 1):
real services, a real SQLite site, a folder DP in tmp, offscreen Qt widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from console.core.distribution import DistributionPoint, TransportKind
from console.core.pxe import WIMBOOT_URL
from console.ui.dialogs.dp_dialog import DistributionPointDialog
from console.ui.models.navigation_model import NavKind
from tests.servers.pxe import wimboot_stand_in
from tests.ui.conftest import wait_idle
from tests.ui.dp_fixtures import jobs_stay_queued  # noqa: F401 (a fixture)
from tests.ui.test_mnemonics import check_tabs

pytestmark = pytest.mark.usefixtures("jobs_stay_queued")


def _open_properties(qtbot, window, name: str) -> DistributionPointDialog:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Distribution Points", 1,
                        Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    page = window.extra_pages[NavKind.DISTRIBUTION_POINTS]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.view.selectRow(0)
    window.console_actions.properties.trigger()
    qtbot.waitUntil(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible(), timeout=10000)
    assert page.dialog.ui.name.text() == name
    return page.dialog


def test_network_boot_tab_shows_the_generated_configuration_and_what_wimboot_lacks(qtbot, console, tmp_path,
                                                                                   make_window, x64_package):
    folder = tmp_path / "dp01"
    folder.mkdir()
    console.distribution_points.add(DistributionPoint("DP01", TransportKind.FOLDER, str(folder), pxe=True))
    console.packages.put(x64_package["PackageID"], {"DeployFromPxeDistributionPoint": True})
    console.content.add_distribution_points(x64_package["PackageID"], ["DP01"])
    console.network_boot.set_subnet("192.168.7.0")
    window = make_window()
    dialog = _open_properties(qtbot, window, "DP01")
    tab = dialog.network_tab
    assert tab is not None and dialog.tabs.tabText(dialog.tabs.count() - 1) == "Network &Boot"
    check_tabs(dialog)
    dialog.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.status is not None, timeout=10000)
    assert "Enabled" in tab.state.text()
    assert x64_package["PackageID"] in tab.menu.text()
    assert WIMBOOT_URL in tab.wimboot.text() and "bootimage settings --wimboot PATH" in tab.wimboot.text()
    assert "no network boot layout on DP01 yet" in tab.layout_state.text()
    lines = tab.dnsmasq.toPlainText().splitlines()
    assert f"tftp-root={folder}/SCCMContentLib/PXE" in lines and "dhcp-range=192.168.7.0,proxy" in lines
    assert tab.dnsmasq.isReadOnly() and tab.nginx.isReadOnly()
    assert f"root {folder}/SCCMContentLib/PXE;" in tab.nginx.toPlainText()
    tab.copy_nginx.click()
    assert QGuiApplication.clipboard().text() == tab.nginx.toPlainText()

    # wimboot set meanwhile: Refresh shows it checked
    console.network_boot.set_wimboot_path(str(wimboot_stand_in(tmp_path / "wimboot")))
    tab.refresh_button.click()
    qtbot.waitUntil(lambda: "EFI PE + Linux bzImage" in tab.wimboot.text(), timeout=10000)
    tab.grab().save(str(tmp_path / "network-boot-tab.png"))
    dialog.reject()
    wait_idle(qtbot, window)


def test_add_dialog_has_no_network_boot_tab(qtbot, tasks) -> None:
    dialog = DistributionPointDialog(tasks, "PS1", lambda dp, pw: dp, lambda dp, pw: None,  # type: ignore[arg-type,return-value]
                                     network_boot=lambda: None)  # type: ignore[arg-type,return-value]
    qtbot.addWidget(dialog)
    assert dialog.network_tab is None and dialog.tabs.count() == 3


def test_settings_dialog_network_boot_fields_refuse_a_page_saved_as_wimboot(qtbot, console, tmp_path: Path,
                                                                           tasks) -> None:
    from console.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(console, tasks)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No Windows ADK configured" in dialog.status.text(), timeout=5000)
    boot = dialog.network_boot
    assert boot.timeout.value() == 10 and boot.http_port.value() == 80
    page = tmp_path / "wimboot"
    page.write_bytes(b"<html>Not Found</html>" + b" " * 20000)
    boot.wimboot.setText(str(page))
    boot.timeout.setValue(25)
    dialog.save()
    qtbot.waitUntil(lambda: "neither an EFI executable nor a Linux bzImage" in boot.status.text(), timeout=5000)
    assert console.network_boot.settings().timeout == 10  # nothing was written
    boot.wimboot.setText(str(wimboot_stand_in(tmp_path / "wimboot.efi")))
    boot.subnet.setText("10.0.0.0/8")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    saved = console.network_boot.settings()
    assert saved.timeout == 25 and saved.subnet == "10.0.0.0" and saved.wimboot_path == str(tmp_path / "wimboot.efi")
