"""Live pages: a cheap change token polled in the background while a widget is shown.

``LiveRefresh(widget, tasks, token, changed)`` reads ``token()`` on a worker thread
(``TaskRunner``) every ``interval_ms`` while ``widget`` is visible (never while it is hidden,
never two reads at once) and calls ``changed()`` on the GUI thread only when the token moved:
a page that nothing changed does no work beyond that one read.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from console.ui.tasks import TaskRunner

POLL_MS = 1000


class LiveRefresh(QObject):
    def __init__(self, widget: QWidget, tasks: TaskRunner, token: Callable[[], object], changed: Callable[[], None],
                 interval_ms: int = POLL_MS) -> None:
        super().__init__(widget)
        self._widget = widget
        self._tasks = tasks
        self._token = token
        self._changed = changed
        self._last: object = None
        self._known = False
        self._busy = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.interval_ms = interval_ms
        self.timer.timeout.connect(self.poll)
        widget.installEventFilter(self)
        if widget.isVisible():
            self.timer.start(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget:
            if event.type() == QEvent.Type.Show and not self.timer.isActive() and not self._busy:
                self.timer.start(0)  # at once: what changed while it was hidden
            elif event.type() == QEvent.Type.Hide:
                self.timer.stop()
        return False

    def expect(self, token: object) -> None:
        """The token as the caller knows it now: the next read that differs counts as a change
        (also when it is the first read)."""
        self._last, self._known = token, True

    def poll(self) -> None:
        if self._busy or not self._widget.isVisible():
            return
        self._busy = True
        self._tasks.run(lambda _ctx: self._token(),
                        on_success=lambda token: self._got(token) if isValid(self) else None,
                        on_error=lambda _exc: self._got(self._last, failed=True) if isValid(self) else None,
                        description="")

    def _got(self, token: object, *, failed: bool = False) -> None:
        self._busy = False
        if not failed:
            moved = self._known and token != self._last
            self._last, self._known = token, True
            if moved:
                self._changed()
        if self._widget.isVisible():
            self.timer.start(self.interval_ms)
