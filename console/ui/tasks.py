"""Background work: run service calls off the GUI thread, deliver results as signals.

Every database or file operation the GUI starts goes through ``TaskRunner.run``. The
callable runs on a worker thread and receives a ``TaskContext`` to report progress and
check for cancellation; it must not touch widgets. ``on_success``/``on_error`` run on
the GUI thread. Errors without an ``on_error`` handler are shown in an error dialog
(never only as a traceback on stderr).
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget


class TaskContext:
    """Handed to the worker function: progress reporting and cancellation."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def report(self, value: int, maximum: int = 0, text: str = "") -> None:
        self._task.signals.progress.emit(value, maximum, text)

    @property
    def cancelled(self) -> bool:
        return self._task.cancel_event.is_set()


class _Signals(QObject):
    # Only plain values cross threads: the result stays on the Task and is read on the
    # GUI thread (passing Python objects through queued ``object`` signals is fragile).
    progress = Signal(int, int, str)
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

    @Slot(int, int, str)
    def _progress(self, value: int, maximum: int, text: str) -> None:
        task = self._task()
        if task.on_progress is not None:
            task.on_progress(value, maximum, text)
        self.progress.emit(task, value, maximum, text)

    @Slot()
    def _finished(self) -> None:
        task = self._task()
        if task in self._running:
            self._running.remove(task)
        try:
            self._deliver(task)
        finally:
            self.finished.emit(task)
            # Task and its signal object refer to each other through a Qt wrapper that the
            # garbage collector cannot walk: without this every finished task (a page of 200
            # packages in its result) stayed in memory for good.
            task.signals.task = None  # type: ignore[assignment]
            task.result = task.fn = task.on_success = task.on_error = task.on_progress = None  # type: ignore[assignment]

    def cancel_all(self) -> None:
        for task in self._running:
            task.cancel()

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every task ended (for shutdown and tests)."""
        return self._pool.waitForDone(msecs)
