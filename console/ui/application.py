"""QApplication set-up, first-run site creation and the main window."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from console import __version__


def run_gui(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Boot Image Console")
    app.setOrganizationName("bootimage-console")
    app.setApplicationVersion(__version__)
    from console.app import ensure_default_site, open_console
    from console.core.errors import ConsoleError

    try:
        console = open_console(args.db)
        ensure_default_site(console)
    except ConsoleError as exc:
        QMessageBox.critical(None, "Boot Image Console", f"The site database cannot be opened:\n\n{exc}")
        return 1
    from console.ui.main_window import MainWindow

    window = MainWindow(console)
    window.show()
    if args.screenshot:
        def shoot() -> None:
            window.grab().save(args.screenshot)
            if args.quit_after_screenshot:
                app.quit()

        QTimer.singleShot(1500, shoot)
    return app.exec()
