"""The object locks (SEDO) this console holds, for its Properties sheets and wizards.

``ConsoleLocks`` counts the users of each lock (Properties and a wizard opened from it share
one), renews every held lock with one heartbeat timer whose work runs on a ``TaskRunner`` worker
thread, and releases a lock when its last user closes. ``lost`` names an object whose lock
this console no longer holds (a Full Administrator released it, or it expired and was taken).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.object_locks import HEARTBEAT_INTERVAL, PACKAGE, ObjectLock
from console.core.services.object_locks import LockAttempt
from console.ui.tasks import TaskRunner


class ConsoleLocks(QObject):
    lost = Signal(str)  # object id

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QObject | None = None,
                 heartbeat_ms: int = int(HEARTBEAT_INTERVAL.total_seconds() * 1000)) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self._held: dict[str, tuple[ObjectLock, int]] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(heartbeat_ms)
        self.timer.timeout.connect(self.heartbeat)

    def held(self, object_id: str) -> ObjectLock | None:
        entry = self._held.get(object_id)
        return entry[0] if entry else None

    def acquire(self, object_id: str, purpose: str, on_done: Callable[[LockAttempt], None],
                on_error: Callable[[BaseException], None] | None = None) -> None:
        """Take (or share) the lock in the background; ``on_done`` gets the attempt on the GUI thread."""
        def done(attempt: LockAttempt) -> None:
            if not isValid(self):
                return
            self.adopt(attempt)
            on_done(attempt)

        self.tasks.run(lambda _task: self.console.locks.acquire(object_id, object_type=PACKAGE, purpose=purpose),
                       on_success=done, on_error=on_error, description="")

    def adopt(self, attempt: LockAttempt) -> None:
        """Count one more user of a lock this console took (GUI thread): a held lock is renewed by
        the heartbeat until ``release`` was called as often as ``adopt``."""
        if not attempt.held:
            return
        _lock, count = self._held.get(attempt.lock.object_id, (attempt.lock, 0))
        self._held[attempt.lock.object_id] = (attempt.lock, count + 1)
        if not self.timer.isActive():
            self.timer.start()

    def release(self, object_id: str) -> None:
        entry = self._held.get(object_id)
        if entry is None:
            return
        lock, count = entry
        if count > 1:
            self._held[object_id] = (lock, count - 1)
            return
        del self._held[object_id]
        if not self._held:
            self.timer.stop()
        self.tasks.run(lambda _task: self.console.locks.release_own(lock), on_error=lambda _exc: None, description="")

    def release_all(self) -> None:
        """The window closes: release every lock this console holds (in the background; the
        window waits for its tasks before it goes)."""
        for object_id in list(self._held):
            self._held[object_id] = (self._held[object_id][0], 1)
            self.release(object_id)

    def heartbeat(self) -> None:
        locks = [lock for lock, _count in self._held.values()]
        if not locks:
            return

        def beat(_task: Any) -> list[tuple[ObjectLock, bool]]:
            return [(lock, self.console.locks.heartbeat(lock)) for lock in locks]

        self.tasks.run(beat, on_success=lambda results: self._beaten(results) if isValid(self) else None,
                       on_error=lambda _exc: None, description="")

    def _beaten(self, results: list[tuple[ObjectLock, bool]]) -> None:
        for lock, alive in results:
            entry = self._held.get(lock.object_id)
            if not alive and entry is not None and entry[0].lock_id == lock.lock_id:
                del self._held[lock.object_id]
                self.lost.emit(lock.object_id)
