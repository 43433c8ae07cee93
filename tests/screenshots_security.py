"""Screenshots of a team site: Set Security Scopes… and a refused action.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.screenshots_security docs/screenshots

Starts a private PostgreSQL server (tests/postgres.py), makes site PS1 with scopes Lab and
Production, and opens the console as an Operating System Deployment Manager limited to Lab:
``main-window-team-site.png`` (the status bar says who is connected), ``set-security-scopes.png``
and ``refused-action.png`` (giving a Lab boot image the Production scope). Without PostgreSQL
the script says why and saves nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from console.app import open_console
from console.core.security import OSD_MANAGER
from console.ui.application import create_application
from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog
from console.ui.main_window import MainWindow
from console.ui.settings import UiSettings
from tests import postgres
from tests.screenshot_support import save, wait


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    server = postgres.start()
    if isinstance(server, str):
        print(f"no team-site screenshots: {server}")
        return 0
    create_application()
    try:
        url = server.url(server.create_database())
        owner = open_console(url)
        owner.init_site("PS1", "Contoso")
        owner.security.add_scope("Lab", "Lab machines")
        owner.security.add_scope("Production", "What the factory boots")
        for name, scope in (("Lab x64", "Lab"), ("Lab x86", "Lab"), ("Factory x64", "Production")):
            pid = owner.packages.create(name=name, image_path=f"/images/{name}.wim").value["PackageID"]
            owner.security.set_object_scopes(pid, [scope])
        owner.close()
        login = f"alice_{uuid.uuid4().hex[:4]}"
        console = open_console(postgres.login_url(url, login, OSD_MANAGER, scopes=("Lab",)))
        with tempfile.TemporaryDirectory() as tmp:
            window = MainWindow(console, console.sites.local(),
                                UiSettings(QSettings(str(Path(tmp) / "ui.ini"), QSettings.Format.IniFormat)))
            window.resize(1280, 720)
            window.show()
            wait(lambda: not window.tasks.running and window.package_model.rowCount() == 2)
            save(window, out, "main-window-team-site.png")
            window.packages_page.view.selectRow(0)
            window.console_actions.security_scopes.trigger()
            wait(lambda: any(isinstance(w, SecurityScopesDialog) and w.scopes.count() == 3
                             for w in QApplication.topLevelWidgets()))
            dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SecurityScopesDialog))
            for i in range(dialog.scopes.count()):
                item = dialog.scopes.item(i)
                item.setCheckState(Qt.CheckState.Checked if item.text() == "Production" else Qt.CheckState.Unchecked)
            save(dialog, out, "set-security-scopes.png")
            dialog.ok_button.click()
            wait(lambda: any(b.isVisible() for b in dialog.findChildren(QMessageBox)))
            save(next(b for b in dialog.findChildren(QMessageBox) if b.isVisible()), out, "refused-action.png")
            dialog.close()
            window.tasks.wait(10000)
            window.close()
        console.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
