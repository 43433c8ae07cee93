"""Issue 8 (trust pass), GUI behaviour: shortcuts, stale details and actions, navigation pages,
status text, the toolbar at 1024×700."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton, QWidget

from console.ui.dialogs.folder_dialogs import ConfirmDeleteDialog, NewFolderDialog
from console.ui.models.navigation_model import NavKind
from tests.ui.conftest import wait_idle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def populated(console, x64_facts):
    for i, name in enumerate(["Alpha", "Bravo", "Charlie", "Delta"]):
        console.packages.create(name=name, image_path=f"/images/{i}.wim", version=f"1.{i}", image=x64_facts)
    return console


def acts(window):
    """The window's ConsoleActions (``console_actions`` once MainWindow.actions no longer
    shadows QWidget.actions())."""
    return getattr(window, "console_actions", None) or window.actions


def names(window) -> list[str]:
    model = window.package_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def open_node(qtbot, window, label: str) -> QWidget:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    return window.pages.currentWidget()


def select_row(qtbot, window, row: int) -> str:
    view = window.packages_page.view
    view.selectionModel().setCurrentIndex(
        window.packages_page.proxy.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    pid = view.current_package_id()
    details = window.packages_page.details
    qtbot.waitUntil(lambda: details.currentWidget() is details.tabs and details._values["PackageID"].text() == pid,
                    timeout=5000)
    return pid


def details_gone(window) -> bool:
    details = window.packages_page.details
    return details.currentWidget() is details.message


def all_actions(window) -> set[QAction]:
    """Every QAction reachable from the window: its children, every widget's actions, menus
    (every page built first: pages are built when first opened)."""
    for kind in window.extra_pages:
        window.extra_pages[kind]
    found = set(window.findChildren(QAction))
    for widget in [window, *window.findChildren(QWidget)]:
        found.update(QWidget.actions(widget))
    for page in [window.pages.widget(i) for i in range(window.pages.count())]:
        found.update(page.findChildren(QAction))
    return found


# -- 11: shortcuts ------------------------------------------------------------------------------


def test_no_two_actions_share_a_shortcut(qtbot, populated, make_window):
    window = make_window()
    open_node(qtbot, window, "Drivers")  # page-local actions exist too
    owners: dict[str, list[str]] = {}
    for action in all_actions(window):
        keys = [k.toString() for k in action.shortcuts() if not k.isEmpty()]
        assert len(keys) == len(set(keys)), f"{action.text()!r} registers {keys}"
        for key in keys:
            owners.setdefault(key, []).append(action.text())
    clashes = {key: texts for key, texts in owners.items() if len(texts) > 1}
    assert not clashes, clashes
    assert "F5" in owners and "Del" in owners


def test_pressing_f5_refreshes_the_list(qtbot, populated, make_window, console):
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    window.packages_page.view.setFocus()
    console.packages.create(name="Added elsewhere", image_path="/z.wim")
    QTest.keyClick(window, Qt.Key.Key_F5)
    wait_idle(qtbot, window)
    assert "Added elsewhere" in names(window)


# -- 12: the details pane and the actions follow the selection and every change --------------


def test_delete_clears_the_details_and_the_actions(qtbot, monkeypatch, populated, make_window):
    window = make_window()
    select_row(qtbot, window, 1)
    monkeypatch.setattr(ConfirmDeleteDialog, "ask", classmethod(lambda cls, parent, items: True))
    acts(window).delete.trigger()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: details_gone(window), timeout=5000)
    assert names(window) == ["Alpha", "Charlie", "Delta"]
    assert window.packages_page.view.selected_package_ids() == []
    for action in acts(window).package_actions():
        assert not action.isEnabled(), action.text()


def test_search_new_folder_and_drag_clear_a_stale_selection(qtbot, monkeypatch, populated, make_window, console):
    window = make_window()
    select_row(qtbot, window, 0)
    window.packages_page.filter.setText("Delta")
    window.packages_page.apply_filter_now()
    wait_idle(qtbot, window)
    assert names(window) == ["Delta"]
    qtbot.waitUntil(lambda: details_gone(window), timeout=5000)
    assert not acts(window).properties.isEnabled() and not acts(window).move.isEnabled()
    window.packages_page.filter.setText("")
    window.packages_page.apply_filter_now()
    wait_idle(qtbot, window)

    select_row(qtbot, window, 0)
    monkeypatch.setattr(NewFolderDialog, "ask", classmethod(lambda cls, parent, label: "Lab"))
    acts(window).new_folder.trigger()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: details_gone(window), timeout=5000)
    assert not acts(window).delete.isEnabled()

    pid = select_row(qtbot, window, 2)
    [folder] = console.folders.all()
    data = window.package_model.mimeData([window.package_model.index(2, 0)])
    window.navigation_model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1,
                                         window.navigation_model.find_folder(folder.id))
    wait_idle(qtbot, window)
    assert pid not in [window.package_model.index(r, 1).data() for r in range(window.package_model.rowCount())]
    qtbot.waitUntil(lambda: details_gone(window), timeout=5000)
    assert not acts(window).move.isEnabled()


def test_reload_and_wizards_refresh_the_details(qtbot, populated, make_window, console, winpe_x64_wim, x64_facts):
    # recorded with other facts than the real WIM has (1 GiB): Reload finds the real size
    pid = console.packages.create(name="Aardvark", image_path=str(winpe_x64_wim), image=x64_facts).value["PackageID"]
    window = make_window()
    assert select_row(qtbot, window, 0) == pid
    details = window.packages_page.details
    before = details._values["PackageSize"].text()
    acts(window).reload.trigger()  # Reload Image Properties reads the real WIM
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: details._values["PackageSize"].text() != before, timeout=5000)
    assert details._values["PackageID"].text() == pid
    # a wizard's save (Scratch Space… run to its end) shows in the pane
    from PySide6.QtWidgets import QWizard

    from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

    acts(window).scratch_space.trigger()
    qtbot.waitUntil(lambda: window.findChild(ScratchSpaceWizard) is not None, timeout=10000)
    wizard = window.findChild(ScratchSpaceWizard)
    wizard.choose.group.button(256).click()
    while wizard.currentId() != wizard.pageIds()[-1]:
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentPage().isComplete() or wizard.currentId() == wizard.pageIds()[-1], timeout=10000)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: details._values["ScratchSpace"].text() == "256 MB", timeout=5000)


# -- 15: no label widens the window -------------------------------------------------------------


def test_a_long_status_message_does_not_widen_the_window(qtbot, populated, make_window):
    window = make_window()
    window.resize(1024, 700)
    qtbot.wait(50)
    width = window.width()
    long_path = "/srv/drivers/" + "very-long-folder-name/" * 230  # > 5,000 characters
    assert len(long_path) > 5000
    window.status.set_counts(long_path)
    release = threading.Event()
    window.tasks.run(lambda ctx: ctx.report(1, 2, long_path) or release.wait(10), description=f"Scanning {long_path}")
    window.controller.message.emit(long_path)
    qtbot.waitUntil(lambda: window.status.activity.isVisible(), timeout=5000)
    qtbot.wait(100)
    assert window.width() == width
    release.set()
    wait_idle(qtbot, window)
    assert window.width() == width
    assert window.minimumSizeHint().width() <= 1024
    counts = window.status.counts
    assert counts.displayed_text(counts.width()) != long_path  # elided...
    assert window.status.counts.toolTip() == long_path  # ...with the whole text on hover


# -- 22: each navigation node has its own page, status and actions ------------------------------


def test_group_nodes_show_an_overview_of_their_children(qtbot, populated, make_window):
    window = make_window()
    for label, children in (("Monitoring", ["Status Messages", "Audit", "Jobs", "Distribution Status"]),
                            ("Distribution Status", ["Content Status"]),
                            ("Administration", ["Sites", "Distribution Points"]),
                            ("Software Library", ["Operating Systems"]),
                            ("Operating Systems", ["Boot Images", "Drivers"])):
        page = open_node(qtbot, window, label)
        assert page is not window.packages_page, label
        assert page.node_names() == children
        assert all(page.model.index(r, 1).data() for r in range(page.model.rowCount()))
        assert "boot image(s)" not in window.status.counts.text()
        assert not acts(window).delete.isEnabled() and not acts(window).properties.isEnabled()
        assert not acts(window).new_folder.isEnabled(), "folders are Boot Images folders"
    page = open_node(qtbot, window, "Operating Systems")
    assert len([w for w in window.pages.findChildren(type(page)) if w.title.text() == "Operating Systems"]) == 1
    page.view.setCurrentIndex(page.model.index(1, 0))
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    wait_idle(qtbot, window)
    assert window.navigation_model.kind(window.navigation.currentIndex()) == NavKind.DRIVERS


def test_each_page_has_its_own_status_text(qtbot, populated, make_window):
    window = make_window()
    assert window.status.counts.text() == "4 boot image(s)"
    open_node(qtbot, window, "Sites")
    assert window.status.counts.text() == "Sites: 1 item(s)"
    open_node(qtbot, window, "Drivers")
    assert "driver catalog is empty" in window.status.counts.text()
    open_node(qtbot, window, "Boot Images")
    assert window.status.counts.text() == "4 boot image(s)"


def test_main_delete_and_properties_act_on_selected_drivers(qtbot, monkeypatch, populated, make_window, driver_catalog):
    from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog
    from console.ui.views.drivers_page import ConfirmDriverDelete

    window = make_window()
    page = open_node(qtbot, window, "Drivers")
    assert not page.findChildren(QToolBar), "the Drivers page has no second toolbar"
    assert not acts(window).delete.isEnabled() and not acts(window).properties.isEnabled()
    assert str(len(driver_catalog)) in window.status.counts.text()
    page.view.selectionModel().setCurrentIndex(
        page.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert acts(window).delete.isEnabled() and acts(window).properties.isEnabled()
    assert not acts(window).move.isEnabled() and not acts(window).reload.isEnabled()
    assert "1 selected" in window.status.counts.text()
    asked = []
    monkeypatch.setattr(ConfirmDriverDelete, "ask", classmethod(lambda cls, parent, drivers: asked.append(drivers) or False))
    acts(window).delete.trigger()
    wait_idle(qtbot, window)
    first = page.model.record(0)
    assert asked and asked[0][0][0] == first.ci_id
    acts(window).properties.trigger()
    dialog = page.findChild(DriverPropertiesDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.driver is not None, timeout=10000)
    dialog.close()
    # Refresh (F5) reads the driver catalog again
    window.console.drivers.set_enabled([first.ci_id], not first.is_enabled)  # changed behind the list
    acts(window).refresh.trigger()
    wait_idle(qtbot, window)
    assert page.model.record(page.model.row_of(first.ci_id)).is_enabled != first.is_enabled


# -- 25: the toolbar at 1024×700; no stubs; no roadmap numbers ---------------------------------


def test_every_enabled_toolbar_action_is_visible_at_1024x700(qtbot, populated, make_window):
    window = make_window()
    window.resize(1024, 700)
    select_row(qtbot, window, 0)
    qtbot.wait(100)
    [toolbar] = [t for t in window.findChildren(QToolBar) if t.objectName() == "homeToolbar"]
    texts = {a.text() for a in toolbar.actions()}
    assert "&Update Distribution Points…" in texts  # the build wizard (issue 9)
    assert "Distri&bute Content…" in texts  # the Distribute Content wizard (issue 10)
    assert "Create Boot M&edia…" in texts  # the Create Boot Media wizard (issue 12)
    for action in toolbar.actions():
        if action.isSeparator() or not action.isEnabled():
            continue
        button = toolbar.widgetForAction(action)
        assert isinstance(button, QToolButton) and button.isVisible(), f"{action.text()} is in the overflow"
        assert toolbar.rect().contains(button.geometry()), action.text()


def test_no_message_cites_a_roadmap_item_number():
    cited = []
    for path in (ROOT / "console").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"roadmap items? \d", line, re.IGNORECASE):
                cited.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not cited, "\n".join(cited)


def test_wizard_completion_pages_advise_nothing_that_cannot_be_done(qtbot, console, x64_package, tasks):
    from PySide6.QtWidgets import QWizard

    from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

    wizard = ScratchSpaceWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.choose.group.button(128).click()
    wizard.next()
    summary = wizard.currentPage().text.toPlainText()
    while wizard.currentId() != wizard.pageIds()[-1]:
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentPage().isComplete() or wizard.currentId() == wizard.pageIds()[-1], timeout=10000)
    done = wizard.currentPage().text.text()
    for text in (summary, done):
        assert "update the distribution points" not in text.lower()
        assert "next time distribution points are updated" not in text.lower()
    assert "not available in this console yet" in done
    wizard.button(QWizard.WizardButton.FinishButton).click()


# -- 26: smaller GUI items --------------------------------------------------------------------


def test_ctrl_end_into_rows_not_loaded_yet_shows_their_details(qtbot, monkeypatch, console, x64_facts, make_window):
    import console.ui.main_window as main_window
    import console.ui.models.package_tree_model as tree

    monkeypatch.setattr(tree, "BLOCK_SIZE", 5)  # 40 packages = 8 blocks; only the first loads at start
    monkeypatch.setattr(main_window, "DETAILS_DELAY_MS", 0)  # the details ask before the last block arrives
    for i in range(40):
        console.packages.create(name=f"Image {i:02d}", image_path=f"/images/{i}.wim", image=x64_facts)
    last = console.packages.query(_sorted_by_name(limit=1, descending=True)).items[0]["PackageID"]
    window = make_window()
    window.activateWindow()
    view = window.packages_page.view
    view.setCurrentIndex(window.packages_page.proxy.index(0, 0))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert view.currentIndex().row() == 39
    details = window.packages_page.details
    qtbot.waitUntil(lambda: details._values["PackageID"].text() == last and details.currentWidget() is details.tabs,
                    timeout=10000)
    assert acts(window).properties.isEnabled()


def _sorted_by_name(**kw):
    from console.core.ports import PackageQuery

    return PackageQuery(sort="Name", **kw)


def test_os_version_column_shows_a_real_build_whole(qtbot, console, x64_facts, make_window):
    from dataclasses import replace

    console.packages.create(name="Build", image_path="/b.wim", image=replace(x64_facts, os_version="10.0.26100.1742"))
    window = make_window()
    view = window.packages_page.view
    column = [view.model().headerData(i, Qt.Orientation.Horizontal) for i in range(view.model().columnCount())].index("OS Version")
    assert view.model().index(0, column).data() == "10.0.26100.1742"
    assert view.header().sectionSize(column) >= view.sizeHintForColumn(column)


def test_settings_text_wraps_instead_of_hard_newlines(qtbot, console, tasks):
    from console.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(console, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    from PySide6.QtWidgets import QLabel

    [help_text] = [label for label in dialog.findChildren(QLabel) if "Windows ADK's" in label.text()]
    assert "\n" not in help_text.text() and help_text.wordWrap()


def test_jobs_page_shows_either_the_grid_or_the_note(qtbot, populated, make_window):
    window = make_window()
    jobs = open_node(qtbot, window, "Jobs")
    qtbot.waitUntil(lambda: jobs.stack.currentWidget() is jobs.note, timeout=10000)
    assert jobs.note.isVisible() and jobs.note.text().startswith("No jobs.")
    assert not jobs.view.isVisible()
    sites = open_node(qtbot, window, "Sites")
    assert sites.view.isVisible() and not sites.note.isVisible()


# -- 14: an edited row moves to its sorted place ----------------------------------------------


def test_a_renamed_package_moves_to_its_sorted_place_and_stays_selected(qtbot, populated, make_window, console):
    window = make_window()
    pid = select_row(qtbot, window, 3)  # Delta
    window.packages_page.proxy.set_expanded(3, True)  # unfolded rows follow their package
    wait_idle(qtbot, window)
    result = console.packages.put(pid, {"Name": "Aardvark"}, expected_version=console.packages.get(pid)["SedoObjectVersion"])
    window.controller.changed.emit(result.changes)
    qtbot.waitUntil(lambda: names(window)[0] == "Aardvark", timeout=5000)
    wait_idle(qtbot, window)  # its images, components and drivers are read again too
    assert names(window) == ["Aardvark", "Alpha", "Bravo", "Charlie"]
    view = window.packages_page.view
    assert view.selected_package_ids() == [pid] and view.current_package_id() == pid
    assert view.currentIndex().row() == 0
    proxy = window.packages_page.proxy
    assert [proxy.index(r, 0).data() for r in range(5)] == [
        "Aardvark", "Images (1)", "Optional components (4)", "Drivers (0)", "Alpha"]


def test_a_reloaded_package_that_grew_moves_up_a_size_descending_sort(qtbot, console, x64_facts, make_window, winpe_x64_wim):
    from dataclasses import replace

    for i, name in enumerate(["Ten", "Twenty", "Thirty"], 1):
        console.packages.create(name=name, image_path=f"/{i}.wim", image=replace(x64_facts, size_kb=10 * i))
    grower = console.packages.create(name="Grower", image_path=str(winpe_x64_wim), image=replace(x64_facts, size_kb=1)).value
    window = make_window()
    view = window.packages_page.view
    column = [view.model().headerData(i, Qt.Orientation.Horizontal) for i in range(view.model().columnCount())].index("Size (KB)")
    view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    wait_idle(qtbot, window)
    assert names(window) == ["Thirty", "Twenty", "Ten", "Grower"]
    select_row(qtbot, window, 3)
    acts(window).reload.trigger()
    wait_idle(qtbot, window)
    assert console.packages.get(grower["PackageID"])["PackageSize"] > 30  # the real WIM
    qtbot.waitUntil(lambda: names(window)[0] == "Grower", timeout=5000)
    assert names(window) == ["Grower", "Thirty", "Twenty", "Ten"]
    assert view.selected_package_ids() == [grower["PackageID"]]


def test_long_values_in_the_details_and_the_drivers_banner_do_not_widen_the_window(qtbot, console, x64_facts, make_window):
    long_path = "/srv/images/" + "very-long-folder-name/" * 230 + "boot.wim"
    console.packages.create(name="Long", image_path=long_path, image=x64_facts)
    window = make_window()
    window.resize(1024, 700)
    qtbot.wait(50)
    width = window.width()
    select_row(qtbot, window, 0)
    qtbot.wait(100)
    assert window.packages_page.details._values["ImagePath"].text() == long_path
    assert window.width() == width
    page = open_node(qtbot, window, "Drivers")
    page.show_message(f"The driver catalog cannot be read: {long_path}", error=True)
    qtbot.wait(100)
    assert window.width() == width
