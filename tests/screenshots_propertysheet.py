"""Screenshots of the boot image Properties dialog, one per tab, plus the schedule editor.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_propertysheet docs/screenshots

Builds a realistic package in a throw-away site database (drivers, optional components,
a refresh schedule, prestart command, custom share...), opens the real dialog and saves
``properties-<tab>.png`` for every tab, ``properties-schedule-editor.png`` and
``properties-schedule-<choice>.png``, ``properties-customization-keyboard.png`` (the keyboard
layout completer), ``properties-image-chooser.png``, ``properties-images-missing-source.png``
``properties-validation.png`` (a value the service refused, shown next to its field) and
``properties-locked.png`` (another administrator has the package open: read-only, SEDO lock).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from console.app import Console, ensure_default_site, open_console
from console.core.instance import Instance
from console.core.schedules import Occurs, from_token
from console.wim.capture import ImageSpec, capture
from tests.screenshot_support import save, save_composite, save_modal_with, wait

SIZE = (640, 640)
SHARED_DRIVERS = (
    "virtio-win__kvm-guest-drivers-windows__NetKVM__w10__netkvm.inf",
    "snykiotcubedev__reactos-0.4.13-release__media__inf__netrtl.inf",
    "cloudbase__wnbd__driver__wnbd.inf",
    "snykiotcubedev__reactos-0.4.13-release__media__inf__scsi.inf",
)
LOCAL_DRIVERS = (
    "microsoft__Windows-driver-samples__network__netadaptercx__netvadapter__km__netvadapter.inf",
    "microsoft__Windows-driver-samples__storage__class__disk__src__diskdev.inf",
)

def import_drivers(console: Console, share: Path) -> list[int]:
    """Network and storage drivers from real INF files (the shared test data when present)."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "testdata" / "inf"
    local = Path(__file__).resolve().parent / "data" / "inf"
    names = SHARED_DRIVERS if (shared / "SOURCES.tsv").exists() else LOCAL_DRIVERS
    source = shared if names is SHARED_DRIVERS else local
    ids = []
    for name in names:
        inf = name.split("__")[-1]
        target = share / inf.removesuffix(".inf")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, target / inf)
        ids.append(console.drivers.create_from_inf(str(target), inf).value.ci_id)
    return ids


def realistic_package(console: Console, folder: Path) -> str:
    registry = console.registry
    wim = capture(folder / "CM01" / "Sources$" / "OSD" / "Boot" / "WinPE11-x64" / "boot.wim", [
        ImageSpec("Microsoft Windows PE (amd64)", "Microsoft Windows PE (amd64)", "x64", (10, 0, 26100, 1),
                  display_name="Windows PE 11 (x64)", payload_kib=512),
        ImageSpec("Microsoft Windows Setup (amd64)", "Microsoft Windows Setup (amd64)", "x64", (10, 0, 26100, 1),
                  flags="2", payload_kib=384, seed="setup"),
    ], boot_index=2)
    package = console.packages.create_from_wim(
        str(wim), 1, "WinPE 11 x64 - Production", version="2024.11",
        description="Windows 11 24H2 deployments. NIC and storage drivers for Latitude 7450 "
                    "and EliteBook 840 G11.",
    ).value
    package_id = package["PackageID"]
    console.packages.update_optional_components(package_id, ["WinPE-PowerShell", "WinPE-DismCmdlets", "WinPE-HTA"])
    weekly = registry["SMS_ST_RecurWeekly"].defaults()
    weekly.update(Day=7, ForNumberOfWeeks=1, StartTime=datetime(2024, 11, 30, 22, 0, tzinfo=UTC))
    monthly = registry["SMS_ST_RecurMonthlyByWeekday"].defaults()
    monthly.update(Day=1, WeekOrder=2, ForNumberOfMonths=1, StartTime=datetime(2024, 12, 8, 3, 0, tzinfo=UTC))
    driver_ids = import_drivers(console, folder / "CM01" / "Sources$" / "Drivers")
    console.packages.put(package_id, {
        "PreExecCommandLine": r"cmd /c X:\Prestart\Set-DeploymentShare.cmd",
        "PreExecSourceDirectory": "/mnt/cm01/Sources$/OSD/Prestart",
        "BackgroundBitmapPath": "/mnt/cm01/Sources$/OSD/Branding/contoso-winpe.bmp",
        "InputLocale": "de-DE",
        "EnableLabShell": True,
        "DeployFromPxeDistributionPoint": True,
        "PkgFlags": 0x02000000 | 0x04000000 | 0x00000080 | 0x40000000,
        "ShareType": 2,
        "ShareName": r"OSD\WinPE11x64",
        "Priority": 1,
        "RefreshSchedule": [Instance("SMS_ST_RecurWeekly", weekly), Instance("SMS_ST_RecurMonthlyByWeekday", monthly)],
    })
    console.drivers.add_drivers_to_boot_image(package_id, driver_ids)
    return package_id


def missing_source_shot(console: Console, out: Path, tasks: Any, folder: Path) -> None:
    """Properties › Images of a package whose source WIM was deleted: the warning banner."""
    from console.ui.propertysheet.properties_dialog import PropertiesDialog

    wim = capture(folder / "CM01" / "Sources$" / "OSD" / "Boot" / "Retired" / "boot.wim", [
        ImageSpec("Microsoft Windows PE (x86)", "Microsoft Windows PE (x86)", "x86", (10, 0, 19041, 1),
                  payload_kib=256, seed="retired"),
    ])
    package_id = console.packages.create_from_wim(str(wim), 1, "WinPE 10 x86 - Retired", version="2022.03").value["PackageID"]
    wim.unlink()
    dialog = PropertiesDialog(console, package_id, tasks)
    dialog.resize(*SIZE)
    dialog.show()
    wait(lambda: dialog.sheet is not None and not dialog._busy)
    assert dialog.sheet is not None
    dialog.sheet.select_tab("images")
    save(dialog, out, "properties-images-missing-source.png")
    dialog.close()


def locked_shot(console: Console, out: Path, tasks: Any, package_id: str) -> None:
    """Properties of a package another administrator has open (SEDO lock): the read-only sheet."""
    from console.core.object_locks import ConsoleId
    from console.ui.propertysheet.properties_dialog import PropertiesDialog

    alice = open_console(console.url, user="alice@ws1")
    alice.context.console = ConsoleId("ws1", 4711)
    assert alice.locks.acquire(package_id).held
    dialog = PropertiesDialog(console, package_id, tasks)
    dialog.resize(*SIZE)
    dialog.show()
    wait(lambda: dialog.sheet is not None and not dialog._busy and dialog.lock.bar.isVisible() and not tasks.running)
    assert dialog.sheet is not None
    dialog.sheet.select_tab("general")
    save(dialog, out, "properties-locked.png")
    dialog.close()
    alice.close()


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from console.ui.application import create_application
    from console.ui.propertysheet.properties_dialog import PropertiesDialog
    from console.ui.propertysheet.schedule_dialog import ScheduleDialog
    from console.ui.tasks import TaskRunner

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as tmp:
        console = open_console(f"sqlite:///{Path(tmp) / 'site.db'}", user=r"CONTOSO\cmadmin@CM01")
        ensure_default_site(console)
        package_id = realistic_package(console, Path(tmp))
        tasks = TaskRunner()
        dialog = PropertiesDialog(console, package_id, tasks)
        dialog.resize(*SIZE)
        dialog.show()
        wait(lambda: dialog.sheet is not None and not dialog._busy)
        sheet = dialog.sheet
        assert sheet is not None
        for key in sheet.tab_keys:
            sheet.select_tab(key)
            if key == "data-source":
                sheet.editor("RefreshSchedule").table.selectRow(0)
            save(dialog, out, f"properties-{key}.png")
            if key == "customization":  # the keyboard-layout completer, after typing "de"
                locale = sheet.editor("InputLocale")
                locale.setFocus()
                locale.setText("")
                locale.insert("de")
                locale.completer().complete()
                popup = locale.completer().popup()
                wait(popup.isVisible)
                save_composite(dialog, [popup], out, "properties-customization-keyboard.png")
                popup.hide()
                locale.setText("de-DE")
                locale.emit_changed()  # back to the saved value: the validation shot below shows only ShareName
            if key == "data-source":  # Choose… beside Image index, the chooser open over the tab
                def chooser_open() -> None:
                    chooser = QApplication.activeModalWidget()
                    assert chooser is not None
                    save_composite(dialog, [chooser], out, "properties-image-chooser.png")
                    chooser.close()

                save_modal_with(chooser_open, lambda: dialog._choose_image(sheet.editor("ImageIndex")))

        token = sheet.values.get("RefreshSchedule")[0]
        schedule = from_token(token)
        editor = ScheduleDialog(schedule, dialog, title="Refresh schedule — Edit Schedule")
        editor.show()
        save(editor, out, "properties-schedule-editor.png")
        for kind in Occurs:  # every choice of the dialog, to look at
            editor.occurs.setCurrentIndex(editor.occurs.findData(kind))
            editor.adjustSize()
            save(editor, out, f"properties-schedule-{kind.name.lower().replace('_', '-')}.png")
        editor.close()

        missing_source_shot(console, out, tasks, Path(tmp))

        sheet.select_tab("data-access")
        sheet.editor("ShareName").setText("OSD|WinPE")
        sheet.editor("ShareName").textEdited.emit("OSD|WinPE")
        dialog.apply_button.click()
        wait(lambda: dialog.banner.isVisible())
        sheet.select_tab("data-access")
        save(dialog, out, "properties-validation.png")

        dialog.close()
        tasks.wait(10000)
        locked_shot(console, out, tasks, package_id)
        tasks.wait(10000)
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
