"""Background work: run service calls off the GUI thread, deliver results as signals.

Every database or file operation the GUI starts goes through ``TaskRunner.run``. The
callable runs on a worker thread and receives a ``TaskContext`` to report progress and
check for cancellation; it must not touch widgets. ``on_success``/``on_error`` run on
the GUI thread. Errors without an ``on_error`` handler are shown in an error dialog
(never only as a traceback on stderr).

Progress is coalesced: ``TaskContext.report`` only keeps the latest value (and queues one
signal when none is waiting); the GUI thread takes the latest value at most every
``PROGRESS_INTERVAL_MS`` (≤ 10 updates a second, however often the worker reports), and
the last value is always delivered, before the task's result.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from console.ui.gc_tuning import collect_on_gui_thread

#: the GUI thread takes a task's progress at most this often
PROGRESS_INTERVAL_MS = 100
Progress = tuple[int, int, str]


class TaskContext:
    """Handed to the worker function: progress reporting and cancellation."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def report(self, value: int, maximum: int = 0, text: str = "") -> None:
        """Cheap enough to call once per file: keeps the latest value; a signal is queued
        only when the GUI thread has taken the previous one."""
        task = self._task
        with task.progress_lock:
            task.latest = (value, maximum, text)
            task.reported += 1
            notify = not task.notified
            task.notified = True
        if notify:
            with contextlib.suppress(RuntimeError):  # the runner (its window) is gone
                task.signals.progress.emit()

    @property
    def cancelled(self) -> bool:
        return self._task.cancel_event.is_set()


class _Signals(QObject):
    # Only plain values cross threads: the result stays on the Task and is read on the
    # GUI thread (passing Python objects through queued ``object`` signals is fragile).
    progress = Signal()  # a new value is waiting on the Task (read on the GUI thread)
    finished = Signal()

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task


class Task(QRunnable):
    def __init__(self, fn: Callable[[TaskContext], Any], description: str, cancellable: bool) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.description = description
        self.cancellable = cancellable
        self.cancel_event = threading.Event()
        self.signals = _Signals(self)
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.traceback = ""
        self.on_success: Callable[[Any], None] | None = None
        self.on_error: Callable[[BaseException], None] | None = None
        self.on_progress: Callable[[int, int, str], None] | None = None
        # progress: written by the worker, taken by the GUI thread (``TaskRunner``)
        self.progress_lock = threading.Lock()
        self.latest: Progress | None = None
        self.reported = 0
        self.notified = False
        self.delivered = 0

    def take_progress(self) -> Progress | None:
        """The latest value if it was not taken yet (GUI thread)."""
        with self.progress_lock:
            self.notified = False
            if self.reported == self.delivered or self.latest is None:
                return None
            self.delivered = self.reported
            return self.latest

    def cancel(self) -> None:
        self.cancel_event.set()

    @Slot()
    def run(self) -> None:
        try:
            self.result = self.fn(TaskContext(self))
        except BaseException as exc:  # delivered to the GUI thread, never lost
            self.error = exc
            self.traceback = traceback.format_exc()
        finally:
            self.done = True
            with contextlib.suppress(RuntimeError):  # the runner (its window) is gone: nobody waits
                self.signals.finished.emit()


class TaskRunner(QObject):
    """Owns the worker pool and tells the status bar what is running."""

    started = Signal(object)  # Task
    finished = Signal(object)  # Task
    progress = Signal(object, int, int, str)  # Task, value, maximum, text

    def __init__(self, parent: QObject | None = None, error_parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._running: list[Task] = []
        self._error_parent = error_parent
        # While it runs, waiting progress is delivered on its ticks; a report arriving when it
        # is stopped (nothing delivered for an interval) is delivered at once.
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self._progress_timer.timeout.connect(self._progress_tick)
        collect_on_gui_thread(self)  # no garbage collection in the pool's threads (see gc_tuning)

    @property
    def running(self) -> list[Task]:
        return list(self._running)

    def run(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        description: str = "",
        cancellable: bool = False,
    ) -> Task:
        task = Task(fn, description, cancellable)
        task.on_success, task.on_error, task.on_progress = on_success, on_error, on_progress
        # Slots of this QObject: if the runner (its window) is gone, late results are dropped.
        task.signals.progress.connect(self._progress)
        task.signals.finished.connect(self._finished)
        self._running.append(task)
        self.started.emit(task)
        self._pool.start(task)
        return task

    def _task(self) -> Task:
        sender = self.sender()
        assert isinstance(sender, _Signals)
        return sender.task

    def _deliver(self, task: Task) -> None:
        if task.error is None:
            if task.on_success is not None:
                task.on_success(task.result)
            return
        if task.on_error is not None:
            task.on_error(task.error)
            return
        from console.ui.dialogs.error_dialog import show_error

        show_error(self._error_parent, task.error, task.traceback)

    @Slot()
    def _progress(self) -> None:
        task = self._task()
        if self._progress_timer.isActive() or task not in self._running:
            return  # the next tick takes it (or the task has ended)
        if self._deliver_progress(task):
            self._progress_timer.start()

    def _progress_tick(self) -> None:
        delivered = [self._deliver_progress(task) for task in self.running]
        if not any(delivered):
            self._progress_timer.stop()

    def _deliver_progress(self, task: Task) -> bool:
        progress = task.take_progress()
        if progress is None:
            return False
        if task.on_progress is not None:
            task.on_progress(*progress)
        self.progress.emit(task, *progress)
        return True

    @Slot()
    def _finished(self) -> None:
        task = self._task()
        if task in self._running:
            self._deliver_progress(task)  # the final value, before the result
            self._running.remove(task)
        try:
            self._deliver(task)
        finally:
            self.finished.emit(task)
            # The task and its signals refer to each other through a Qt wrapper the garbage
            # collector cannot walk: without breaking that, every finished task (a page of 200
            # packages in its result) stayed in memory for good. Left to the cyclic collector,
            # the QObject would also be destroyed by whichever thread collects, a worker thread
            # too, which can deadlock with the GUI thread (Qt's signal-slot lock against the
            # GIL): it is destroyed here, on its own thread, once the event loop is back.
            task.signals.task = None  # type: ignore[assignment]
            task.result = task.fn = task.on_success = task.on_error = task.on_progress = None  # type: ignore[assignment]
            task.signals.deleteLater()

    def cancel_all(self) -> None:
        for task in self._running:
            task.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task ended (for shutdown and tests)."""
        return self._pool.waitForDone(msecs)
