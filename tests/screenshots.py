"""Screenshots of the console for the README: `make screenshots` (offscreen Qt).

Builds a temporary site with a few dozen realistic boot images imported from real WIM
files (built with wimlib), then saves the main window (also at 1024x700), the first-run
state, Status Messages and one message in full, the overview pages, the folder dialogs, the
database-trouble message and every page of the Add Boot Image, Optional Components and
Scratch Space wizards. The property
sheet and driver screenshots come from their own scripts, run at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt

from console.app import ensure_default_site, open_console
from console.ui.application import create_application
from console.ui.main_window import MainWindow
from console.ui.settings import UiSettings
from console.ui.views.status_messages_page import StatusMessageDialog, StatusMessagesPage
from console.wim.samples import create_sample_boot_images
from tests.screenshot_support import save, save_modal, wait

NAMES = [
    ("Boot image (x64)", "10.0.26100", "Default x64 boot image"), ("Boot image (x86)", "10.0.19041", "Default x86 boot image"),
    ("WinPE 11 x64 - Production", "2024.11", "PXE, production network drivers"), ("WinPE 11 x64 - Pilot", "2024.12", "Pilot ring"),
    ("WinPE 10 x86 - Legacy BIOS", "2022.03", "Old kiosks"), ("WinPE 11 x64 - PowerShell", "2024.11", "WinPE-PowerShell, DISM cmdlets"),
    ("Field engineers (x64)", "3.2", "USB media for field engineers"), ("Branch office PXE (x64)", "1.8", "Branch DPs"),
    ("Lab - WinPE 11 debug", "0.9", "F8 command support enabled"), ("Recovery tools (x64)", "2.0", "DaRT-like recovery"),
    ("HP EliteBook G9 drivers", "2024.10", "Intel I219 + RST"), ("Dell Latitude 7440", "2024.09", "Intel AX211 Wi-Fi"),
    ("Lenovo ThinkPad T14", "2024.08", ""), ("Surface Pro 9", "2024.07", "Surface Ethernet adapter"),
    ("VMware lab (x64)", "1.0", "VMXNET3, PVSCSI"), ("Hyper-V lab (x64)", "1.0", ""), ("VirtIO lab (x64)", "1.1", "NetKVM, viostor"),
    ("Imaging - capture", "4.0", "Capture media"), ("Imaging - deploy", "4.1", ""), ("Kiosk reimage", "1.3", "Kiosk fleet"),
    ("Japanese WinPE (x64)", "1.0", "ja-JP fonts"), ("German WinPE (x64)", "1.0", "de-DE keyboard"),
    ("Secure boot test", "0.2", "Test only"), ("Old WinPE 5 (x86)", "6.3", "Do not use"), ("Windows 11 24H2 upgrade", "24H2", ""),
    ("Server 2022 bare metal", "2022", "RAID controllers"), ("Server 2025 bare metal", "2025", ""), ("Autopilot reset", "1.0", ""),
    ("Regional - EMEA", "2024.11", ""), ("Regional - APAC", "2024.11", ""),
]


def populate(console, folder: Path) -> list[Path]:
    wims = create_sample_boot_images(folder)
    production = console.folders.create("Production").value
    lab = console.folders.create("Lab").value
    for i, (name, version, comment) in enumerate(NAMES):
        wim = wims[0] if "x86" not in name else wims[1]
        pkg = console.packages.create_from_wim(str(wim), 1, name, version, comment).value
        if i in (2, 3, 5, 10, 11, 12):
            console.packages.move_to_folder([pkg["PackageID"]], production.id)
        elif name.startswith(("Lab", "VMware", "Hyper-V", "VirtIO", "Secure")):
            console.packages.move_to_folder([pkg["PackageID"]], lab.id)
        if i % 3 == 0:
            console.packages.put(pkg["PackageID"], {"ScratchSpace": [128, 256, 512][(i % 3 and 1) or 0]})
        if "PowerShell" in name:
            console.packages.update_optional_components(pkg["PackageID"], ["WinPE-PowerShell", "WinPE-DismCmdlets"])
    german = console.packages.name_in_use("German WinPE (x64)")  # a change of several values, for the status message
    console.packages.put(german, {"InputLocale": "de-DE", "ScratchSpace": 256, "Description": "de-DE keyboard and fonts"})
    return wims


def main_window_shots(console, out: Path, settings_file: Path) -> None:
    window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
    window.resize(1440, 880)
    window.show()
    wait(lambda: not window.tasks.running and window.package_model.total > 0)
    view = window.packages_page.view
    view.selectRow(0)
    wait(lambda: window.packages_page.details.currentWidget() is window.packages_page.details.tabs)
    wait(lambda: not window.tasks.running)
    save(window, out, "main-window.png")
    view.set_expanded(0, True)
    wait(lambda: window.packages_page.proxy.rowCount() > window.package_model.total)
    view.set_expanded(1, True)
    window.packages_page.details.tabs.setCurrentIndex(1)
    wait(lambda: not window.tasks.running)
    save(window, out, "main-window-expanded.png")
    model = window.navigation_model
    status = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Status Messages", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(status)
    wait(lambda: not window.tasks.running)
    save(window, out, "main-window-status-messages.png")
    page = window.pages.currentWidget()
    assert isinstance(page, StatusMessagesPage)
    wait(lambda: page.model.rowCount() > 0)
    changed = max((m for m in page._all if m.text.startswith("Properties changed")),
                  key=lambda m: m.text.count(","))  # the change of several values
    detail = StatusMessageDialog(changed, window, console.audit.message_changes(changed))  # values from the audit
    detail.show()
    save(detail, out, "status-message-details.png")
    detail.close()
    audit = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Audit", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(audit)  # Monitoring › Audit, the same change selected
    audit_page = window.pages.currentWidget()
    wait(lambda: not window.tasks.running and audit_page.model.rowCount() > 0)
    row = next(r for r in range(audit_page.model.rowCount())
               if audit_page.model.record(r).object_id == changed.package_id and audit_page.model.record(r).action == "changed")
    audit_page.view.setCurrentIndex(audit_page.model.index(row, 0))
    save(window, out, "main-window-audit.png")
    for group, name in (("Software Library", "main-window-overview.png"), ("Monitoring", "main-window-overview-monitoring.png")):
        node = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, group, 1, Qt.MatchFlag.MatchRecursive)[0]
        window.navigation.setCurrentIndex(node)  # a group node: the overview of its nodes
        wait(lambda: not window.tasks.running)
        save(window, out, name)
    folder_shots(window, out)
    window.resize(1024, 700)  # the smallest supported size: every toolbar action visible
    window.navigation.setCurrentIndex(window.navigation_model.boot_images.index())
    wait(lambda: not window.tasks.running)
    save(window, out, "main-window-1024x700.png")
    window.close()


def folder_shots(window: MainWindow, out: Path) -> None:
    """The folder dialogs (rename, move, delete) and the database-trouble message, each
    opened by the real code path and cancelled."""
    from console.ui.application import run_gui

    model = window.navigation_model
    production = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Production", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(production)
    wait(lambda: not window.tasks.running)
    actions = window.folder_actions
    save_modal(out, "folder-rename.png", actions.rename_current)
    save_modal(out, "folder-move.png", actions.move_current)
    save_modal(out, "folder-delete.png", actions.delete_current)
    wait(lambda: not window.tasks.running)
    with tempfile.TemporaryDirectory() as tmp:
        broken = Path(tmp) / "site.db"
        broken.write_bytes(b"this is not a database" * 100)
        save_modal(out, "database-trouble.png", lambda: run_gui(SimpleNamespace(db=f"sqlite:///{broken}")))


def progress_shot(wizard, progress_page, out: Path, name: str) -> None:
    """Photograph a Progress page: hold its (real) service call until the picture is taken."""
    gate = threading.Event()
    real = progress_page._work

    def held(ctx):
        gate.wait(20)
        return real(ctx)

    progress_page._work = held
    wizard.next()
    save(wizard, out, name)
    gate.set()
    progress_page._work = real


def wizard_shots(console, out: Path, wims: list[Path]) -> None:
    from console.ui.tasks import TaskRunner
    from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard
    from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard
    from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

    tasks = TaskRunner()
    wizard = AddBootImageWizard(console, tasks, path=str(wims[2]))
    wizard.show()
    wait(lambda: wizard.data_source.info is not None)
    save(wizard, out, "wizard-add-boot-image-data-source.png")
    wizard.next()
    wizard.general.name.setText("WinPE 11 x64 - Setup media")
    wizard.general.version.setText("2024.11")
    wizard.general.comment.setPlainText("Windows Setup image from the install media")
    wizard.general.check_name()
    wait(lambda: not tasks.running)
    save(wizard, out, "wizard-add-boot-image-general.png")
    wizard.next()
    save(wizard, out, "wizard-add-boot-image-summary.png")
    progress_shot(wizard, wizard.progress, out, "wizard-add-boot-image-progress.png")
    wait(lambda: wizard.created_package_id() is not None)
    save(wizard, out, "wizard-add-boot-image-completion.png")
    wizard.close()
    damaged = wims[0].with_name("damaged.wim")
    damaged.write_bytes(wims[0].read_bytes()[:150])
    bad = AddBootImageWizard(console, tasks, path=str(damaged))
    bad.show()
    wait(lambda: not bad.data_source.reading)
    save(bad, out, "wizard-add-boot-image-damaged.png")
    bad.close()

    package = console.packages.get(console.packages.name_in_use("WinPE 11 x64 - Production"), lazy=True)
    oc = OptionalComponentsWizard(console, package, tasks)
    oc.show()
    oc.components.list._items[41].setCheckState(0, Qt.CheckState.Checked)  # WinPE-PowerShell
    save(oc, out, "wizard-optional-components-components.png")
    oc.next()
    save(oc, out, "wizard-optional-components-summary.png")
    progress_shot(oc, oc.progress, out, "wizard-optional-components-progress.png")
    wait(lambda: oc.progress.result is not None)
    save(oc, out, "wizard-optional-components-completion.png")
    oc.close()

    package = console.packages.get(package["PackageID"], lazy=True)
    scratch = ScratchSpaceWizard(console, package, tasks)
    scratch.show()
    scratch.choose.group.button(256).click()
    save(scratch, out, "wizard-scratch-space-choose.png")
    scratch.next()
    save(scratch, out, "wizard-scratch-space-summary.png")
    progress_shot(scratch, scratch.progress, out, "wizard-scratch-space-progress.png")
    wait(lambda: scratch.progress.result is not None)
    save(scratch, out, "wizard-scratch-space-completion.png")
    scratch.close()
    tasks.wait()


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        empty = open_console(f"sqlite:///{root / 'empty.db'}")
        ensure_default_site(empty)
        window = MainWindow(empty, empty.sites.local(), UiSettings(QSettings(str(root / "e.ini"), QSettings.Format.IniFormat)))
        window.resize(1440, 880)
        window.show()
        wait(lambda: not window.tasks.running)
        save(window, out, "main-window-first-run.png")
        window.close()
        empty.close()
        console = open_console(f"sqlite:///{root / 'site.db'}", user="alice@cm01")
        ensure_default_site(console)
        wims = populate(console, root / "wims")
        main_window_shots(console, out, root / "ui.ini")
        wizard_shots(console, out, wims)
        console.close()
    if "--only-main" in argv:
        return 0
    for script in ("tests.screenshots_propertysheet", "tests.screenshots_drivers", "tests.screenshots_build",
                   "tests.screenshots_jobs", "tests.screenshots_revisions", "tests.screenshots_distribution",
                   "tests.screenshots_media", "tests.screenshots_security"):  # each in its own process
        subprocess.run([sys.executable, "-m", script, str(out)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
