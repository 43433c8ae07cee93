"""Monitoring › Audit: the records newest first, the filters (a query each), the selected record's
old → new values, and More for older records."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.ui.models.navigation_model import NavKind
from console.ui.views import audit_page
from console.ui.views.audit_page import AuditPage
from tests.ui.conftest import wait_idle


def _open_page(qtbot, window) -> AuditPage:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Audit", 1, Qt.MatchFlag.MatchRecursive)[0]
    assert index.parent().data() == "Monitoring"
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    page = window.pages.currentWidget()
    assert isinstance(page, AuditPage) and model.kind(index) == NavKind.AUDIT
    qtbot.waitUntil(lambda: not page.loading, timeout=10000)
    return page


def _changes(page: AuditPage) -> list[tuple[str, ...]]:
    table = page.changes
    return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]


def test_records_filters_and_the_old_and_new_values(qtbot, console, x64_package, make_window):
    console.packages.put("PS100001", {"Name": "Lab x64", "ScratchSpace": 256})
    window = make_window()
    page = _open_page(qtbot, window)
    actions = [page.model.index(r, 2).data() for r in range(page.model.rowCount())]
    assert actions[:2] == ["Changed", "Created"]  # newest first (the site itself was created first)
    assert page.model.index(0, 1).data() == "alice@console1"
    assert _changes(page) == [("Name", "Boot image (x64)", "Lab x64"), ("ScratchSpace", "512 MB", "256 MB")]
    assert "by alice@console1 from" in page.detail_title.text()
    page.grab().save("/tmp/audit-page.png")

    page.action.setCurrentIndex(page.action.findData("changed"))  # a query: read again
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10000)
    page.action.setCurrentIndex(0)
    page.object_id.setText("PS1000FF")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and not page.loading, timeout=10000)
    assert page.note.text() == "No audit records match the filters."
    page.object_id.setText("ps100001")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10000)
    page.user.setText("bob")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 and not page.loading, timeout=10000)
    page.user.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10000)
    page.since.setCurrentIndex(1)  # last hour: both
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and not page.loading, timeout=10000)
    page.view.setCurrentIndex(page.model.index(1, 0))
    assert ("Name", "(empty)", "Boot image (x64)") in _changes(page)


def test_more_reads_older_records(qtbot, monkeypatch, console, x64_package, make_window):
    monkeypatch.setattr(audit_page, "PAGE_SIZE", 2)
    for n in range(3):
        console.packages.put("PS100001", {"Description": f"change {n}"})
    window = make_window()
    page = _open_page(qtbot, window)
    assert page.model.rowCount() == 2 and page.more.isEnabled()
    page.more.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=10000)
    ids = [page.model.record(r).id for r in range(4)]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
