"""Issue 8 item 16: every view of the window is reachable and leavable with Tab / Shift+Tab."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QWidget

from tests.ui.conftest import wait_idle

LIMIT = 60  # presses; the whole chain of the window is far shorter


@pytest.fixture
def populated(console, x64_facts):
    for i, name in enumerate(["Alpha", "Bravo"]):
        console.packages.create(name=name, image_path=f"/images/{i}.wim", image=x64_facts)
    return console


def walk(qtbot, window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> list[QWidget]:
    """Press ``key`` from the navigation tree until the focus is back there (at most LIMIT)."""
    window.navigation.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.navigation, timeout=3000)
    visited: list[QWidget] = []
    for _ in range(LIMIT):
        qtbot.keyClick(QApplication.focusWidget(), key, modifier)
        widget = QApplication.focusWidget()
        if widget is window.navigation:
            return visited
        visited.append(widget)
    raise AssertionError(f"the focus never came back to the navigation tree: {[w.accessibleName() or type(w).__name__ for w in visited[-8:]]}")


def activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def open_node(qtbot, window, label: str) -> QWidget:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    return window.pages.currentWidget()


def test_tab_walks_through_the_boot_images_page_and_its_detail_tables(qtbot, populated, make_window):
    window = make_window()
    activate(qtbot, window)
    page = window.packages_page
    page.view.selectionModel().setCurrentIndex(
        page.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.waitUntil(lambda: page.details.currentWidget() is page.details.tabs, timeout=5000)
    wait_idle(qtbot, window)
    for tab, table in ((1, page.details.images_view), (2, page.details.components_view), (3, page.details.drivers_view)):
        page.details.tabs.setCurrentIndex(tab)
        forward = walk(qtbot, window, Qt.Key.Key_Tab)
        for widget in (page.filter, page.view, table):
            assert widget in forward, widget.accessibleName()
        assert forward.count(table) == 1, "Tab leaves the table at once"
        backward = walk(qtbot, window, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
        assert table in backward and page.view in backward and backward.count(table) == 1
        table.setFocus()
        qtbot.waitUntil(lambda table=table: QApplication.focusWidget() is table, timeout=3000)
        qtbot.keyClick(table, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
        assert QApplication.focusWidget() is not table, "Ctrl+Tab leaves the table too"


@pytest.mark.parametrize("label", ["Drivers", "Sites", "Status Messages", "Monitoring", "Operating Systems"])
def test_tab_leaves_every_other_page(qtbot, populated, make_window, driver_catalog, label):
    window = make_window()
    activate(qtbot, window)
    page = open_node(qtbot, window, label)
    views = [v for v in page.findChildren(QAbstractItemView) if v.isVisible() and not isinstance(v, QHeaderView)]
    assert views
    forward = walk(qtbot, window, Qt.Key.Key_Tab)
    for view in views:
        assert forward.count(view) == 1, view.accessibleName()
    backward = walk(qtbot, window, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    for view in views:
        assert backward.count(view) == 1, view.accessibleName()


def test_no_table_of_the_console_keeps_tab_for_its_cells(qtbot, populated, make_window):
    window = make_window()
    for label in ("Boot Images", "Drivers", "Sites", "Status Messages", "Jobs", "Monitoring"):
        open_node(qtbot, window, label)
    for view in window.findChildren(QAbstractItemView):
        assert not view.tabKeyNavigation(), view.accessibleName() or type(view).__name__
