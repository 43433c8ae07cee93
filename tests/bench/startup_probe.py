"""A whole process that starts a window and exits when it is shown or its first rows are
painted: ``python -m tests.bench.startup_probe bare|bare-orm|console shown|rows [DB] [MODULES_OUT]``.

``bare`` is the reference: a plain ``QMainWindow`` in the same venv; ``bare-orm`` the same after
importing SQLAlchemy's ORM (the floor of any window that shows rows from the site database). ``console`` starts the
Boot Image Console by the path ``bootimage-console`` takes (``GuiStartup``). With
MODULES_OUT the names in ``sys.modules`` at the paint it waits for (the first window painted,
or the first rows painted) are written there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    kind, event = sys.argv[1], sys.argv[2]
    modules_out = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

    app = QApplication(sys.argv[:1])
    state: dict[str, object] = {"code": 0}

    class Painted(QObject):
        """Quits when ``target`` is painted and ``ready()``; writes the modules at that paint."""

        def __init__(self, target: QWidget, ready: object) -> None:
            super().__init__()
            self.ready = ready
            target.installEventFilter(self)

        def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint and self.ready():  # type: ignore[operator]
                if modules_out is not None:
                    modules_out.write_text("\n".join(sorted(sys.modules)))
                sys.stdout.flush()
                os._exit(int(state["code"]))  # type: ignore[call-overload]  # at once: this is the moment measured
            return False

    watchers = []
    if kind == "bare-orm":  # the floor of the console's first rows: the window plus the database layer's import
        import sqlalchemy.orm  # noqa: F401
    if kind in ("bare", "bare-orm"):
        window = QMainWindow()
        window.resize(1400, 860)
        window.show()
        watchers.append(Painted(window, lambda: True))
    else:
        from console.ui.application import GuiStartup, create_application

        create_application()
        startup = GuiStartup(sys.argv[3])
        startup.failed.connect(lambda _m: os._exit(1))
        if event == "shown":
            watchers.append(Painted(startup.startup_window, lambda: True))
        else:  # the first rows: loaded, and the list painted after that
            def ready(window: object, _console: object) -> None:
                model = window.package_model  # type: ignore[attr-defined]
                watchers.append(Painted(window.packages_page.view.viewport(),  # type: ignore[attr-defined]
                                        lambda: model.loaded > 0 and model.index(0, 0).data() not in (None, "Loading…")))

            startup.ready.connect(ready)
    QTimer.singleShot(60_000, app.quit)  # bounded
    app.exec()
    return int(state["code"])  # type: ignore[call-overload]


if __name__ == "__main__":
    sys.exit(main())
