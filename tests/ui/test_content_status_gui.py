"""Monitoring › Content Status, Properties › Content Locations and the details pane's content
line (issue 10, section 4), with real states set through the service: installed, retrying
with its cause, failed with its cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from console.core.distribution import DistributionPoint, DpState, TransportKind
from console.ui.models.navigation_model import NavKind
from console.ui.propertysheet.properties_dialog import PropertiesDialog
from console.ui.views.content_status_page import ContentStatusPage
from tests.ui.conftest import wait_idle
from tests.ui.dp_fixtures import jobs_stay_queued  # noqa: F401 (a fixture)
from tests.ui.mnemonics import clashes

RETRY_AT = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("jobs_stay_queued")


def _site_with_states(console, root: Path, x64_facts) -> str:
    for name in ("DP01", "DP02", "DP03", "DP04"):
        (root / name).mkdir(parents=True, exist_ok=True)
        console.distribution_points.add(DistributionPoint(name, TransportKind.FOLDER, str(root / name)))
    pid = str(console.packages.create(name="WinPE x64", image_path="/images/boot.wim", image_index=1,
                                      image=x64_facts).value["PackageID"])
    console.content.distribute(pid, dp_names=["DP01", "DP02", "DP03", "DP04"])
    content = console.content
    content.set_state(pid, "DP01", DpState.INSTALLED, source_version=1, target_version=1,
                      last_copied=datetime.now(UTC) - timedelta(minutes=5))
    content.set_state(pid, "DP02", DpState.INSTALL_RETRYING, last_error="[Errno 111] Connection refused",
                      error_cause="unreachable", next_retry=RETRY_AT)
    content.set_state(pid, "DP03", DpState.INSTALL_FAILED, last_error="disk full on /srv/dp03 (0 bytes free)",
                      error_cause="disk_full")
    return pid


def _show_content_status(qtbot, window) -> ContentStatusPage:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Content Status", 1,
                        Qt.MatchFlag.MatchRecursive)[0]
    assert index.parent().data() == "Distribution Status" and index.parent().parent().data() == "Monitoring"
    window.navigation.setCurrentIndex(index)
    page = window.extra_pages[NavKind.CONTENT_STATUS]
    assert window.pages.currentWidget() is page
    return page


def test_content_status_counts_per_package_and_lists_dps_by_state(qtbot, console, tmp_path, make_window, x64_facts):
    pid = _site_with_states(console, tmp_path, x64_facts)
    window = make_window()
    page = _show_content_status(qtbot, window)
    assert not clashes(page), clashes(page)
    QAbstractItemModelTester(page.summaries, QAbstractItemModelTester.FailureReportingMode.Fatal)
    QAbstractItemModelTester(page.rows, QAbstractItemModelTester.FailureReportingMode.Fatal)
    qtbot.waitUntil(lambda: page.summaries.rowCount() == 1, timeout=10000)
    counts = [page.summaries.index(0, c).data() for c in range(1, 6)]
    assert counts == [4, 1, 2, 1, 0], "targeted, success, in progress (pending + retrying), error, unknown"
    assert page.summaries.index(0, 0).data() == f"{pid} — WinPE x64"
    assert page.summaries.index(0, 6).data() == "25% installed, 1 failed"
    assert "Content status: 1 package(s)" in window.status.currentMessage() or page.status_text().startswith("Content status")

    assert page.select(pid)
    qtbot.waitUntil(lambda: page.rows.rowCount() == 4, timeout=10000)
    by_dp = {page.rows.index(r, 0).data(): r for r in range(4)}
    retry = by_dp["DP02"]
    assert page.rows.index(retry, 1).data() == "Install retrying"
    assert page.rows.index(retry, 5).data() == "host unreachable: [Errno 111] Connection refused"
    assert page.rows.index(retry, 6).data() != ""
    failed = by_dp["DP03"]
    assert page.rows.index(failed, 5).data() == "disk full on /srv/dp03 (0 bytes free)", "the cause is not said twice"
    page.rows_view.setCurrentIndex(page.rows.index(retry, 0))
    assert "Next retry" in page.detail.text() and "host unreachable" in page.detail.text()

    page.state.setCurrentText("Error")
    qtbot.waitUntil(lambda: page.rows.complete and page.rows.rowCount() == 1, timeout=10000)
    assert page.rows.index(0, 0).data() == "DP03"
    page.state.setCurrentText("All states")
    page.detail_search.setText("refused")  # searches the error text too
    qtbot.waitUntil(lambda: page.rows.complete and page.rows.rowCount() == 1
                    and page.rows.index(0, 0).data() == "DP02", timeout=10000)

    # per DP: the packages it holds
    page.by.setCurrentIndex(page.by.findData("dp"))
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 4, timeout=10000)
    assert page.select("DP03")
    page.detail_search.clear()
    qtbot.waitUntil(lambda: page.rows.complete and page.rows.rowCount() == 1, timeout=10000)
    assert page.rows.index(0, 0).data() == pid and page.rows.index(0, 1).data() == "Install failed"
    page.show_filter.setCurrentText("With errors")  # only DP03 has a failed package (a query, not a view filter)
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 1, timeout=10000)
    assert page.summaries.index(0, 0).data() == "DP03"
    page.show_filter.setCurrentText("Not installed everywhere")
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 3, timeout=10000)
    assert [page.summaries.index(r, 0).data() for r in range(3)] == ["DP02", "DP03", "DP04"], "they lack the package"
    page.show_filter.setCurrentText("All")
    page.search.setText("dp0")
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 4, timeout=10000)
    page.search.setText("DP01")
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 1, timeout=10000)
    wait_idle(qtbot, window)


def test_content_status_reads_pages_not_every_row(qtbot, console, tmp_path, make_window, x64_facts):
    pid = str(console.packages.create(name="Many", image_path="/images/boot.wim", image_index=1,
                                      image=x64_facts).value["PackageID"])
    names = [f"DP{i:04d}" for i in range(260)]
    for name in names:
        console.distribution_points.add(DistributionPoint(name, TransportKind.FOLDER, str(tmp_path / name)))
    console.content.distribute(pid, dp_names=names)
    window = make_window()
    page = _show_content_status(qtbot, window)
    qtbot.waitUntil(lambda: page.summaries.rowCount() == 1, timeout=10000)
    page.select(pid)
    qtbot.waitUntil(lambda: page.rows.rowCount() > 0 and not page.rows.loading, timeout=10000)
    assert page.rows.rowCount() == page.rows.page_size == 200, "only the first page is read"
    assert page.rows.canFetchMore()
    page.rows_view.scrollToBottom()
    page.rows.fetchMore()
    qtbot.waitUntil(lambda: page.rows.complete, timeout=10000)
    assert page.rows.rowCount() == 260
    wait_idle(qtbot, window)


def test_content_locations_tab_validate_redistribute_remove(qtbot, console, tmp_path, x64_facts, tasks):
    pid = _site_with_states(console, tmp_path, x64_facts)
    dialog, panel = _open_content_locations(qtbot, console, pid, tasks)
    assert panel.summary.text() == "Installed on 1 of 4 distribution points, 2 in progress, 1 failed"
    assert not panel.validate_button.isEnabled(), "nothing selected"
    QAbstractItemModelTester(panel.model, QAbstractItemModelTester.FailureReportingMode.Fatal)

    panel.select_dps("DP01")
    assert panel.validate_button.isEnabled()
    panel.validate_button.click()
    qtbot.waitUntil(lambda: "Validation queued for DP01" in panel.banner.text(), timeout=10000)
    assert any(j.kind == "distribute" and j.payload.get("action") == "validate"
               for j in console.jobs.list(package_id=pid))

    qtbot.waitUntil(lambda: panel.model.rowCount() == 4, timeout=10000)
    panel.select_dps("DP03")
    panel.redistribute_button.click()
    qtbot.waitUntil(lambda: "Redistribution queued for DP03" in panel.banner.text(), timeout=10000)
    assert console.content.row(pid, "DP03").state is DpState.INSTALL_PENDING

    qtbot.waitUntil(lambda: panel.model.rowCount() == 4, timeout=10000)
    panel.select_dps("DP04")
    panel.ask_remove()
    assert panel.confirmation is not None and "DP04" in panel.confirmation.informativeText()
    confirm = next(b for b in panel.confirmation.buttons() if b.text() == "&Remove")
    confirm.click()
    qtbot.waitUntil(lambda: "Removal queued for DP04" in panel.banner.text(), timeout=10000)
    assert console.content.row(pid, "DP04").state is DpState.REMOVAL_PENDING
    dialog.reject()


def test_details_pane_shows_the_one_line_content_status(qtbot, console, tmp_path, make_window, x64_facts):
    _site_with_states(console, tmp_path, x64_facts)
    window = make_window()
    view = window.packages_page.view
    qtbot.waitUntil(lambda: window.package_model.loaded == 1, timeout=10000)
    view.setCurrentIndex(view.model().index(0, 0))
    view.selectRow(0)
    details = window.packages_page.details
    qtbot.waitUntil(lambda: details.content_status.text() != "", timeout=10000)
    assert details.content_status.text() == "Installed on 1 of 4 distribution points, 2 in progress, 1 failed"
    wait_idle(qtbot, window)


def test_content_status_follows_changes_live_and_keeps_the_selection(qtbot, console, tmp_path, make_window, x64_facts):
    pid = _site_with_states(console, tmp_path, x64_facts)
    window = make_window()
    page = _show_content_status(qtbot, window)
    qtbot.waitUntil(lambda: page.summaries.rowCount() == 1, timeout=10000)
    assert page.select(pid)
    qtbot.waitUntil(lambda: page.rows.complete and page.rows.rowCount() == 4, timeout=10000)
    by_dp = {page.rows.index(r, 0).data(): r for r in range(4)}
    page.rows_view.setCurrentIndex(page.rows.index(by_dp["DP02"], 0))
    page.rows_view.selectRow(by_dp["DP02"])
    # a worker (here: the service) changes states; nobody presses F5
    console.content.set_state(pid, "DP02", DpState.INSTALLED, source_version=1)
    console.content.set_state(pid, "DP04", DpState.INSTALL_FAILED, last_error="authentication refused",
                              error_cause="auth")
    qtbot.waitUntil(lambda: page.summaries.index(0, 2).data() == 2, timeout=5000)  # success 1 -> 2
    assert page.summaries.index(0, 6).data() == "50% installed, 2 failed"
    qtbot.waitUntil(lambda: page.rows.index(by_dp["DP04"], 1).data() == "Install failed", timeout=5000)
    assert page.rows.index(by_dp["DP02"], 1).data() == "Installed"
    assert page.selected_key() == pid, "the package stays selected"
    assert page.rows_view.currentIndex().data() == "DP02", "the DP row stays current"
    assert page.rows_view.selectionModel().selectedRows()[0].data() == "DP02"
    assert "Installed" in page.detail.text()
    # per DP too
    page.by.setCurrentIndex(page.by.findData("dp"))
    qtbot.waitUntil(lambda: page.summaries.complete and page.summaries.rowCount() == 4, timeout=10000)
    assert page.select("DP03")
    console.content.set_state(pid, "DP03", DpState.INSTALLED, source_version=1)
    qtbot.waitUntil(lambda: page.summaries.index(2, 2).data() == 1, timeout=5000)
    assert page.selected_key() == "DP03"
    qtbot.waitUntil(lambda: page.rows.rowCount() == 1 and page.rows.index(0, 1).data() == "Installed", timeout=5000)
    wait_idle(qtbot, window)


def test_a_hidden_content_status_page_does_not_poll(qtbot, console, tmp_path, make_window, x64_facts):
    _site_with_states(console, tmp_path, x64_facts)
    window = make_window()
    page = _show_content_status(qtbot, window)
    qtbot.waitUntil(lambda: page.summaries.rowCount() == 1, timeout=10000)
    qtbot.waitUntil(lambda: page.live.timer.isActive(), timeout=5000)
    window.pages.setCurrentWidget(window.packages_page)
    assert not page.isVisible() and not page.live.timer.isActive()
    wait_idle(qtbot, window)


def test_content_locations_tab_follows_changes_live_and_keeps_the_selection(qtbot, console, tmp_path, x64_facts, tasks):
    pid = _site_with_states(console, tmp_path, x64_facts)
    dialog, panel = _open_content_locations(qtbot, console, pid, tasks)
    panel.select_dps("DP03")
    row = next(r for r in range(4) if panel.model.entry(r).dp_name == "DP03")
    console.content.set_state(pid, "DP03", DpState.INSTALLED, source_version=1)
    qtbot.waitUntil(lambda: panel.model.index(row, 1).data() == "Installed", timeout=5000)
    qtbot.waitUntil(lambda: panel.summary.text() == "Installed on 2 of 4 distribution points, 2 in progress",
                    timeout=5000)
    assert panel.selected_dps() == ["DP03"], "the selection stays"
    dialog.reject()


def test_details_pane_content_status_follows_changes_live(qtbot, console, tmp_path, make_window, x64_facts):
    pid = _site_with_states(console, tmp_path, x64_facts)
    window = make_window()
    view = window.packages_page.view
    qtbot.waitUntil(lambda: window.package_model.loaded == 1, timeout=10000)
    view.setCurrentIndex(view.model().index(0, 0))
    view.selectRow(0)
    details = window.packages_page.details
    qtbot.waitUntil(lambda: details.content_status.text() != "", timeout=10000)
    console.content.set_state(pid, "DP03", DpState.INSTALLED, source_version=1)
    qtbot.waitUntil(lambda: details.content_status.text() == "Installed on 2 of 4 distribution points, 2 in progress",
                    timeout=5000)
    assert details.package_id == pid
    wait_idle(qtbot, window)


def _open_content_locations(qtbot, console, pid: str, tasks):
    """Properties of ``pid`` on its Content Locations tab, once its four rows are read."""
    dialog = PropertiesDialog(console, pid, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sheet is not None and dialog.content_panel is not None, timeout=15000)
    dialog.sheet.select_tab("content-locations")
    panel = dialog.content_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 4 and panel.summary.text() != "", timeout=10000)
    return dialog, panel


def test_show_filter_is_a_query_that_finds_rows_past_the_first_page(qtbot, console, make_window):
    """300 packages, only the last one has an error: "With errors" lists it at once (the filter
    is part of the query), without reading the 299 others page by page."""
    from sqlalchemy import insert

    from console.storage.distribution_schema import PackageContentSummaryRow

    with console.engine.begin() as conn:
        conn.execute(insert(PackageContentSummaryRow), [
            dict(package_id=f"PS1{n:05X}", targeted=2, success=2 if n < 300 else 1, in_progress=0,
                 errors=0 if n < 300 else 1, unknown=0) for n in range(1, 301)])
    window = make_window()
    page = _show_content_status(qtbot, window)
    qtbot.waitUntil(lambda: page.summaries.rowCount() == page.summaries.page_size, timeout=10000)
    page.show_filter.setCurrentText("With errors")
    qtbot.waitUntil(lambda: page.summaries.complete, timeout=10000)
    assert [page.summaries.summary(r).key for r in range(page.summaries.rowCount())] == ["PS10012C"]
    page.show_filter.setCurrentText("All")
    qtbot.waitUntil(lambda: page.summaries.rowCount() == page.summaries.page_size, timeout=10000)
    page.summaries.fetchMore()  # the second page starts after the first page's last PackageID
    qtbot.waitUntil(lambda: page.summaries.complete, timeout=10000)
    keys = [page.summaries.summary(r).key for r in range(page.summaries.rowCount())]
    assert keys == [f"PS1{n:05X}" for n in range(1, 301)]
    wait_idle(qtbot, window)


def test_content_locations_shown_after_a_change_follows_it(qtbot, console, tmp_path, x64_facts, tasks):
    """The sheet reads the tab's rows while another tab is shown; a state that changes before
    the tab is first shown appears once it is (the live poll's baseline is the rows' token, not
    the token when the tab was first shown)."""
    pid = _site_with_states(console, tmp_path, x64_facts)
    dialog = PropertiesDialog(console, pid, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.sheet is not None and dialog.content_panel is not None, timeout=15000)
    panel = dialog.content_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 4 and panel.summary.text() != "", timeout=10000)
    assert not panel.isVisible()
    row = next(r for r in range(4) if panel.model.entry(r).dp_name == "DP03")
    assert panel.model.index(row, 1).data() != "Installed"
    console.content.set_state(pid, "DP03", DpState.INSTALLED, source_version=1)
    dialog.sheet.select_tab("content-locations")
    qtbot.waitUntil(lambda: panel.model.index(row, 1).data() == "Installed", timeout=5000)
    dialog.reject()
