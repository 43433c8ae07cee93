"""Set Security Scopes… and who is connected, in the real window (offscreen); a refusal of the
database (PostgreSQL row-level security) shown in the error dialog."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from console.core.security import OSD_MANAGER
from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog
from tests.postgres import login_url
from tests.ui.conftest import wait_idle


def _check(dialog: SecurityScopesDialog, names: set[str]) -> None:
    for i in range(dialog.scopes.count()):
        item = dialog.scopes.item(i)
        item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)


def test_set_security_scopes_from_the_boot_image_menu(qtbot, console, make_window, x64_package):
    console.security.add_scope("Lab", "lab machines")
    window = make_window()
    assert window.status.identity.text() == f"{console.identity.login} (Full Administrator; all scopes) on PS1"
    assert console.identity.login in window.windowTitle()
    window.packages_page.view.selectRow(0)
    window.console_actions.security_scopes.trigger()
    qtbot.waitUntil(lambda: bool(window.findChildren(SecurityScopesDialog)), timeout=10000)
    dialog = window.findChildren(SecurityScopesDialog)[0]
    qtbot.waitUntil(lambda: dialog.scopes.count() == 2, timeout=10000)
    assert dialog.chosen() == ["Default"]
    _check(dialog, set())
    assert not dialog.ok_button.isEnabled() and dialog.note.text() == "Choose at least one security scope."
    _check(dialog, {"Lab"})
    dialog.grab().save("/tmp/set-security-scopes.png")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    wait_idle(qtbot, window)
    assert console.packages.get("PS100001")["SecuredScopeNames"] == ("Lab",)


def test_a_refusal_of_the_database_is_shown_in_the_error_dialog(qtbot, tasks, postgres_server, postgres_site_template):
    from console.app import open_console

    name = postgres_server.create_database(template=postgres_site_template)
    owner = open_console(postgres_server.url(name))
    try:
        owner.init_site("PS1")
        owner.security.add_scope("Lab")
        owner.security.add_scope("Production")
        pid = owner.packages.create(name="Lab x64", image_path="/x.wim").value["PackageID"]
        owner.security.set_object_scopes(pid, ["Lab"])
    finally:
        owner.close()
    login = f"osd_{uuid.uuid4().hex[:8]}"
    console = open_console(login_url(postgres_server.url(name), login, OSD_MANAGER, scopes=("Lab",)))
    try:
        dialog = SecurityScopesDialog(console, pid, f"Lab x64 ({pid})", tasks)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: dialog.scopes.count() == 3, timeout=10000)
        _check(dialog, {"Production"})
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: any(b.isVisible() for b in dialog.findChildren(QMessageBox)), timeout=10000)
        box = next(b for b in dialog.findChildren(QMessageBox) if b.isVisible())
        assert box.windowTitle() == "Access denied"
        assert box.text() == (f"you ({login}) have the Operating System Deployment Manager role on site PS1: you cannot "
                              f"change boot image {pid} (new row violates row-level security policy: security scope "
                              "Production is not one of yours); nothing was changed")
        box.grab().save("/tmp/refused-action.png")
        assert dialog.isVisible() and dialog.chosen() == ["Production"]  # the choice is kept
        box.close()
        assert console.security.object_scopes(pid) == ["Lab"]
    finally:
        tasks.wait()
        console.close()
        postgres_server.drop_database(name)
