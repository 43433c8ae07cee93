"""Administration › Distribution Points (issue 10, sections 1 and 4): the list, the Add/Edit
Distribution Point dialog with Test connection, Remove saying what the DP holds, and the
group dialog with its members chooser — on real services, a real SQLite site and folder DPs
in tmp."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from console.core.distribution import DistributionPoint, DpState, TransportKind
from console.ui.dialogs.dp_dialog import DistributionPointDialog
from console.ui.dialogs.dp_group_dialog import DpGroupDialog
from console.ui.models.navigation_model import NavKind
from console.ui.views.dp_page import DistributionPointsPage
from tests.ui.conftest import wait_idle
from tests.ui.dp_fixtures import jobs_stay_queued  # noqa: F401 (a fixture)
from tests.ui.mnemonics import clashes, menu_clashes
from tests.ui.test_mnemonics import check_tabs

pytestmark = pytest.mark.usefixtures("jobs_stay_queued")


def _open_add_dialog(qtbot, page: DistributionPointsPage) -> DistributionPointDialog:
    """Add Distribution Point…, once its dialog is shown."""
    page.add_action.trigger()
    qtbot.waitUntil(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible(), timeout=10000)
    return page.dialog


def _open_page(qtbot, window) -> DistributionPointsPage:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Distribution Points", 1,
                        Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    page = window.extra_pages[NavKind.DISTRIBUTION_POINTS]
    assert window.pages.currentWidget() is page
    wait_idle(qtbot, window)
    return page


def _add_folder_dp(console, root: Path, name: str) -> DistributionPoint:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return console.distribution_points.add(DistributionPoint(name, TransportKind.FOLDER, str(folder))).value


def test_add_a_folder_dp_through_the_dialog_test_it_and_see_it_listed(qtbot, console, tmp_path, make_window):
    window = make_window()
    page = _open_page(qtbot, window)
    assert page.empty.isVisible() and page.model.rowCount() == 0
    assert not clashes(page), clashes(page)
    assert not menu_clashes(page.view.actions()) and not menu_clashes(page.groups_view.actions())
    QAbstractItemModelTester(page.model, QAbstractItemModelTester.FailureReportingMode.Fatal)

    page.add_action.trigger()
    qtbot.waitUntil(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible(), timeout=10000)
    dialog = page.dialog
    assert isinstance(dialog, DistributionPointDialog)
    ui = dialog.ui
    assert ui.site_code.text() == "PS1" and ui.site_code.isReadOnly()
    check_tabs(dialog)  # every tab: no two controls answer the same Alt+key
    dialog.tabs.setCurrentIndex(0)

    # wrong input is named next to its field, nothing is saved
    ui.name.setText("DP 01")
    ui.address.setText("relative/dp01")
    dialog.accept_input()
    assert dialog.isVisible()
    assert "letters, digits" in dialog.ui.errors["name"].text() and dialog.ui.errors["name"].isVisible()
    assert "absolute path" in dialog.ui.errors["address"].text()
    assert dialog.tabs.currentIndex() == 0, "the first tab with a problem is shown"
    assert console.distribution_points.list() == []

    # the address's placeholder follows the transport
    ui.transport.setCurrentIndex(ui.transport.findData("ssh"))
    assert "[user@]server[:port]:/path" in ui.address.placeholderText() and ui.key_file.isEnabled()
    ui.transport.setCurrentIndex(ui.transport.findData("folder"))
    assert "/srv/dp01" in ui.address.placeholderText() and not ui.password.isEnabled()

    folder = tmp_path / "dp01"
    folder.mkdir()
    ui.name.setText("DP01.contoso.com")
    ui.address.setText(str(folder))
    ui.pxe.setChecked(True)
    ui.rate_limited.setChecked(True)
    ui.rate.setValue(2048)
    ui.schedule.hours[3].click()  # closed 03:00-04:00
    dialog.test_connection()
    qtbot.waitUntil(lambda: ui.test_result.text() != "", timeout=10000)
    assert "deleted a probe file" in ui.test_result.text() and " free" in ui.test_result.text()
    assert list(folder.rglob(".bootimage-probe*")) == [], "the probe file was deleted"

    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.accept_input()
    [saved] = console.distribution_points.list()
    assert (saved.name, saved.pxe, saved.rate_limit_kbps, saved.schedule[3]) == ("DP01.contoso.com", True, 2048, "c")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    assert page.model.index(0, 0).data() == "DP01.contoso.com"
    assert page.model.index(0, 1).data() == "folder" and page.model.index(0, 3).data() == "Yes"
    assert not page.empty.isVisible()
    wait_idle(qtbot, window)


def test_edit_keeps_the_name_and_saves_changes(qtbot, console, tmp_path, make_window):
    _add_folder_dp(console, tmp_path, "DP01")
    window = make_window()
    page = _open_page(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.view.selectRow(0)
    window.console_actions.properties.trigger()  # the window's Properties acts on the shown page
    qtbot.waitUntil(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog.isVisible(), timeout=10000)
    dialog = page.dialog
    assert dialog.ui.name.isReadOnly() and dialog.ui.name.text() == "DP01"
    assert dialog.ui.password_state.text() == "Not set."
    dialog.ui.description.setText("Branch office")
    dialog.ui.maintenance.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.accept_input()
    dp = console.distribution_points.get("DP01")
    assert dp.description == "Branch office" and dp.maintenance
    qtbot.waitUntil(lambda: page.model.index(0, 0).data() == "DP01 (maintenance)", timeout=10000)
    wait_idle(qtbot, window)


def test_test_connection_on_the_list_reports_the_cause(qtbot, console, tmp_path, make_window):
    dp = _add_folder_dp(console, tmp_path, "DP02")
    Path(dp.address).rmdir()
    (tmp_path / "DP02").write_text("not a folder")
    window = make_window()
    page = _open_page(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.view.selectRow(0)
    page.test_action.trigger()
    qtbot.waitUntil(lambda: "could not" in page.message.text(), timeout=10000)
    assert "DP02" in page.message.text()
    wait_idle(qtbot, window)


def test_remove_says_what_content_the_dp_holds(qtbot, console, tmp_path, make_window, x64_package):
    _add_folder_dp(console, tmp_path, "DP03")
    pid = x64_package["PackageID"]
    console.content.distribute(pid, dp_names=["DP03"])
    window = make_window()
    page = _open_page(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.view.selectRow(0)
    window.console_actions.delete.trigger()
    qtbot.waitUntil(lambda: page.confirmation is not None and page.confirmation.isVisible(), timeout=10000)
    box = page.confirmation
    assert "It holds 1 package(s)" in box.informativeText() and pid in box.informativeText()
    assert DpState.INSTALL_PENDING.label.lower() in box.informativeText()
    box.reject()
    assert [d.name for d in console.distribution_points.list()] == ["DP03"], "Cancel removes nothing"
    page.ask_remove()
    qtbot.waitUntil(lambda: page.confirmation is not None and page.confirmation.isVisible(), timeout=10000)
    confirm = next(b for b in page.confirmation.buttons() if b.text() == "&Remove")
    confirm.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=10000)
    assert console.distribution_points.list() == []
    assert "removed" in page.message.text()
    wait_idle(qtbot, window)


def test_group_dialog_members_chooser_searches_adds_and_removes(qtbot, console, tmp_path, make_window):
    for name in ("DP-Berlin", "DP-Munich", "DP-Paris"):
        _add_folder_dp(console, tmp_path, name)
    window = make_window()
    page = _open_page(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
    page.add_group_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, DpGroupDialog)
    assert not clashes(dialog), clashes(dialog)
    chooser = dialog.chooser
    dialog.accept_input()
    assert "Enter the group's name" in dialog.error.text()
    dialog.name.setText("Germany")
    chooser.search.setText("dp-")
    chooser.search.setText("mu")
    shown = [chooser.available.item(i).text() for i in range(chooser.available.count())
             if not chooser.available.item(i).isHidden()]
    assert shown == ["DP-Munich"]
    chooser.search.clear()
    for i in range(chooser.available.count()):
        chooser.available.item(i).setSelected(chooser.available.item(i).text() in ("DP-Berlin", "DP-Munich", "DP-Paris"))
    chooser.add_selected()
    chooser.members.findItems("DP-Paris", Qt.MatchFlag.MatchExactly)[0].setSelected(True)
    for item in chooser.members.selectedItems():
        item.setSelected(item.text() == "DP-Paris")
    chooser.remove_selected()
    assert chooser.member_names() == ("DP-Berlin", "DP-Munich")
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.accept_input()
    assert console.dp_groups.get("Germany").members == ("DP-Berlin", "DP-Munich")
    qtbot.waitUntil(lambda: page.groups_model.rowCount() == 1, timeout=10000)
    assert page.groups_model.index(0, 1).data() == 2
    QAbstractItemModelTester(page.groups_model, QAbstractItemModelTester.FailureReportingMode.Fatal)

    # edit: one member out, one in
    page.groups_view.selectRow(0)
    page.edit_group_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, DpGroupDialog) and dialog.chooser.member_names() == ("DP-Berlin", "DP-Munich")
    members = dialog.chooser.members
    for i in range(members.count()):
        members.item(i).setSelected(members.item(i).text() == "DP-Berlin")
    dialog.chooser.remove_selected()
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.accept_input()
    assert console.dp_groups.get("Germany").members == ("DP-Munich",)
    wait_idle(qtbot, window)


def test_a_password_goes_to_the_secrets_store_and_shows_as_set(qtbot, console, tmp_path, make_window):
    window = make_window()
    page = _open_page(qtbot, window)
    dialog = _open_add_dialog(qtbot, page)
    ui = dialog.ui
    ui.name.setText("DP07")
    ui.transport.setCurrentIndex(ui.transport.findData("smb"))
    assert ui.password.isEnabled() and ui.password.echoMode() == ui.password.EchoMode.Password
    ui.address.setText(r"\\127.0.0.1:4450\content")
    ui.username.setText("svc-dp")
    ui.password.setText("S3cret-Pa55")
    ui.password.textEdited.emit("S3cret-Pa55")
    assert "will be stored in the site's secrets store" in ui.password_state.text()
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        dialog.accept_input()
    dp = console.distribution_points.get("DP07")
    assert dp.credential and dp.username == "svc-dp"
    assert console.open_secrets().password(dp.credential) == "S3cret-Pa55"
    database = Path(console.url.removeprefix("sqlite:///"))
    assert b"S3cret-Pa55" not in database.read_bytes(), "the database holds no password"

    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.view.selectRow(0)
    page.edit_point()
    qtbot.waitUntil(lambda: isinstance(page.dialog, DistributionPointDialog) and page.dialog is not dialog
                    and page.dialog.isVisible(), timeout=10000)
    again = page.dialog
    assert again.ui.password.text() == "" and again.ui.password_state.text().startswith("Set")
    again.reject()
    wait_idle(qtbot, window)


def test_test_connection_uses_the_typed_password_against_a_real_smb_server(qtbot, console, smb_server, make_window):
    import shutil

    (smb_server.share / "dp-gui").mkdir(exist_ok=True)
    shutil.chown(smb_server.share / "dp-gui", smb_server.user, smb_server.user)
    window = make_window()
    page = _open_page(qtbot, window)
    dialog = _open_add_dialog(qtbot, page)
    ui = dialog.ui
    ui.name.setText("DP08")
    ui.transport.setCurrentIndex(ui.transport.findData("smb"))
    ui.address.setText(smb_server.address("dp", "dp-gui"))
    ui.username.setText(smb_server.user)
    ui.password.setText("not-the-password")
    dialog.test_connection()
    qtbot.waitUntil(lambda: ui.test_result.text() != "", timeout=30000)
    assert ui.test_result.text().startswith("✘") and "authentication refused" in ui.test_result.text().lower()
    ui.password.setText(smb_server.password)
    dialog.test_connection()
    qtbot.waitUntil(lambda: ui.test_result.text().startswith("✔"), timeout=30000)
    assert "deleted a probe file" in ui.test_result.text()
    assert console.distribution_points.list() == [], "testing saves nothing"
    assert console.open_secrets().password("dp:dp08") is None, "a typed password is kept nowhere until saved"
    dialog.reject()
    wait_idle(qtbot, window)


def test_the_list_follows_content_states_and_edits_live_and_keeps_the_selection(qtbot, console, tmp_path, make_window,
                                                                               x64_package):
    for name in ("DP05", "DP06", "DP07"):
        _add_folder_dp(console, tmp_path, name)
    pid = x64_package["PackageID"]
    console.content.distribute(pid, dp_names=["DP05", "DP06", "DP07"])
    window = make_window()
    page = _open_page(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10000)
    page.select_point("DP06")
    scrolled = page.view.verticalScrollBar().value()
    installed = 4  # the Installed column
    row = next(r for r in range(3) if page.model.point(r).name == "DP06")
    assert page.model.index(row, installed).data() == 0
    # a worker installs the package on DP06, another console puts DP07 in maintenance mode
    console.content.set_state(pid, "DP06", DpState.INSTALLED, source_version=1)
    console.distribution_points.edit("DP07", maintenance=True)
    qtbot.waitUntil(lambda: page.model.index(row, installed).data() == 1, timeout=5000)
    qtbot.waitUntil(lambda: any(page.model.index(r, 0).data() == "DP07 (maintenance)" for r in range(3)),
                    timeout=5000)
    assert page.selected_point() is not None and page.selected_point().name == "DP06", "the selection stays"
    assert page.view.verticalScrollBar().value() == scrolled
    # a DP removed elsewhere goes from the list; the selected one stays selected
    console.distribution_points.remove("DP05", force=True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)
    assert page.selected_point().name == "DP06"
    wait_idle(qtbot, window)


def test_set_security_scopes_of_a_distribution_point(qtbot, console, tmp_path, make_window):
    from shiboken6 import isValid

    from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog

    console.security.add_scope("Lab")
    _add_folder_dp(console, tmp_path, "DP01")
    window = make_window()
    page = _open_page(qtbot, window)
    page.view.selectRow(0)
    assert page.scopes_action in page.view.actions() and page.scopes_action.isEnabled()
    page.scopes_action.trigger()
    dialog = page.findChild(SecurityScopesDialog)
    qtbot.waitUntil(lambda: dialog.scopes.count() == 2, timeout=10000)
    dialog.scopes.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.scopes.item(1).setCheckState(Qt.CheckState.Checked)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not (isValid(dialog) and dialog.isVisible()), timeout=10000)  # closed, deleted
    wait_idle(qtbot, window)
    assert console.security.object_scopes("DP01") == ["Lab"]


def test_a_missing_key_file_is_named_next_to_its_field(qtbot, console, tmp_path, make_window):
    window = make_window()
    page = _open_page(qtbot, window)
    dialog = _open_add_dialog(qtbot, page)
    ui = dialog.ui
    ui.name.setText("DP02")
    ui.transport.setCurrentIndex(ui.transport.findData("ssh"))
    ui.address.setText("deploy@dp02.contoso.com:/srv/dp")
    ui.key_file.setText(str(tmp_path / "id_ed25519"))
    dialog.accept_input()
    qtbot.waitUntil(lambda: dialog.ui.errors["key_file"].isVisible(), timeout=10000)
    assert f"the SSH key file {tmp_path / 'id_ed25519'} does not exist" in dialog.ui.errors["key_file"].text()
    assert dialog.isVisible() and console.distribution_points.list() == []
    dialog.reject()
    wait_idle(qtbot, window)
