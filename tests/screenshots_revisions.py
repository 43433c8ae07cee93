"""Screenshots of Properties › Revisions (issue 9): the list, the diff view and the roll
back confirmation.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_revisions docs/screenshots

Three revisions of a package are stored from real WIMs (wimlib-imagex) in a throw-away site,
as builds record them; saves ``properties-revisions-list.png``, ``properties-revisions-diff.png``
and ``properties-revisions-rollback.png``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from console.app import Console, ensure_default_site, open_console
from tests.revision_fixtures import built_image
from tests.screenshot_support import save, save_composite, wait

SIZE = (640, 640)  # the dialog's own default size


def package_with_revisions(console: Console, folder: Path) -> str:
    pid = str(console.packages.create(name="WinPE 11 x64 - Production", image_path=str(folder / "boot.wim"),
                                      image_index=1).value["PackageID"])
    console.packages.put(pid, {"ScratchSpace": 64})
    console.revisions.record_build(pid, built_image(folder, "one"))
    console.packages.put(pid, {"ScratchSpace": 128, "EnableLabShell": True, "InputLocale": "de-DE"})
    console.revisions.record_build(pid, built_image(
        folder, "two", scratch=128, add={"Drivers/16777217/netkvm.inf": b"[Version]\r\n",
                                         "Drivers/16777217/netkvm.sys": b"MZ" + bytes(2000)},
        change={"Windows/System32/startnet.cmd": b"wpeinit\r\ncall X:\\bic\\boot.cmd\r\n"},
        remove=("Windows/System32/setupplatform.exe",)))
    console.packages.put(pid, {"PreExecCommandLine": r"cmd /c X:\Prestart\Set-Share.cmd"})
    console.revisions.record_build(pid, built_image(folder, "three", scratch=128,
                                                    add={"bic/prestart/Set-Share.cmd": b"@echo off\r\n"}))
    return pid


def main(argv: list[str]) -> int:
    from console.ui.application import create_application
    from console.ui.propertysheet.properties_dialog import PropertiesDialog
    from console.ui.tasks import TaskRunner

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    create_application()
    with tempfile.TemporaryDirectory() as tmp:
        console = open_console(f"sqlite:///{Path(tmp) / 'site.db'}", user=r"CONTOSO\cmadmin@CM01")
        ensure_default_site(console)
        pid = package_with_revisions(console, Path(tmp))
        tasks = TaskRunner()
        dialog = PropertiesDialog(console, pid, tasks)
        dialog.resize(*SIZE)
        dialog.show()
        wait(lambda: dialog.sheet is not None and not dialog._busy and not tasks.running)
        assert dialog.sheet is not None and dialog.revisions_panel is not None
        panel = dialog.revisions_panel
        dialog.sheet.select_tab("revisions")
        wait(lambda: panel.model.rowCount() == 3)
        panel.select_versions(1)
        save(dialog, out, "properties-revisions-list.png")

        panel.select_versions(1, 2)
        panel.compare()
        wait(lambda: panel.diff_dialog is not None and panel.diff_dialog.isVisible())
        assert panel.diff_dialog is not None
        save(panel.diff_dialog, out, "properties-revisions-diff.png")
        panel.diff_dialog.close()

        panel.select_versions(1)
        panel.ask_rollback()
        wait(lambda: panel.confirmation is not None and panel.confirmation.isVisible())
        assert panel.confirmation is not None
        save_composite(dialog, [panel.confirmation], out, "properties-revisions-rollback.png")
        panel.confirmation.reject()

        dialog.close()
        tasks.wait(10000)
        console.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
