"""The path to the first rows (issue 11): when the first rows are painted the console has not
imported the modules of the pages it has not shown, nor its wizards and property sheets; each
page is built the first time it is opened, and only once; the list is queried once; start-up
runs without the cyclic garbage collector until the main window is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt

from console.ui.models.navigation_model import NavKind
from tests.bench.site_generator import site_database
from tests.ui.conftest import wait_idle

ROOT = Path(__file__).resolve().parents[2]

#: modules of pages (and dialogs) that are not shown at start-up
NOT_SHOWN = (
    "console.ui.views.drivers_page", "console.ui.views.dp_page", "console.ui.views.content_status_page",
    "console.ui.views.jobs_page", "console.ui.views.status_messages_page", "console.ui.views.records_page",
    "console.ui.views.audit_page",
    "console.ui.views.overview_page", "console.ui.models.driver_catalog_model", "console.ui.models.dp_models",
    "console.ui.models.content_status_model", "console.core.sheet_layout",
    # the tables the package list does not read (and PostgreSQL's dialect, which one of their
    # partial indexes loads): imported when a unit of work first uses them
    "console.storage.distribution_schema", "console.storage.driver_schema", "console.storage.security_schema",
    "sqlalchemy.dialects.postgresql",
    # the job handlers: made when a worker first runs their kind (the console only queues jobs)
    "console.core.services.build_job", "console.core.services.distribution_job", "console.core.services.refresh_job",
    "console.core.services.boot_media", "console.core.pxe",
)
NOT_SHOWN_PACKAGES = ("console.ui.wizards", "console.ui.propertysheet")

PAGES = {
    "Drivers": NavKind.DRIVERS,
    "Sites": NavKind.SITES,
    "Distribution Points": NavKind.DISTRIBUTION_POINTS,
    "Status Messages": NavKind.STATUS_MESSAGES,
    "Jobs": NavKind.JOBS,
    "Content Status": NavKind.CONTENT_STATUS,
}


def test_at_first_rows_painted_pages_not_shown_are_not_imported(tmp_path: Path) -> None:
    site = site_database(100, tmp_path / "site.db")
    modules = tmp_path / "modules.txt"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "tests.bench.startup_probe", "console", "rows", f"sqlite:///{site}", str(modules)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loaded = set(modules.read_text().split())
    assert "console.ui.main_window" in loaded and "console.ui.views.packages_page" in loaded  # the rows are there
    assert not loaded & set(NOT_SHOWN), sorted(loaded & set(NOT_SHOWN))
    assert not [m for m in loaded if m.startswith(NOT_SHOWN_PACKAGES)]


def open_node(qtbot, window, label: str) -> None:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)


def test_each_page_is_built_when_first_opened_and_only_once(qtbot, make_window) -> None:
    window = make_window()
    assert window.pages.currentWidget() is window.packages_page
    assert all(window.extra_pages.built(kind) is None for kind in PAGES.values())
    assert window.pages.count() == 1  # only Boot Images
    seen = {}
    for label, kind in PAGES.items():
        open_node(qtbot, window, label)
        page = window.pages.currentWidget()
        assert page is window.extra_pages.built(kind) is window.extra_pages[kind], label
        seen[kind] = page
    assert window.pages.count() == 1 + len(PAGES)
    # back to Boot Images and to every page again: the same pages, none built twice
    window.navigation.setCurrentIndex(window.navigation_model.boot_images.index())
    for label, kind in PAGES.items():
        open_node(qtbot, window, label)
        assert window.pages.currentWidget() is seen[kind], label
    assert window.pages.count() == 1 + len(PAGES)
    # an overview page is built when its node is first shown
    open_node(qtbot, window, "Monitoring")
    assert window.pages.count() == 2 + len(PAGES)
    window.navigation.setCurrentIndex(QModelIndex(window.navigation_model.boot_images.index()))


def test_a_page_asked_for_before_it_is_shown_is_wired(qtbot, make_window) -> None:
    """Pages built through ``extra_pages[...]`` (tests, screenshots) get the same wiring:
    their own status text and actions reach the window when they are shown."""
    window = make_window()
    page = window.extra_pages[NavKind.DRIVERS]
    assert window.pages.indexOf(page) >= 0
    open_node(qtbot, window, "Drivers")
    assert window.pages.currentWidget() is page
    assert window.status.counts.text() == page.status_text()  # type: ignore[attr-defined]


def test_start_up_queries_the_package_list_once(qtbot, console, make_window) -> None:
    """One block query and one count when the window opens (not one per sort the view and
    the window's refresh used to ask for: three of each, all but the last thrown away)."""
    from sqlalchemy import event

    statements: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM boot_image_package" in statement:
            statements.append(statement)

    event.listen(console.engine, "before_cursor_execute", seen)
    try:
        window = make_window()
        qtbot.waitUntil(lambda: window.package_model.count_known, timeout=15000)
    finally:
        event.remove(console.engine, "before_cursor_execute", seen)
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1, statements
    assert len(statements) == 2, statements


def test_start_up_runs_without_the_cyclic_collector_until_the_main_window_is_shown(qtbot, console, db_url: str) -> None:
    from console.ui.application import GuiStartup
    from console.ui.gc_tuning import collecting, resume_garbage_collection

    assert collecting()
    startup = GuiStartup(db_url)
    try:
        assert not collecting(), "paused while the site opens"
        with qtbot.waitSignal(startup.ready, timeout=30000):
            pass
        qtbot.addWidget(startup.window)
        assert collecting(), "on again once the main window is shown"
        qtbot.waitUntil(lambda: not startup.window.tasks.running, timeout=15000)
        startup.window.close()
        startup.console.close()
    finally:
        resume_garbage_collection()


def test_a_start_up_that_fails_turns_the_collector_on_again(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from console.ui.application import GuiStartup
    from console.ui.gc_tuning import collecting, resume_garbage_collection

    broken = tmp_path / "site.db"
    broken.write_bytes(b"this is not a database" * 100)

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            box.done(0)
        else:
            QTimer.singleShot(50, answer)

    QTimer.singleShot(50, answer)
    try:
        startup = GuiStartup(f"sqlite:///{broken}")
        assert not collecting()
        with qtbot.waitSignal(startup.failed, timeout=30000):
            pass
        assert collecting()
    finally:
        resume_garbage_collection()


def test_the_details_tabs_are_built_when_a_package_is_first_shown(qtbot, console, make_window, x64_package) -> None:
    from PySide6.QtCore import QItemSelectionModel

    window = make_window()
    details = window.packages_page.details
    assert not details.tabs_built and details.currentWidget() is details.message  # the hint only at start-up
    view = window.packages_page.view
    qtbot.waitUntil(lambda: window.package_model.loaded > 0, timeout=15000)
    view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(0, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.waitUntil(lambda: details.tabs_built and details.currentWidget() is details.tabs, timeout=15000)
    assert details._values["PackageID"].text() == view.current_package_id()
    assert details.tabs.tabText(1).startswith("Images (")
