"""A whole process that starts a window and exits when it is shown or its first rows are
painted: ``python -m tests.bench.startup_probe bare|bare-orm|core-rows|child-rows|console shown|rows [DB] [MODULES_OUT]``.

``bare`` is the reference: a plain ``QMainWindow`` in the same venv; ``bare-orm`` the same after
importing SQLAlchemy's ORM (the floor of any window that shows rows from the site database).
``core-rows`` and ``child-rows`` are the floors of the two start-up designs that could paint rows
before the ORM is imported: the bare window with a plain ``QTreeView`` of the list's first 200
rows read through SQLAlchemy Core (lightweight ``table()``, nothing of the console imported) on
a thread of the window's process (``core-rows``), or by a second Python process started before Qt
is imported (``child-rows``); the DB is ``sqlite:///…``. ``console`` starts the
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
    child = _start_first_page_child(sys.argv[3]) if kind == "child-rows" else None
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
    elif kind in ("core-rows", "child-rows"):
        watchers.extend(_show_first_page(sys.argv[3], child,  # kept alive until the process exits
                                         lambda view: watchers.append(Painted(view.viewport(), lambda: True))))
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


def first_page(db: str) -> list[list[str]]:
    """The first page of the package list in its default order, read with SQLAlchemy Core only."""
    import sqlalchemy as sa

    columns = ("package_id", "name", "version", "architecture", "image_os_version", "package_size", "source_date")
    t = sa.table("boot_image_package", *(sa.column(c) for c in columns))
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(t).order_by(sa.func.lower(t.c.name), t.c.package_id).limit(200)).all()
    finally:
        engine.dispose()
    return [[str(v) for v in row] for row in rows]


#: the child of ``child-rows``: the first page as JSON on its standard output
CHILD = "import json, sys; from tests.bench.startup_probe import first_page; json.dump(first_page(sys.argv[1]), sys.stdout)"


def _start_first_page_child(db: str) -> object:
    import subprocess

    return subprocess.Popen([sys.executable, "-c", CHILD, db], stdout=subprocess.PIPE)


def _show_first_page(db: str, child: object, painted: object) -> tuple[object, ...]:
    """A window with a tree view that gets the first page from ``child`` (a process), else
    from a thread of this process; ``painted(view)`` once the rows are in the view."""
    import json
    import threading

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QMainWindow, QTreeView

    class Rows(QObject):
        arrived = Signal(object)

    window = QMainWindow()
    window.resize(1400, 860)
    view = QTreeView()
    window.setCentralWidget(view)
    window.show()
    rows = Rows(window)

    def fill(page: list[list[str]]) -> None:
        model = QStandardItemModel(view)
        for row in page:
            model.appendRow([QStandardItem(value) for value in row])
        view.setModel(model)
        painted(view)  # type: ignore[operator]

    def read() -> None:
        if child is not None:
            rows.arrived.emit(json.loads(child.stdout.read()))  # type: ignore[attr-defined]
        else:
            rows.arrived.emit(first_page(db))

    rows.arrived.connect(fill)
    threading.Thread(target=read, daemon=True).start()
    return window, rows


if __name__ == "__main__":
    sys.exit(main())
