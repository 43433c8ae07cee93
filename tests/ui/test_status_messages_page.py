"""Monitoring › Status Messages: filter, and each message in full with old → new values."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.ui.models.navigation_model import NavKind
from console.ui.views.status_messages_page import StatusMessageDialog, StatusMessagesPage
from tests.ui.conftest import wait_idle


def _open_page(qtbot, window) -> StatusMessagesPage:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Status Messages", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    page = window.pages.currentWidget()
    assert isinstance(page, StatusMessagesPage) and model.kind(index) == NavKind.STATUS_MESSAGES
    return page


def test_filter_and_open_a_change_in_full(qtbot, monkeypatch, console, x64_package, make_window):
    console.packages.put("PS100001", {"Name": "Lab x64", "ScratchSpace": 256, "Description": "long " * 20})
    window = make_window()
    page = _open_page(qtbot, window)
    assert page.model.rowCount() == 2
    page.search.setText("scratchspace")  # the values are the audit's; the text names the properties
    assert page.model.rowCount() == 1
    changed = page.model.record(0)
    assert changed.text == "Properties changed: Description, Name, ScratchSpace"
    page.severity.setCurrentIndex(page.severity.findData("error"))  # a query: read again
    qtbot.waitUntil(lambda: page.note.text() == "No error messages.", timeout=10000)
    assert page.model.rowCount() == 0
    page.severity.setCurrentIndex(0)
    qtbot.waitUntil(lambda: "of the 2 newest messages" in page.note.text(), timeout=10000)
    page.search.clear()
    page.package.setText("PS1000FF")
    assert page.model.rowCount() == 0
    page.package.setText("ps100001")
    assert page.model.rowCount() == 2

    opened: list[StatusMessageDialog] = []

    def look(dialog: StatusMessageDialog) -> int:
        opened.append(dialog)
        dialog.show()
        dialog.grab().save("/tmp/status-message-dialog.png")
        return 0

    monkeypatch.setattr(StatusMessageDialog, "exec", look)
    row = next(r for r in range(page.model.rowCount()) if page.model.record(r).id == changed.id)
    page.view.setCurrentIndex(page.model.index(row, 0))
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)  # the values are read from the audit in the background
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=10000)
    dialog = opened[0]
    assert dialog.text.toPlainText() == changed.text
    table = dialog.changes
    rows = [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]
    assert rows[1:] == [("Name", "Boot image (x64)", "Lab x64"), ("ScratchSpace", "512 MB", "256 MB")]
    assert rows[0][:2] == ("Description", "(empty)") and rows[0][2].startswith("long long")


def test_the_time_column_shows_the_whole_time(qtbot, console, x64_package, make_window):
    """The newest-first list is read by its time: the column is wide enough for all of it."""
    window = make_window()
    page = _open_page(qtbot, window)
    assert page.model.rowCount() == 1
    text = page.model.index(0, 0).data()
    needed = page.view.fontMetrics().horizontalAdvance(text) + 2 * page.view.style().pixelMetric(
        page.view.style().PixelMetric.PM_FocusFrameHMargin) + 8
    assert page.view.header().sectionSize(0) >= needed, text


def test_the_severity_filter_finds_an_error_older_than_the_newest_messages_read(qtbot, console, make_window):
    """1,100 newer messages than the one error: the page reads the newest 1,000, but the
    severity filter asks the database, so the error is listed."""
    from tests.list_data import add_status_messages

    add_status_messages(console.engine, 1, severity="error")
    add_status_messages(console.engine, 1_100)
    window = make_window()
    page = _open_page(qtbot, window)
    assert page.model.rowCount() == 1000 and all(page.model.record(r).severity == "information" for r in range(1000))
    page.severity.setCurrentIndex(page.severity.findData("error"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    assert page.model.record(0).severity == "error" and page.note.text().startswith("The 1 newest error messages")
    wait_idle(qtbot, window)
