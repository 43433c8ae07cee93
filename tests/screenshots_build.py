"""Screenshots of the Update Distribution Points wizard (build part).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_build docs/screenshots

Builds a throw-away site with a WinPE-like WIM (wimlib, a real hive), two drivers from the
test INFs (one of the wrong architecture), a prestart command without ``cmd /c`` and a chosen
component the image lacks, then saves ``wizard-update-dp-<page>.png``: preflight-failing,
preflight-passed (after fixing the package and Check again), options, summary;
``main-window-toolbar-1024.png`` (the toolbar with the action at 1024×700) and
``settings-dialog.png`` (with the build settings), ``about-dialog.png`` (Help › About).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtWidgets import QApplication

from console.app import ensure_default_site, open_console
from console.ui.application import create_application
from console.ui.main_window import MainWindow
from console.ui.settings import UiSettings
from console.ui.wizards.update_dp_wizard import UpdateDistributionPointsWizard
from tests.screenshot_support import save, wait
from tests.servicing_fixtures import ARM64_INF, DEFAULT_COMPONENTS, DISK_INF, TINY_JPEG, driver_folder, winpe_wim


def _wizard() -> UpdateDistributionPointsWizard | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, UpdateDistributionPointsWizard) and w.isVisible()]
    return found[-1] if found else None


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        console = open_console(f"sqlite:///{tmp / 'site.db'}", user="admin@console")
        ensure_default_site(console)
        console.settings.set_content_library_root(str(tmp / "ContentLib"))
        wim = winpe_wim(tmp / "sources" / "boot.wim", components=(*DEFAULT_COMPONENTS, "WinPE-NetFx", "WinPE-PowerShell"))
        pid = console.packages.create_from_wim(str(wim), 1, name="Boot image (x64) — lab").value["PackageID"]
        drivers = []
        for inf in (DISK_INF, ARM64_INF):
            path = driver_folder(tmp / "drivers", inf)
            drivers.append(console.drivers.create_from_inf(str(path.parent), path.name).value.ci_id)
        console.drivers.add_drivers_to_boot_image(pid, drivers)
        console.packages.update_optional_components(pid, ["WinPE-PowerShell", "WinPE-HTA"])
        (tmp / "prestart").mkdir()
        (tmp / "prestart" / "setup.cmd").write_text("@echo hi\r\n", encoding="ascii")
        (tmp / "background.jpg").write_bytes(TINY_JPEG)
        console.packages.put(pid, {"ScratchSpace": 128, "PreExecCommandLine": "setup.cmd",
                                   "PreExecSourceDirectory": str(tmp / "prestart"), "InputLocale": "de-DE",
                                   "BackgroundBitmapPath": str(tmp / "background.jpg"), "EnableLabShell": True})

        window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)))
        window.resize(1024, 700)
        window.show()
        wait(lambda: not window.tasks.running and window.package_model.total > 0)
        view = window.packages_page.view
        view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(0, 0),
                                              QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)
        wait(window.console_actions.update_distribution_points.isEnabled)
        save(window, out, "main-window-toolbar-1024.png")
        window.console_actions.update_distribution_points.trigger()
        wait(lambda: _wizard() is not None)
        wizard = _wizard()
        assert wizard is not None
        page = wizard.preflight
        wait(lambda: page.checks is not None, timeout=60)
        save(wizard, out, "wizard-update-dp-preflight-failing.png")

        # fix the package as the buttons would lead the administrator to, then Check again
        console.drivers.remove_drivers_from_boot_image(pid, [drivers[1]])
        kept = console.packages.plan_optional_components(pid, remove=["WinPE-HTA"]).component_ids
        console.packages.update_optional_components(pid, list(kept))
        console.packages.put(pid, {"PreExecCommandLine": "cmd /c setup.cmd"})
        page.again.click()
        wait(lambda: page.runs == 2 and page.checks is not None, timeout=60)
        save(wizard, out, "wizard-update-dp-preflight-passed.png")
        wizard.next()
        wait(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…")
        save(wizard, out, "wizard-update-dp-options.png")
        wizard.next()
        save(wizard, out, "wizard-update-dp-summary.png")
        wizard.reject()
        from console.ui.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(console, window.tasks, window)
        dialog.show()
        wait(lambda: dialog.library_root.text() != "")
        save(dialog, out, "settings-dialog.png")
        dialog.reject()
        from console.ui.dialogs.about_dialog import AboutDialog

        about = AboutDialog(console.url, window.tasks, window)
        about.show()
        wait(about.copy.isEnabled)
        save(about, out, "about-dialog.png")
        about.reject()
        window.close()
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
