"""QApplication set-up, first-run site creation and the main window."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from console import __version__
from console.ui.gc_tuning import tune_garbage_collection
from console.ui.style import apply_style


def create_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("Boot Image Console")
    app.setOrganizationName("bootimage-console")
    app.setApplicationVersion(__version__)
    apply_style(app)
    return app


def run_gui(args: argparse.Namespace) -> int:
    app = create_application()
    from console.app import ensure_default_site, open_console
    from console.core.errors import ConsoleError

    try:
        console = open_console(args.db)
        ensure_default_site(console)
        site = console.sites.local()
    except ConsoleError as exc:
        QMessageBox.critical(None, "Boot Image Console", f"The site database cannot be opened:\n\n{exc}")
        return 1
    from console.ui.main_window import MainWindow

    window = MainWindow(console, site)
    window.show()
    tune_garbage_collection()  # after start-up: nothing built so far is scanned again
    if args.screenshot:
        def shoot() -> None:
            window.grab().save(args.screenshot)
            if args.quit_after_screenshot:
                window.close()
                app.quit()

        QTimer.singleShot(2000, shoot)
    code = app.exec()
    console.close()
    return code
