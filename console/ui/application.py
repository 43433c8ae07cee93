"""QApplication set-up, first-run site creation and the main window.

Start-up shows a window at once: ``StartupWindow`` (the console's title, where the main
window was last, "Opening the site database…") is painted before the database layer is
even imported. The site is opened (and migrated when it is behind) by a background task;
the main window then takes the start-up window's place.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QMessageBox

from console import APP_ID, __version__
from console.ui.gc_tuning import pause_garbage_collection, resume_garbage_collection, tune_garbage_collection
from console.ui.style import apply_style

TITLE = "Boot Image Console"
#: the longest the site waits for the start-up window to be painted before it is opened
OPEN_DELAY_MS = 200


def create_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(TITLE)
    app.setOrganizationName("bootimage-console")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)  # Wayland app id / X11 _GTK_APPLICATION_ID: the launcher's icon and name
    if not app.property("bootimage_styled"):  # once: restyling an application with live widgets can crash Qt
        apply_style(app)
        app.setProperty("bootimage_styled", True)
    return app


class StartupWindow(QMainWindow):
    """The window shown while the site database opens, where the main window will be."""

    def __init__(self) -> None:
        super().__init__()
        from console.ui.icons import icon
        from console.ui.settings import UiSettings

        self.setWindowTitle(TITLE)
        self.setWindowIcon(icon("app"))
        label = QLabel("Opening the site database…")
        label.setObjectName("hint")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(label)
        self.resize(1400, 860)
        if (geometry := UiSettings().window_geometry()) is not None:
            self.restoreGeometry(geometry)


def open_site(db: str | None) -> tuple[Any, Any]:
    """The site's services and its local site (created on first start). Runs in a worker
    thread: the database layer is imported and the schema checked (migrated) here."""
    from console.app import ensure_default_site, open_console

    console = open_console(db)
    try:
        return console, ensure_default_site(console)
    except BaseException:
        console.close()
        raise


class GuiStartup(QObject):
    """Shows ``StartupWindow``, opens the site in the background, then the main window.
    ``ready(window, console)`` or ``failed(message)`` follows (the user is told first)."""

    ready = Signal(object, object)
    failed = Signal(str)

    def __init__(self, db: str | None) -> None:
        super().__init__()
        pause_garbage_collection()  # until the main window is shown (or start-up failed)
        from console.ui.tasks import TaskRunner

        self.window: Any = None
        self.console: Any = None
        self._db = db
        self._tasks = TaskRunner(self)
        self.startup_window = StartupWindow()
        # the site is opened once the window is on screen (its imports do not delay the
        # first paint); a window that is never painted (minimised) waits at most OPEN_DELAY_MS
        self.startup_window.installEventFilter(self)
        self._open_timer = QTimer(self)
        self._open_timer.setSingleShot(True)
        self._open_timer.timeout.connect(self._open)
        self._open_timer.start(OPEN_DELAY_MS)
        self.startup_window.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.startup_window and event.type() == QEvent.Type.Paint and self._open_timer.isActive():
            self._open_timer.start(0)
        return False

    def _open(self) -> None:
        self.startup_window.removeEventFilter(self)
        self._tasks.run(lambda _ctx: open_site(self._db), on_success=self._opened, on_error=self._failed,
                        description="Opening the site database")

    def _opened(self, opened: tuple[Any, Any]) -> None:
        from console.ui.main_window import MainWindow

        self.console, site = opened
        try:
            self.window = MainWindow(self.console, site)
            self.window.show()
            self.startup_window.close()
        finally:
            tune_garbage_collection()  # after start-up: nothing built so far is scanned again
        self.ready.emit(self.window, self.console)

    def _failed(self, exc: BaseException) -> None:
        from console.core.errors import ConsoleError

        resume_garbage_collection()
        text = str(exc) if isinstance(exc, ConsoleError) else f"internal error: {type(exc).__name__}: {exc}"
        QMessageBox.critical(self.startup_window, TITLE, f"The site database cannot be opened:\n\n{text}")
        self.startup_window.close()
        self.failed.emit(str(exc))


def run_gui(args: argparse.Namespace) -> int:
    app = create_application()
    startup = GuiStartup(args.db)
    startup.failed.connect(lambda _message: app.exit(1))
    if getattr(args, "screenshot", None):
        def shoot() -> None:
            startup.window.grab().save(args.screenshot)
            if args.quit_after_screenshot:
                startup.window.close()
                app.quit()

        startup.ready.connect(lambda *_: QTimer.singleShot(2000, shoot))
    code = app.exec()
    if startup.console is not None:
        startup.console.close()
    return code
