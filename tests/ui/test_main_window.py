"""The console window: package tree, navigation, filter, sort, folders, delete, persistence."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from console.ui.dialogs.folder_dialogs import ConfirmDeleteDialog, MoveToFolderDialog, NewFolderDialog
from console.ui.models.navigation_model import NavKind
from console.ui.models.package_tree_model import PACKAGE_MIME
from tests.ui.conftest import wait_idle


@pytest.fixture
def populated(console, x64_facts):
    names = ["Boot image (x64)", "Boot image (x86)", "WinPE 11 Lab", "Recovery tools", "Field engineers"]
    for i, name in enumerate(names):
        console.packages.create(name=name, image_path=f"/images/{i}.wim", version=f"1.{i}", image=x64_facts,
                                description="lab" if "Lab" in name else "")
    return console


def names_in_view(window) -> list[str]:
    model = window.package_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_models_pass_the_qt_model_tester(qtmodeltester, qtbot, populated, make_window):
    window = make_window()
    model = window.package_model
    qtmodeltester.check(model)
    first = model.index(0, 0)
    assert model.hasChildren(first)
    if model.canFetchMore(first):  # the tester may already have asked for the children
        model.fetchMore(first)
    wait_idle(qtbot, window)
    assert [model.index(r, 0, first).data() for r in range(model.rowCount(first))] == [
        "Images (1)", "Optional components (4)", "Drivers (0)"]  # x64_facts records one IMAGE
    qtmodeltester.check(model)
    qtmodeltester.check(window.navigation_model)
    qtmodeltester.check(window.packages_page.proxy)


def test_packages_unfold_like_a_tree(qtbot, qtmodeltester, populated, make_window):
    window = make_window()
    proxy = window.packages_page.proxy
    view = window.packages_page.view
    qtmodeltester.check(proxy)
    first = names_in_view(window)[0]
    view.setCurrentIndex(proxy.index(0, 0))
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    wait_idle(qtbot, window)
    assert proxy.rowCount() == 5 + 3
    assert [proxy.index(r, 0).data() for r in range(4)] == [first, "Images (1)", "Optional components (4)", "Drivers (0)"]
    assert proxy.index(4, 0).data() == names_in_view(window)[1]
    proxy.set_expanded(1, True)
    assert proxy.index(2, 0).data() == "1: (no name)"
    assert proxy.rowCount() == 5 + 4
    qtmodeltester.check(proxy)
    view.setCurrentIndex(proxy.index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert proxy.rowCount() == 5
    assert proxy.index(1, 0).data() == names_in_view(window)[1]


def test_lists_packages_sorted_with_counts(populated, make_window):
    window = make_window()
    assert names_in_view(window) == sorted(names_in_view(window), key=str.lower)
    assert len(names_in_view(window)) == 5
    assert window.status.counts.text() == "5 boot image(s)"
    assert window.package_model.index(0, 1).data().startswith("PS1000")


def test_sort_by_clicking_a_column(qtbot, populated, make_window):
    window = make_window()
    window.packages_page.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # Version
    wait_idle(qtbot, window)
    versions = [window.package_model.index(r, 2).data() for r in range(5)]
    assert versions == ["1.4", "1.3", "1.2", "1.1", "1.0"]


def test_filter_box_searches_name_id_version_comment(qtbot, populated, make_window):
    window = make_window()
    page = window.packages_page
    qtbot.keyClicks(page.filter, "x86")
    page.apply_filter_now()
    wait_idle(qtbot, window)
    assert names_in_view(window) == ["Boot image (x86)"]
    assert "1 boot image(s) matching the search" in window.status.counts.text()
    page.filter.setText("LAB")
    page.apply_filter_now()
    wait_idle(qtbot, window)
    assert names_in_view(window) == ["WinPE 11 Lab"]
    page.filter.clear()
    page.apply_filter_now()
    wait_idle(qtbot, window)
    assert len(names_in_view(window)) == 5


def test_ctrl_f_focuses_the_filter_and_f5_refreshes(qtbot, populated, make_window, console):
    window = make_window()
    assert window.console_actions.find.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    window.console_actions.find.trigger()
    assert QApplication.focusWidget() is window.packages_page.filter
    console.packages.create(name="Added elsewhere", image_path="/z.wim")
    assert QKeySequence("F5") in window.console_actions.refresh.shortcuts()
    window.console_actions.refresh.trigger()
    wait_idle(qtbot, window)
    assert "Added elsewhere" in names_in_view(window)


def test_column_chooser_hides_and_shows_columns(populated, make_window):
    window = make_window()
    view = window.packages_page.view
    menu = view.column_menu()
    comment = next(a for a in menu.actions() if a.text() == "Comment")
    assert comment.isChecked()
    comment.setChecked(False)
    assert view.header().isSectionHidden(10)
    default_image = next(a for a in view.column_menu().actions() if a.text() == "Default Image")
    assert not default_image.isChecked()
    default_image.setChecked(True)
    assert not view.header().isSectionHidden(11)
    assert not next(a for a in view.column_menu().actions() if a.text() == "Name").isEnabled()


def select_rows(window, rows):
    view = window.packages_page.view
    selection = view.selectionModel()
    view.clearSelection()
    for row in rows:
        index = window.packages_page.proxy.index(row, 0)
        selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)
        selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)


def test_delete_asks_first_and_lists_what_is_deleted(qtbot, monkeypatch, populated, make_window, console):
    window = make_window()
    select_rows(window, [0, 1])
    asked = []
    monkeypatch.setattr(ConfirmDeleteDialog, "ask", classmethod(lambda cls, parent, items: asked.append(items) or False))
    window.console_actions.delete.trigger()
    wait_idle(qtbot, window)
    assert [pid for pid, _ in asked[0]] == window.packages_page.view.selected_package_ids()
    assert console.packages.query().total == 5, "answering No deletes nothing"
    monkeypatch.setattr(ConfirmDeleteDialog, "ask", classmethod(lambda cls, parent, items: True))
    window.console_actions.delete.trigger()
    wait_idle(qtbot, window)
    assert console.packages.query().total == 3
    assert len(names_in_view(window)) == 3


def test_new_folder_and_move_with_dialog(qtbot, monkeypatch, populated, make_window, console):
    window = make_window()
    monkeypatch.setattr(NewFolderDialog, "ask", classmethod(lambda cls, parent, label: "Production"))
    window.console_actions.new_folder.trigger()
    wait_idle(qtbot, window)
    [folder] = console.folders.all()
    assert window.navigation_model.find_folder(folder.id).isValid()
    select_rows(window, [0])
    moved = window.packages_page.view.selected_package_ids()
    monkeypatch.setattr(MoveToFolderDialog, "ask", classmethod(lambda cls, parent, folders, count: folder.id))
    window.console_actions.move.trigger()
    wait_idle(qtbot, window)
    assert [p["PackageID"] for p in console.packages.query(_folder(folder.id)).items] == moved
    window.navigation.setCurrentIndex(window.navigation_model.find_folder(folder.id))
    wait_idle(qtbot, window)
    assert len(names_in_view(window)) == 1
    assert window.packages_page.title.text() == "Boot Images › Production"


def test_drag_packages_onto_a_folder_moves_them(qtbot, populated, make_window, console):
    folder = console.folders.create("Lab").value
    window = make_window()
    wait_idle(qtbot, window)
    select_rows(window, [2, 3])
    ids = window.packages_page.view.selected_package_ids()
    data = window.package_model.mimeData([window.package_model.index(2, 0), window.package_model.index(3, 0)])
    assert bytes(data.data(PACKAGE_MIME).data()).decode().split("\n") == ids
    target = window.navigation_model.find_folder(folder.id)
    assert window.navigation_model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target)
    window.navigation_model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target)
    wait_idle(qtbot, window)
    assert sorted(p["PackageID"] for p in console.packages.query(_folder(folder.id)).items) == sorted(ids)
    assert len(names_in_view(window)) == 3, "the moved packages left the top-level list"
    other = QMimeData()
    other.setText("not packages")
    assert not window.navigation_model.canDropMimeData(other, Qt.DropAction.MoveAction, -1, -1, target)
    drivers = window.navigation_model.match(window.navigation_model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Drivers", 1, Qt.MatchFlag.MatchRecursive)[0]
    assert not window.navigation_model.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, drivers)


def test_include_subfolders(qtbot, populated, make_window, console):
    parent = console.folders.create("Production").value
    child = console.folders.create("Windows 11", parent.id).value
    first = console.packages.query().items[0]["PackageID"]
    console.packages.move_to_folder([first], child.id)
    window = make_window()
    window.navigation.setCurrentIndex(window.navigation_model.find_folder(parent.id))
    wait_idle(qtbot, window)
    assert names_in_view(window) == []
    window.packages_page.subfolders.setChecked(True)
    wait_idle(qtbot, window)
    assert len(names_in_view(window)) == 1


def test_details_pane_shows_the_current_package(qtbot, populated, make_window):
    window = make_window()
    select_rows(window, [0])
    qtbot.waitUntil(lambda: window.packages_page.details.currentWidget() is window.packages_page.details.tabs, timeout=5000)
    wait_idle(qtbot, window)
    details = window.packages_page.details
    assert details._values["Name"].text() == names_in_view(window)[0]
    assert details._values["ScratchSpace"].text() == "512 MB"
    assert window.console_actions.properties.isEnabled()


def test_empty_site_shows_the_first_run_state(make_window):
    window = make_window()
    page = window.packages_page
    assert page.stack.currentWidget() is page.empty
    assert page.empty.add_button.accessibleName() == "Add Boot Image"
    assert not window.console_actions.delete.isEnabled()


def test_other_nodes_show_their_views(qtbot, populated, make_window):
    window = make_window()
    model = window.navigation_model

    def open_node(label):
        index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
        window.navigation.setCurrentIndex(index)
        wait_idle(qtbot, window)
        return window.pages.currentWidget()

    status = open_node("Status Messages")
    assert status.model.rowCount() == 5
    assert any("created from /images/" in status.model.index(r, 5).data() for r in range(5))
    sites = open_node("Sites")
    assert sites.model.index(0, 0).data() == "PS1"
    jobs = open_node("Jobs")
    qtbot.waitUntil(lambda: jobs.stack.currentWidget() is jobs.note, timeout=10000)
    assert jobs.note.text().startswith("No jobs.") and jobs.note.isVisible()
    dps = open_node("Distribution Points")
    assert model.kind(window.navigation.currentIndex()) == NavKind.DISTRIBUTION_POINTS
    assert dps.model.rowCount() == 0 and dps.empty.isVisible() and "Add Distribution Point" in dps.empty.text()
    content = open_node("Content Status")
    assert model.kind(window.navigation.currentIndex()) == NavKind.CONTENT_STATUS
    assert content.summaries.rowCount() == 0 and content.summaries.complete


def test_layout_persists_between_sessions(qtbot, populated, make_window, ui_settings):
    window = make_window()
    window.packages_page.view.header().setSectionHidden(3, True)
    window.packages_page.view.header().resizeSection(0, 333)
    window.splitter.setSizes([300, 1000])
    window.close()
    again = make_window(ui_settings)
    assert again.packages_page.view.header().isSectionHidden(3)
    assert again.packages_page.view.header().sectionSize(0) == 333
    assert again.splitter.sizes()[0] == 300


def test_every_action_has_a_keyboard_path(populated, make_window):
    window = make_window()
    a = window.console_actions
    assert a.delete.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    assert QKeySequence("Alt+Return") in a.properties.shortcuts()
    menu_actions = {act for m in window.menuBar().actions() for act in m.menu().actions()}
    for action in (a.add_boot_image, a.properties, a.reload, a.delete, a.new_folder, a.move, a.refresh, a.find):
        assert action in menu_actions, action.text()
    assert window.packages_page.view.accessibleName() == "Boot images"
    assert window.navigation.accessibleName() == "Navigation"


def _folder(folder_id):
    from console.core.ports import PackageQuery

    return PackageQuery(folder_id=folder_id)



def test_create_sample_boot_images_from_the_empty_state(qtbot, monkeypatch, tmp_path, make_window, console):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    window = make_window()
    page = window.packages_page
    assert page.stack.currentWidget() is page.empty
    page.empty.samples_button.click()
    assert not page.empty.samples_button.isEnabled(), "busy while the images are built"
    qtbot.waitUntil(lambda: console.packages.query().total >= 3 and not window.tasks.running, timeout=60000)
    wait_idle(qtbot, window)
    assert page.stack.currentWidget() is page.splitter
    assert page.empty.samples_button.isEnabled()
    architectures = {p["Architecture"] for p in console.packages.query().items}
    assert architectures == {"x64", "x86"}
    assert len(list((tmp_path / "data" / "bootimage-console" / "samples").rglob("*.wim"))) == 3


def test_dropping_a_wim_opens_the_add_boot_image_wizard_prefilled(qtbot, make_window, winpe_x64_wim):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard

    window = make_window()
    view = window.packages_page.view
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(winpe_x64_wim))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    wizard = window.findChild(AddBootImageWizard)
    assert wizard is not None
    assert wizard.data_source.path.text() == str(winpe_x64_wim)
    qtbot.waitUntil(lambda: wizard.data_source.info is not None, timeout=10000)
    assert wizard.data_source.model.rowCount() == 1
    wizard.reject()
