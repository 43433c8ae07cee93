"""The Distribution Point dialog's own checks and its schedule grid (real widgets, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.core.distribution import ALWAYS_OPEN, TransportKind
from console.ui.dialogs import dp_form
from console.ui.dialogs.dp_schedule import ScheduleGrid, describe_schedule


@pytest.mark.parametrize(("kind", "address"), [
    (TransportKind.FOLDER, "/srv/dp01"),
    (TransportKind.SMB, r"\\dp01.contoso.com\SCCMContent"),
    (TransportKind.SMB, r"\\127.0.0.1:4450\share\sub"),
    (TransportKind.SSH, "dp01:/srv/content"),
    (TransportKind.SSH, "svc@127.0.0.1:2222:/srv/content"),
])
def test_addresses_each_transport_accepts(kind, address):
    assert dp_form.check_address(kind, address) == ""


@pytest.mark.parametrize(("kind", "address", "says"), [
    (TransportKind.FOLDER, "", "Enter the address"),
    (TransportKind.FOLDER, "relative/dp", "absolute path"),
    (TransportKind.SMB, "/srv/dp01", r"\\server\share"),
    (TransportKind.SMB, r"\\host:99999\share", "out of range"),
    (TransportKind.SSH, r"\\host\share", "server:/absolute/path"),
    (TransportKind.SSH, "host:relative", "server:/absolute/path"),
])
def test_addresses_wrong_for_the_transport_say_what_is_expected(kind, address, says):
    assert says in dp_form.check_address(kind, address)


def test_name_and_library_root_checks():
    assert "Enter the server name" in dp_form.check_name(" ")
    assert "letters, digits" in dp_form.check_name("DP 01")
    assert dp_form.check_name("DP01.contoso.com") == ""
    assert ".." in dp_form.check_library_root("../up")
    assert dp_form.check_library_root("SCCMContentLib") == ""
    assert "absolute" in dp_form.check_key_file(TransportKind.SSH, "id_rsa")
    assert dp_form.check_key_file(TransportKind.FOLDER, "id_rsa") == ""


def test_schedule_grid_toggles_hours_and_says_when_it_is_open(qtbot):
    grid = ScheduleGrid()
    qtbot.addWidget(grid)
    assert grid.schedule() == ALWAYS_OPEN
    with qtbot.waitSignal(grid.changed) as emitted:
        qtbot.mouseClick(grid.hours[3], Qt.MouseButton.LeftButton)
    assert emitted.args == ["ooocoooooooooooooooooooo"]
    grid.close_all.click()
    assert grid.schedule() == "c" * 24
    assert "Closed all day" in grid.legend.text()
    grid.set_schedule("cccccc" + "o" * 16 + "cc")
    assert grid.legend.text().startswith("Open 06:00–22:00")
    grid.hours[10].setFocus()
    qtbot.keyClick(grid.hours[10], Qt.Key.Key_Space)
    assert grid.schedule()[10] == "c"


def test_describe_schedule_ranges():
    assert describe_schedule("o" * 2 + "c" * 20 + "o" * 2).startswith("Open 00:00–02:00, 22:00–24:00")
