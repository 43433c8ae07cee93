"""Folders in the navigation tree: rename (F2), move and delete (contents move up)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.core.ports import PackageQuery
from console.ui.dialogs.folder_dialogs import DeleteFolderDialog, MoveFolderDialog, RenameFolderDialog
from tests.ui.conftest import wait_idle


def _window_with_folders(qtbot, console, x64_facts, make_window):
    lab = console.folders.create("Lab").value
    prod = console.folders.create("Production").value
    console.packages.create(name="In lab", image_path="/images/a.wim", image=x64_facts, folder_id=lab.id)
    window = make_window()
    window.navigation.setCurrentIndex(window.navigation_model.find_folder(lab.id))
    wait_idle(qtbot, window)
    return window, lab, prod


def test_f2_renames_the_current_folder(qtbot, monkeypatch, console, x64_facts, make_window):
    window, lab, _ = _window_with_folders(qtbot, console, x64_facts, make_window)
    asked = []
    monkeypatch.setattr(RenameFolderDialog, "ask",
                        classmethod(lambda cls, parent, current: asked.append(current) or "Lab x64"))
    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_F2)
    wait_idle(qtbot, window)
    assert asked == ["Lab"]
    assert console.folders.get(lab.id).name == "Lab x64"
    assert window.navigation_model.find_folder(lab.id).data() == "Lab x64"
    menu_texts = [a.text() for a in window.navigation.actions()]
    assert {"&Rename Folder…", "Mo&ve Folder…", "&Delete Folder…"} <= set(menu_texts)


def test_move_folder_offers_only_folders_outside_its_branch(qtbot, monkeypatch, console, x64_facts, make_window):
    window, lab, prod = _window_with_folders(qtbot, console, x64_facts, make_window)
    child = console.folders.create("Child", lab.id).value
    window.controller.refresh()
    wait_idle(qtbot, window)
    window.navigation.setCurrentIndex(window.navigation_model.find_folder(lab.id))
    offered = []
    monkeypatch.setattr(MoveFolderDialog, "ask",
                        classmethod(lambda cls, parent, folders, name: offered.extend(folders) or prod.id))
    window.folder_actions.move_folder.trigger()
    wait_idle(qtbot, window)
    assert [fid for fid, _ in offered] == [0, prod.id]
    assert console.folders.get(lab.id).parent_id == prod.id and console.folders.get(child.id).parent_id == lab.id


def test_delete_folder_asks_and_moves_its_boot_images_up(qtbot, monkeypatch, console, x64_facts, make_window):
    window, lab, _ = _window_with_folders(qtbot, console, x64_facts, make_window)
    asked = []
    monkeypatch.setattr(DeleteFolderDialog, "ask", classmethod(
        lambda cls, parent, name, packages, subfolders, label: asked.append((name, packages, subfolders, label)) or False))
    window.folder_actions.delete_folder.trigger()
    wait_idle(qtbot, window)
    assert asked == [("Lab", 1, 0, "Boot Images")]
    assert len(console.folders.all()) == 2
    monkeypatch.setattr(DeleteFolderDialog, "ask", classmethod(lambda cls, *args: True))
    window.folder_actions.delete_folder.trigger()
    wait_idle(qtbot, window)
    assert [f.name for f in console.folders.all()] == ["Production"]
    assert console.packages.query(PackageQuery(folder_id=0)).total == 1
    assert not window.navigation_model.find_folder(lab.id).isValid()


def test_folder_actions_are_disabled_outside_folders(qtbot, console, x64_facts, make_window):
    window, _, _ = _window_with_folders(qtbot, console, x64_facts, make_window)
    window.navigation.setCurrentIndex(window.navigation_model.boot_images.index())
    assert not window.folder_actions.rename.isEnabled() and not window.folder_actions.delete_folder.isEnabled()
