"""Progress reaches the GUI thread at most ten times a second, always with the latest value.

A worker that reports once per INF (5,000 INFs) used to queue 5,000 signals for the GUI
thread, each repainting a progress bar and a label: the console froze for seconds while it
caught up. The GUI must see a handful of updates, the final value among them.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from console.ui.dialogs.import_driver_dialog import ImportDriverDialog, PageId
from console.ui.tasks import TaskContext, TaskRunner
from tests.driver_fixtures import LOCAL_INF


def run_and_collect(qtbot, tasks: TaskRunner, work) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]], float]:
    delivered: list[tuple[int, int, str]] = []
    status: list[tuple[int, int, str]] = []  # what the status bar hears (TaskRunner.progress)
    tasks.progress.connect(lambda _task, v, m, t: status.append((v, m, t)))
    done = []
    started = time.monotonic()
    tasks.run(work, on_success=done.append, on_progress=lambda v, m, t: delivered.append((v, m, t)),
              description="Reporting")
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    return delivered, status, time.monotonic() - started


def test_five_thousand_reports_reach_the_gui_a_handful_of_times_ending_with_the_last(qtbot, tasks):
    def work(ctx: TaskContext) -> int:
        for i in range(1, 5001):
            ctx.report(i, 5000, f"file{i:05}.inf")
        return 5000

    delivered, status, seconds = run_and_collect(qtbot, tasks, work)
    assert delivered[-1] == (5000, 5000, "file05000.inf"), "the final value always arrives"
    assert status[-1] == delivered[-1]
    limit = 2 + int(seconds * 10)
    assert len(delivered) <= limit, f"{len(delivered)} progress updates in {seconds:.2f} s (at most {limit})"
    assert len(status) == len(delivered)


def test_a_long_task_is_updated_about_ten_times_a_second_with_its_text(qtbot, tasks):
    def work(ctx: TaskContext) -> int:
        end = time.monotonic() + 1.0
        i = 0
        while time.monotonic() < end and i < 10_000_000:
            i += 1
            ctx.report(i, 0, f"step {i}")
        return i

    delivered, _status, seconds = run_and_collect(qtbot, tasks, work)
    assert len(delivered) >= 3, "a long task still shows progress while it runs"
    assert len(delivered) <= 2 + int(seconds * 10), f"{len(delivered)} updates in {seconds:.2f} s"
    assert [t for _v, _m, t in delivered] == sorted({t for _v, _m, t in delivered}, key=lambda t: int(t.split()[1]))
    assert delivered[-1][0] > 0 and delivered[-1][2] == f"step {delivered[-1][0]}"


def test_the_last_report_before_a_long_quiet_step_is_shown_during_that_step(qtbot, tasks):
    """A worker that reports 5,000 quickly, then works without reporting (checking duplicates):
    the GUI shows 5,000 while that step runs, not some earlier value."""
    release = threading.Event()

    def work(ctx: TaskContext) -> str:
        for i in range(1, 5001):
            ctx.report(i, 5000, "")
        ctx.report(5000, 5000, "Checking the driver catalog for duplicates…")
        release.wait(20)
        return "done"

    delivered: list[tuple[int, int, str]] = []
    done: list[str] = []
    tasks.run(work, on_success=done.append, on_progress=lambda v, m, t: delivered.append((v, m, t)))
    try:
        qtbot.waitUntil(lambda: bool(delivered) and delivered[-1][2].startswith("Checking"), timeout=10000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    assert delivered[-1] == (5000, 5000, "Checking the driver catalog for duplicates…")


def test_progress_of_a_finished_task_is_not_delivered_after_its_result(qtbot, tasks):
    order: list[str] = []

    def work(ctx: TaskContext) -> None:
        for i in range(1000):
            ctx.report(i, 999, "")

    tasks.run(work, on_success=lambda _r: order.append("done"),
              on_progress=lambda v, _m, _t: order.append(f"p{v}"))
    qtbot.waitUntil(lambda: "done" in order, timeout=10000)
    qtbot.wait(250)
    assert order[-1] == "done" and order[-2] == "p999"


def test_importing_many_drivers_updates_the_wizard_a_handful_of_times(qtbot, console, tasks, tmp_path: Path):
    count = 400
    data = sorted(LOCAL_INF.glob("*.inf"))[0]
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(count):
        shutil.copyfile(data, folder / f"d{i:04}.inf")
        (folder / f"d{i:04}.sys").write_bytes(b"MZ %d" % i)
    dialog = ImportDriverDialog(console, tasks, folder=str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    scan_values: list[int] = []
    dialog.scan.bar.valueChanged.connect(scan_values.append)
    started = time.monotonic()
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DETAILS, timeout=60000)
    scan_seconds = time.monotonic() - started
    assert scan_values and scan_values[-1] == count
    assert len(scan_values) <= 3 + int(scan_seconds * 10), f"{len(scan_values)} scan updates in {scan_seconds:.1f} s"

    import_values: list[int] = []
    dialog.progress.bar.valueChanged.connect(import_values.append)
    started = time.monotonic()
    dialog.button(QWizard.WizardButton.NextButton).click()
    qtbot.waitUntil(lambda: dialog.currentId() == PageId.DONE, timeout=60000)
    import_seconds = time.monotonic() - started
    assert f"<b>{count}</b> driver(s) imported" in dialog.completion.text.text()
    assert len(import_values) <= 4 + int(import_seconds * 10), f"{len(import_values)} updates in {import_seconds:.1f} s"


def test_showing_5000_rows_calls_the_model_for_the_visible_rows_only(qtbot):
    """A QTreeView lays out every row when rows arrive and again when sorted: the model's Python
    code must not be asked about each of them (a ``flags`` override was, 5,000 scan results
    cost ~100 ms of GUI-thread time per layout)."""
    import sys

    from console.ui.models.record_table_model import Column, RecordTableModel
    from console.ui.record_views import record_view, size_columns

    columns = [Column("Name", text=lambda r: r), Column("Size", text=lambda r: str(len(r)))]
    view = record_view("Rows")
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    calls: list[str] = []

    def count(frame, event, _arg):  # type: ignore[no-untyped-def]
        if event == "call" and frame.f_code.co_filename.endswith("record_table_model.py"):
            calls.append(frame.f_code.co_name)

    model = RecordTableModel(columns)
    view.setModel(model)
    size_columns(view, columns)
    sys.setprofile(count)
    try:
        model.set_rows([f"driver{i:05}.inf" for i in range(5000)])
        view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        qtbot.wait(50)
    finally:
        sys.setprofile(None)
    assert model.index(0, 0).data() == "driver04999.inf"
    per_row = {name: calls.count(name) for name in set(calls)}
    # rowCount/columnCount are asked once per row by Qt's own QAbstractTableModel.index (hasIndex)
    assert per_row.get("flags", 0) < 1000, f"model calls while 5,000 rows were shown and sorted: {per_row}"
    assert per_row.get("data", 0) < 1000, "only the visible rows' text is read"
    assert model.flags(model.index(0, 0)) == (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                                              | Qt.ItemFlag.ItemNeverHasChildren)


def test_a_finished_tasks_qt_object_is_destroyed_on_the_gui_thread(qtbot, tasks):
    """Not by a garbage collection that happens to run in a worker thread: that destroyed a
    QObject of the GUI thread there and deadlocked the console (Qt's lock against the GIL)."""
    from shiboken6 import isValid

    done: list[int] = []
    task = tasks.run(lambda ctx: 1, on_success=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=10000)
    qtbot.waitUntil(lambda: not isValid(task.signals), timeout=5000)
    assert done == [1]
