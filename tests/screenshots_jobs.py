"""Screenshots of building a boot image as a job: the wizard's Progress and Completion pages,
Monitoring › Jobs with a running build and with finished ones (one failed), and the status
bar's jobs indicator.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_jobs docs/screenshots

Builds a throw-away site with a WinPE-like WIM (wimlib, a real hive) and runs a real worker
in a thread of this script (the console itself never runs job work). Saves
``wizard-update-dp-progress.png``, ``wizard-update-dp-completion.png``,
``wizard-update-dp-failed.png``, ``jobs-page-running.png``, ``jobs-page-finished.png`` and
``status-bar-jobs.png``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication

from console.app import ensure_default_site, open_console
from console.core.jobs import JobSettings, JobState
from console.ui.application import create_application
from console.ui.main_window import MainWindow
from console.ui.settings import UiSettings
from console.ui.views.jobs_page import JobsPage
from console.ui.wizards.update_dp_wizard import PageId, UpdateDistributionPointsWizard
from console.worker import Worker
from tests.screenshot_support import save, wait
from tests.servicing_fixtures import DISK_INF, TINY_JPEG, driver_folder, winpe_wim


def _wizard() -> UpdateDistributionPointsWizard | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, UpdateDistributionPointsWizard) and w.isVisible()]
    return found[-1] if found else None


def _open_wizard(window: MainWindow, row: int) -> UpdateDistributionPointsWizard:
    view = window.packages_page.view
    view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(row, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect
                                          | QItemSelectionModel.SelectionFlag.Rows)
    wait(window.console_actions.update_distribution_points.isEnabled)
    window.console_actions.update_distribution_points.trigger()
    wait(lambda: _wizard() is not None)
    wizard = _wizard()
    assert wizard is not None
    wait(lambda: wizard.preflight.checks is not None, timeout=60)
    wizard.next()
    wait(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…")
    wizard.next()
    return wizard


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        console = open_console(f"sqlite:///{tmp / 'site.db'}", user="admin@console")
        ensure_default_site(console)
        console.settings.set_content_library_root(str(tmp / "ContentLib"))
        wim = winpe_wim(tmp / "sources" / "boot.wim")
        pid = console.packages.create_from_wim(str(wim), 1, name="Boot image (x64) — lab").value["PackageID"]
        inf = driver_folder(tmp / "drivers", DISK_INF)
        console.drivers.add_drivers_to_boot_image(pid, [console.drivers.create_from_inf(str(inf.parent), inf.name).value.ci_id])
        (tmp / "background.jpg").write_bytes(TINY_JPEG)
        prestart = tmp / "prestart"
        prestart.mkdir()
        (prestart / "setup.cmd").write_text("@echo hi\r\n", encoding="ascii")
        (prestart / "tools.bin").write_bytes(os.urandom(48 * 1024 * 1024))  # so the build runs long enough to be seen
        console.packages.put(pid, {"ScratchSpace": 128, "BackgroundBitmapPath": str(tmp / "background.jpg"),
                                   "EnableLabShell": True, "PreExecCommandLine": "cmd /c setup.cmd",
                                   "PreExecSourceDirectory": str(prestart)})
        broken = tmp / "sources" / "broken.wim"
        shutil.copyfile(wim, broken)
        other = console.packages.create_from_wim(str(broken), 1, name="Boot image (x64) — field").value["PackageID"]

        worker = Worker(console, settings=JobSettings(lease=10.0, heartbeat=0.5, poll=0.1), log=lambda _t: None)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        wait(lambda: bool(console.jobs.live_workers()))

        window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)))
        window.resize(1280, 760)
        window.show()
        wait(lambda: not window.tasks.running and window.package_model.total == 2)

        # a failed build: the source WIM goes after the wizard's own pre-flight
        row = next(r for r in range(2) if window.packages_page.proxy.index(r, 0).data() != "Boot image (x64) — lab")
        wizard = _open_wizard(window, row)
        broken.unlink()
        wizard.next()
        wait(lambda: wizard.currentId() == PageId.COMPLETION, timeout=120)
        save(wizard, out, "wizard-update-dp-failed.png")
        wizard.accept()
        del other

        # a build that succeeds: Progress while it runs, the Jobs page and the status bar meanwhile
        row = next(r for r in range(2) if window.packages_page.proxy.index(r, 0).data() == "Boot image (x64) — lab")
        wizard = _open_wizard(window, row)
        wizard.next()
        progress = wizard.progress
        wait(lambda: progress.job is not None and progress.job.state == JobState.RUNNING
             and progress.job.step in ("export", "customize", "verify"), timeout=120)
        save(wizard, out, "wizard-update-dp-progress.png")
        model = window.navigation_model
        index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Jobs", 1, Qt.MatchFlag.MatchRecursive)[0]
        window.navigation.setCurrentIndex(index)
        page = window.pages.currentWidget()
        assert isinstance(page, JobsPage)
        wait(lambda: any(j.state == JobState.RUNNING for j in page.model.jobs), timeout=60)
        wait(lambda: window.jobs_indicator.isVisible(), timeout=30)
        save(window, out, "jobs-page-running.png")
        save(window.statusBar(), out, "status-bar-jobs.png")
        wait(lambda: wizard.currentId() == PageId.COMPLETION and "Built revision" in wizard.completion.text.text(), timeout=180)
        save(wizard, out, "wizard-update-dp-completion.png")
        wizard.accept()
        wait(lambda: all(j.finished for j in page.model.jobs) and len(page.model.jobs) == 2, timeout=30)
        wait(lambda: "succeeded" in window.statusBar().currentMessage(), timeout=30)
        proxy_row = page.proxy.mapFromSource(page.model.index(0, 0))
        page.view.selectRow(proxy_row.row())
        save(window, out, "jobs-page-finished.png")
        worker.stop()
        thread.join(timeout=60)
        window.close()
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
