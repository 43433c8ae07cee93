"""Live refresh between consoles: another console's (or a worker's) committed changes update this
window's lists without a full reload.

``LiveChanges`` follows the site's change feed (``console.core.live_changes``): on PostgreSQL the
feed's listening thread wakes it (a queued signal; the drain reads only memory); on SQLite it is
a ``LiveRefresh`` poll of the change log on a worker thread (one indexed read every
``POLL_MS`` while the window is shown). ``arrived`` carries a ``LiveBatch`` on the GUI thread.
``follow_live_changes`` wires it to the main window: the package list re-reads the changed
packages, the Drivers list its loaded rows in place, the Distribution Points list its rows, the
Jobs page the changed jobs by ContextID; a feed that fell behind refreshes them all.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from console.core.changes import Changes
from console.core.live_changes import ChangeFeed, LiveBatch
from console.ui.live import LiveRefresh
from console.ui.tasks import TaskRunner

POLL_MS = 300


class LiveChanges(QObject):
    arrived = Signal(object)  # LiveBatch
    _woken = Signal()

    def __init__(self, window: QWidget, tasks: TaskRunner, feed: ChangeFeed, poll_ms: int = POLL_MS) -> None:
        super().__init__(window)
        self.feed = feed
        self._pending: list[LiveBatch] = []
        self._count = 0
        self._lock = threading.Lock()
        self.live: LiveRefresh | None = None
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain)
        if feed.push:
            self._woken.connect(self._drain_timer.start, Qt.ConnectionType.QueuedConnection)
            feed.start(self._woken.emit)  # called on the feed's listening thread
        else:  # the feed's first poll (on a worker thread) marks where this console starts
            self.live = LiveRefresh(window, tasks, self._poll, self._deliver, interval_ms=poll_ms)
            self.live.expect(0)
        window.destroyed.connect(feed.close)

    def close(self) -> None:
        if self.live is not None:
            self.live.timer.stop()
        self.feed.close()

    def _poll(self) -> object:
        """Worker thread: read the change log; a non-empty batch moves the token."""
        batch = self.feed.poll()
        with self._lock:
            if not batch.empty:
                self._pending.append(batch)
                self._count += 1
            return self._count

    def _deliver(self) -> None:
        with self._lock:
            batches, self._pending = self._pending, []
        if batches:
            self.arrived.emit(LiveBatch.merge(batches))

    def _drain(self) -> None:
        """GUI thread, after a wake-up: what the listening thread gathered (memory only)."""
        if not isValid(self):
            return
        batch = self.feed.poll()
        if not batch.empty:
            self.arrived.emit(batch)


def follow_live_changes(window: Any) -> LiveChanges:
    """The main window's lists follow what other consoles and workers commit."""
    from console.ui.models.navigation_model import NavKind

    live = LiveChanges(window, window.tasks, window.console.change_feed())

    def apply(batch: LiveBatch) -> None:
        if not isValid(window):
            return
        pages = window.extra_pages
        drivers = pages.built(NavKind.DRIVERS)
        dps = pages.built(NavKind.DISTRIBUTION_POINTS)
        jobs = pages.built(NavKind.JOBS)
        if batch.everything:
            window.controller.refresh()
            for page in (drivers, dps, jobs):
                if page is not None and page.isVisible():
                    page.refresh()
            return
        changes = batch.changes
        packages = Changes(added=changes.added, updated=changes.updated, removed=changes.removed)
        if packages.packages:
            window.controller.apply_changes(packages)
            window.changes_applied(packages)
        if changes.drivers and drivers is not None:
            drivers.model.refresh_rows(drivers.model.key_of)  # the loaded rows, in place
        if changes.distribution and dps is not None and dps.isVisible():
            dps.refresh(live=True)
        if batch.jobs and jobs is not None:
            jobs.follow_jobs(batch.jobs)

    live.arrived.connect(apply)
    return live
