"""Screenshots of distribution points (issue 10): Administration › Distribution Points, the
Add/Edit Distribution Point dialog (its three tabs, a Test connection result, inline
problems), Remove, the group dialog, every page of the Distribute Content wizard, Properties ›
Content Locations, Monitoring › Content Status (by package and by DP) and the details pane's
content line, a PXE-enabled DP's Network Boot tab — with real states set through the service: installed, retrying with its cause,
failed with its cause.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_distribution docs/screenshots
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt

from console.app import Console, ensure_default_site, open_console
from console.core.distribution import DistributionPoint, DpState, TransportKind
from console.core.image_facts import ImageFacts
from console.ui.application import create_application
from console.ui.main_window import MainWindow
from console.ui.models.navigation_model import NavKind
from console.ui.settings import UiSettings
from tests.screenshot_support import save, save_composite, wait

FACTS = ImageFacts("x64", "10.0.26100.1", "en-US", '<WIM><IMAGE INDEX="1"/></WIM>', 1_048_576,
                   "Microsoft Windows PE (amd64)")
DPS = (("DP01.contoso.com", "Headquarters, PXE"), ("DP02.contoso.com", "Berlin branch"),
       ("DP03.contoso.com", "Munich branch"), ("DP04.contoso.com", "Paris branch"),
       ("DP05.contoso.com", "Lab"))


def site(console: Console, root: Path) -> list[str]:
    # A registered worker that takes none of these jobs: no detached worker starts, so the states
    # set below (installed, retrying, failed) stay as they are for the pictures.
    console.jobs.register_worker("screenshots-parked-worker", "localhost", os.getpid(), ["parked"])
    for name, description in DPS:
        (root / name).mkdir(parents=True)
        console.distribution_points.add(DistributionPoint(name, TransportKind.FOLDER, str(root / name),
                                                          description=description, pxe=name.startswith("DP01")))
    console.distribution_points.test("DP01.contoso.com")  # free space and last contact
    console.dp_groups.add("Branches", "Branch offices", ["DP02.contoso.com", "DP03.contoso.com", "DP04.contoso.com"])
    pids = [str(console.packages.create(name=name, image_path=f"/images/{i}.wim", image_index=1, image=FACTS)
                .value["PackageID"]) for i, name in enumerate(("WinPE 11 x64 - Production", "WinPE 11 x64 - Lab"))]
    first = pids[0]
    console.content.distribute(first, dp_names=["DP01.contoso.com"], group_names=["Branches"])
    content = console.content
    now = datetime.now(UTC)
    content.set_state(first, "DP01.contoso.com", DpState.INSTALLED, source_version=3, target_version=3,
                      last_copied=now - timedelta(hours=2))
    content.set_state(first, "DP02.contoso.com", DpState.INSTALLED, source_version=3, target_version=3,
                      last_copied=now - timedelta(hours=1))
    content.set_state(first, "DP03.contoso.com", DpState.INSTALL_RETRYING, source_version=2, target_version=3,
                      bytes_done=180 << 20, bytes_total=412 << 20, error_cause="unreachable",
                      last_error="DP03.contoso.com:445: [Errno 111] Connection refused",
                      next_retry=now + timedelta(minutes=4))
    content.set_state(first, "DP04.contoso.com", DpState.INSTALL_FAILED, target_version=3, error_cause="disk_full",
                      last_error="No space left on device: 12 MB free, 412 MB needed")
    return pids


def _navigate(window: MainWindow, label: str) -> None:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait(lambda: not window.tasks.running)


def dp_shots(window: MainWindow, out: Path, root: Path) -> None:
    from console.ui.dialogs.dp_dialog import DistributionPointDialog
    from console.ui.dialogs.dp_group_dialog import DpGroupDialog

    _navigate(window, "Distribution Points")
    page = window.extra_pages[NavKind.DISTRIBUTION_POINTS]
    wait(lambda: page.model.rowCount() == len(DPS))
    page.view.selectRow(0)
    save(window, out, "distribution-points-page.png")

    page.add_action.trigger()
    wait(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible())
    dialog = page.dialog
    ui = dialog.ui
    ui.name.setText("DP06.contoso.com")
    ui.description.setText("Hamburg branch")
    ui.pxe.setChecked(True)
    save(dialog, out, "dp-dialog-general.png")
    ui.tabs.setCurrentIndex(1)
    ui.transport.setCurrentIndex(ui.transport.findData("smb"))
    ui.address.setText("DP06.contoso.com\\SCCMContent")
    dialog.accept_input()
    save(dialog, out, "dp-dialog-problem.png")
    ui.transport.setCurrentIndex(ui.transport.findData("folder"))
    (root / "DP06").mkdir()
    ui.address.setText(str(root / "DP06"))
    dialog.test_connection()
    wait(lambda: ui.test_result.text() != "")
    save(dialog, out, "dp-dialog-connection.png")
    ui.tabs.setCurrentIndex(2)
    ui.rate_limited.setChecked(True)
    ui.rate.setValue(4096)
    ui.schedule.set_schedule("c" * 7 + "o" * 12 + "c" * 5)
    save(dialog, out, "dp-dialog-schedule.png")
    dialog.reject()

    page.view.selectRow(page.proxy.mapFromSource(page.model.index(3, 0)).row())
    page.ask_remove()
    wait(lambda: page.confirmation is not None and page.confirmation.isVisible())
    save_composite(window, [page.confirmation], out, "dp-remove-confirmation.png")
    page.confirmation.reject()

    page.groups_view.selectRow(0)
    page.edit_group_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, DpGroupDialog)
    dialog.chooser.search.setText("DP0")
    save(dialog, out, "dp-group-dialog.png")
    dialog.reject()


def network_boot_shots(window: MainWindow, out: Path, console: Console, pid: str) -> None:
    """Properties › Network Boot of the PXE-enabled DP01 (issue 12): its menu item, wimboot not set
    yet (the message says what to fetch), the generated dnsmasq snippet and nginx block."""
    from console.ui.dialogs.dp_dialog import DistributionPointDialog

    console.packages.put(pid, {"DeployFromPxeDistributionPoint": True, "Version": "11.0.26100"})
    console.network_boot.set_subnet("192.168.10.0")
    _navigate(window, "Distribution Points")
    page = window.extra_pages[NavKind.DISTRIBUTION_POINTS]
    row = next(r for r in range(page.proxy.rowCount()) if page.proxy.index(r, 0).data().startswith("DP01"))
    page.view.selectRow(row)
    window.console_actions.properties.trigger()
    wait(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible())
    dialog = page.dialog
    assert isinstance(dialog, DistributionPointDialog) and dialog.network_tab is not None
    tab = dialog.network_tab
    dialog.tabs.setCurrentWidget(tab)
    dialog.resize(760, 720)
    wait(lambda: tab.status is not None and not window.tasks.running)
    save(dialog, out, "dp-dialog-network-boot.png")
    dialog.reject()


def wizard_shots(window: MainWindow, out: Path, pids: list[str]) -> None:
    from console.ui.wizards.distribute_content_wizard import DP, GROUP

    window.wizards.distribute_content(pids)
    wait(lambda: getattr(window.wizards, "distribute_wizard", None) is not None)
    wizard = window.wizards.distribute_wizard
    wait(wizard.isVisible)
    save(wizard, out, "wizard-distribute-general.png")
    wizard.next()
    chooser = wizard.destination.open_chooser(DP)
    chooser.set_checked("DP05.contoso.com")
    save_composite(wizard, [chooser], out, "wizard-distribute-add-dp.png")
    chooser.accept()
    wizard.destination.add(GROUP, ["Branches"])
    save(wizard, out, "wizard-distribute-destination.png")
    wizard.next()
    save(wizard, out, "wizard-distribute-summary.png")
    wizard.next()
    wait(lambda: wizard.currentPage() is wizard.completion)
    save(wizard, out, "wizard-distribute-completion.png")
    wizard.accept()


def status_shots(window: MainWindow, out: Path, console: Console, first: str) -> None:
    from console.ui.propertysheet.properties_dialog import PropertiesDialog

    _navigate(window, "Content Status")
    page = window.extra_pages[NavKind.CONTENT_STATUS]
    wait(lambda: page.summaries.rowCount() == 1 and page.summaries.complete)
    page.select(first)
    wait(lambda: page.rows.rowCount() >= 4 and page.rows.complete)
    for row in range(page.rows.rowCount()):
        if page.rows.index(row, 0).data() == "DP03.contoso.com":
            page.rows_view.setCurrentIndex(page.rows.index(row, 0))
    save(window, out, "content-status-packages.png")
    page.by.setCurrentIndex(page.by.findData("dp"))
    wait(lambda: page.summaries.complete and page.summaries.rowCount() == len(DPS))
    page.select("DP04.contoso.com")
    wait(lambda: page.rows.complete and page.rows.rowCount() >= 1)
    save(window, out, "content-status-dps.png")

    dialog = PropertiesDialog(console, first, window.tasks, window)
    dialog.resize(760, 640)
    dialog.show()
    wait(lambda: dialog.sheet is not None and dialog.content_panel is not None and not window.tasks.running)
    assert dialog.sheet is not None and dialog.content_panel is not None
    dialog.sheet.select_tab("content-locations")
    wait(lambda: dialog.content_panel.model.rowCount() >= 4)
    dialog.content_panel.select_dps("DP04.contoso.com")
    save(dialog, out, "properties-content-locations.png")
    dialog.close()

    _navigate(window, "Boot Images")
    view = window.packages_page.view
    wait(lambda: window.package_model.loaded == 2)
    for row in range(window.packages_page.proxy.rowCount()):
        if window.packages_page.proxy.index(row, 1).data() == first or row == 0:
            view.selectRow(row)
    wait(lambda: window.packages_page.details.content_status.text() != "")
    save(window, out, "details-content-status.png")


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        console = open_console(f"sqlite:///{root / 'site.db'}", user=r"CONTOSO\cmadmin@CM01")
        ensure_default_site(console)
        pids = site(console, root / "dps")
        window = MainWindow(console, console.sites.local(),
                            UiSettings(QSettings(str(root / "ui.ini"), QSettings.Format.IniFormat)))
        window.resize(1440, 880)
        window.show()
        wait(lambda: not window.tasks.running)
        dp_shots(window, out, root)
        status_shots(window, out, console, pids[0])
        wizard_shots(window, out, pids)
        network_boot_shots(window, out, console, pids[0])
        window.close()
        window.tasks.wait(10000)
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
