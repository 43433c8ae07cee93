"""Screenshots of the Create Boot Media wizard.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_media docs/screenshots

Builds a throw-away site with a package whose built revision carries the Windows boot files
(stand-ins, tests/media_fixtures.py), runs a worker in a thread, and saves
``wizard-boot-media-<page>.png``: type, prestart, summary, progress, completion (an ISO with a
prestart command override, written by the worker).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtWidgets import QApplication

from console.app import ensure_default_site, open_console
from console.core.image_facts import ImageFacts
from console.core.jobs import JobSettings
from console.ui.application import create_application
from console.ui.main_window import MainWindow
from console.ui.settings import UiSettings
from console.ui.wizards.boot_media_wizard import CreateBootMediaWizard, PageId
from console.worker import Worker
from tests.media_fixtures import record_media_build
from tests.screenshot_support import save, wait


def _wizard() -> CreateBootMediaWizard | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, CreateBootMediaWizard) and w.isVisible()]
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
        facts = ImageFacts("x64", "10.0.26100.1", "en-US", "<WIM><IMAGE INDEX=\"1\"/></WIM>", 1_048_576,
                           "Microsoft Windows PE (amd64)")
        pid = console.packages.create(name="Boot image (x64) — lab", image_path=str(tmp / "boot.wim"), image_index=1,
                                      image=facts).value["PackageID"]
        console.packages.put(pid, {"PreExecCommandLine": "cmd /c setup.cmd"})
        record_media_build(console, pid, tmp / "build")
        worker = Worker(console, settings=JobSettings(lease=10.0, heartbeat=0.5, retry_delay=1.0, poll=0.1),
                        log=lambda _text: None)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat)))
        window.resize(1024, 700)
        window.show()
        wait(lambda: not window.tasks.running and window.package_model.total > 0)
        view = window.packages_page.view
        view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(0, 0),
                                              QItemSelectionModel.SelectionFlag.ClearAndSelect
                                              | QItemSelectionModel.SelectionFlag.Rows)
        wait(window.console_actions.create_boot_media.isEnabled)
        window.console_actions.create_boot_media.trigger()
        wait(lambda: _wizard() is not None)
        wizard = _wizard()
        assert wizard is not None
        media = tmp / "media"
        media.mkdir()
        wizard.media_page.output.setText(str(media / f"{pid}.iso"))
        save(wizard, out, "wizard-boot-media-type.png")
        wizard.next()
        wizard.prestart_page.override.setChecked(True)
        wizard.prestart_page.command.setText("cmd /c X:\\Tools\\menu.cmd --site PS1")
        save(wizard, out, "wizard-boot-media-prestart.png")
        wizard.next()
        wait(lambda: wizard.summary.checks is not None, timeout=60)
        save(wizard, out, "wizard-boot-media-summary.png")
        wizard.next()
        wait(lambda: (wizard.progress.job is not None and wizard.progress.job.state == "running")
             or wizard.currentId() == PageId.COMPLETION, timeout=60)
        if wizard.currentId() == PageId.PROGRESS:
            save(wizard, out, "wizard-boot-media-progress.png")
        wait(lambda: wizard.currentId() == PageId.COMPLETION, timeout=120)
        save(wizard, out, "wizard-boot-media-completion.png")
        wizard.accept()
        worker.stop()
        thread.join(timeout=60)
        window.close()
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
