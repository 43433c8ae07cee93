"""Monitoring › Jobs and the status bar's jobs indicator, in the real main window, following real
jobs run by a real worker (in a thread of the test, with the job engine's test handler from
tests/job_handlers.py): live progress without a model reset, the selection kept, Cancel, Retry
and Delete by state, the one-time message when a job ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex, Qt

from console.core.jobs import JobSettings, JobState
from console.ui.models.jobs_model import COLUMNS, PROGRESS_COLUMN, JobsModel, ProgressRole
from console.ui.views.jobs_page import EMPTY_TEXT, ConfirmJobDelete, JobsPage
from tests.job_handlers import KIND
from tests.ui.conftest import wait_idle

SETTINGS = JobSettings(lease=3.0, heartbeat=0.2, retry_delay=0.2, max_attempts=1, poll=0.05)


@pytest.fixture
def console(db_url: str, monkeypatch: pytest.MonkeyPatch, x64_facts) -> Iterator:
    """The site with the test job handler installed and packages PS100001-PS100002."""
    from console.app import ensure_default_site, open_console

    monkeypatch.setenv("BOOTIMAGE_JOB_HANDLERS", "tests.job_handlers:handlers")
    site = open_console(db_url, user="alice@console1")
    ensure_default_site(site)
    for n in range(2):
        site.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1, image=x64_facts)
    yield site
    site.close()


@pytest.fixture
def worker(console) -> Iterator:
    """A worker running in a thread until the test ends (it heartbeats, so the console starts none)."""
    from console.worker import Worker

    w = Worker(console, settings=SETTINGS, log=lambda _text: None)
    thread = threading.Thread(target=w.run, daemon=True)
    thread.start()
    yield w
    w.stop()
    thread.join(timeout=30)


def queue(console, tmp_path, package="PS100001", **payload):
    return console.jobs.queue(KIND, package, {"out": str(tmp_path), **payload}).value


def open_jobs(qtbot, window) -> JobsPage:
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Jobs", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    page = window.pages.currentWidget()
    assert isinstance(page, JobsPage)
    qtbot.waitUntil(lambda: page.status_text() != "", timeout=10000)
    return page


def row_job(page: JobsPage, context_id: str):
    row = page.model.row_of(context_id)
    return None if row is None else page.model.job(row)


def select(page: JobsPage, context_id: str) -> None:
    source = page.model.index(page.model.row_of(context_id), 0)
    page.view.selectionModel().setCurrentIndex(page.proxy.mapFromSource(source),
                                               QItemSelectionModel.SelectionFlag.ClearAndSelect
                                               | QItemSelectionModel.SelectionFlag.Rows)


def test_model_passes_the_model_tester_and_updates_rows_in_place(qtmodeltester, console, tmp_path):
    first, second = queue(console, tmp_path), queue(console, tmp_path, "PS100002")
    model = JobsModel()
    model.set_jobs(console.jobs.list())
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())] == list(COLUMNS)
    assert model.rowCount() == 2
    kept = QPersistentModelIndex(model.index(model.row_of(second.context_id), 0))
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, roles=(): changed.append((a.row(), b.row())))

    claimed = console.jobs.claim("w1", SETTINGS)  # the oldest job: the first
    console.jobs.start_step(claimed, "w1", "one", 1, 3)
    console.jobs.report_progress(first.context_id, "w1", 2, 5, "one: file 2 of 5")
    model.set_jobs(console.jobs.list())
    qtmodeltester.check(model)
    row = model.row_of(first.context_id)
    assert resets == [] and changed == [(row, row)]
    assert model.index(row, COLUMNS.index("State")).data() == "running"
    assert model.index(row, COLUMNS.index("Step")).data() == "one"
    assert model.index(row, PROGRESS_COLUMN).data(ProgressRole) == 40
    assert model.index(row, PROGRESS_COLUMN).data() == "40%"
    assert model.index(row, COLUMNS.index("Progress text")).data() == "one: file 2 of 5"
    assert model.index(row, COLUMNS.index("Queued by")).data() == "alice@console1"
    assert model.index(row, COLUMNS.index("Started")).data() != ""
    assert kept.isValid() and kept.data() == second.context_id

    console.jobs.delete(second.context_id)
    model.set_jobs(console.jobs.list())
    assert not kept.isValid() and model.rowCount() == 1 and resets == []


def test_jobs_page_follows_a_running_job_live_and_the_status_bar_tells_once(qtbot, console, worker, tmp_path,
                                                                            make_window):
    window = make_window()
    page = open_jobs(qtbot, window)
    assert page.stack.currentWidget() is page.note and page.note.text() == EMPTY_TEXT
    assert not window.jobs_indicator.isVisible()

    job = queue(console, tmp_path, steps=["one", "two"], files=20, delay=0.2)
    qtbot.waitUntil(lambda: (j := row_job(page, job.context_id)) is not None and j.state == JobState.RUNNING
                    and j.progress > 0, timeout=15000)
    assert page.stack.currentWidget() is page.view
    select(page, job.context_id)
    assert page.cancel_action.isEnabled() and not page.retry_action.isEnabled() and not page.delete_action.isEnabled()
    # the status bar says what runs, compactly
    qtbot.waitUntil(lambda: window.jobs_indicator.isVisible()
                    and window.jobs_indicator.text().startswith(f"1 job running: PS100001 {KIND} — "), timeout=10000)
    assert "%" in window.jobs_indicator.text()
    assert window.jobs_indicator.sizeHint().width() <= 380

    resets = []
    page.model.modelReset.connect(lambda: resets.append(1))
    seen = set()
    qtbot.waitUntil(lambda: seen.add(row_job(page, job.context_id).progress_text) or
                    row_job(page, job.context_id).state == JobState.SUCCEEDED, timeout=30000)
    assert len(seen) >= 3, f"the progress text changed live: {seen}"
    assert resets == [], "rows are updated in place"
    assert page.selected_job().context_id == job.context_id, "the selection is kept"
    row = page.model.row_of(job.context_id)
    assert page.model.index(row, PROGRESS_COLUMN).data(ProgressRole) == 100
    assert page.model.index(row, COLUMNS.index("Finished")).data() != ""
    qtbot.waitUntil(lambda: not page.cancel_action.isEnabled() and page.delete_action.isEnabled(), timeout=5000)

    qtbot.waitUntil(lambda: "succeeded" in window.status.currentMessage(), timeout=10000)
    message = window.status.currentMessage()
    assert message.startswith(f"Job PS100001 {KIND} ({job.context_id}) succeeded")
    qtbot.waitUntil(lambda: not window.jobs_indicator.isVisible(), timeout=10000)
    window.status.clearMessage()
    polls = window.jobs_indicator.polls
    qtbot.waitUntil(lambda: window.jobs_indicator.polls >= polls + 2, timeout=15000)
    assert window.status.currentMessage() == "", "the end of a job is told once"
    wait_idle(qtbot, window)


def test_cancel_retry_and_delete_act_on_the_selected_job_by_state(qtbot, monkeypatch, console, worker, tmp_path,
                                                                  make_window):
    failing = queue(console, tmp_path, "PS100002", fail="one", delay=0)
    window = make_window()
    page = open_jobs(qtbot, window)
    qtbot.waitUntil(lambda: (j := row_job(page, failing.context_id)) is not None and j.state == JobState.FAILED,
                    timeout=15000)
    error = page.model.index(page.model.row_of(failing.context_id), COLUMNS.index("Error")).data()
    assert "the test handler was told to fail in step one" in error and "(error 112)" in error

    slow = queue(console, tmp_path, files=200, delay=0.05)
    qtbot.waitUntil(lambda: (j := row_job(page, slow.context_id)) is not None and j.state == JobState.RUNNING,
                    timeout=15000)
    select(page, slow.context_id)
    qtbot.waitUntil(page.cancel_action.isEnabled, timeout=5000)
    page.cancel_action.trigger()
    qtbot.waitUntil(lambda: row_job(page, slow.context_id).state == JobState.CANCELLED, timeout=15000)
    assert page.banner.text() == f"Cancel requested for {slow.context_id}."
    assert page.retry_action.isEnabled() and page.delete_action.isEnabled() and not page.cancel_action.isEnabled()

    select(page, failing.context_id)
    page.retry_action.trigger()
    qtbot.waitUntil(lambda: row_job(page, failing.context_id).attempts >= 2, timeout=15000)
    assert page.banner.text() == f"Queued {failing.context_id} again."

    asked = []
    monkeypatch.setattr(ConfirmJobDelete, "ask", classmethod(lambda cls, parent, job: asked.append(job) or False))
    select(page, slow.context_id)
    page.delete_action.trigger()
    assert [j.context_id for j in asked] == [slow.context_id]
    wait_idle(qtbot, window)
    assert console.jobs.find(slow.context_id) is not None, "answering No deletes nothing"
    monkeypatch.setattr(ConfirmJobDelete, "ask", classmethod(lambda cls, parent, job: True))
    page.delete_action.trigger()
    qtbot.waitUntil(lambda: page.model.row_of(slow.context_id) is None, timeout=10000)
    assert console.jobs.find(slow.context_id) is None
    assert page.banner.text() == f"Deleted the record of job {slow.context_id}."
    qtbot.waitUntil(lambda: row_job(page, failing.context_id).finished, timeout=15000)
    console.jobs.delete(failing.context_id)
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.note, timeout=15000)
    wait_idle(qtbot, window)
