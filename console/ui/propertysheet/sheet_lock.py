"""The lock of an open Properties sheet (SEDO, ``console.core.object_locks``).

Opening the sheet takes the package's lock; closing it releases it. When another console holds
a live lock, a bar says "Locked by alice@ws1 since 10:42", the sheet is read-only (every tab's
editors disabled, OK/Apply disabled) and the lock is polled cheaply (one read by key every few
seconds, only while the bar is shown); when it goes, Refresh becomes enabled and takes the lock
and reloads the sheet editable.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QWidget

from console.core.errors import error_text
from console.core.object_locks import ObjectLock, clock_text
from console.core.services.object_locks import LockAttempt
from console.ui.live import LiveRefresh
from console.ui.object_locks import ConsoleLocks
from console.ui.propertysheet.property_sheet import PropertySheet

LOCKED_STYLE = "#lockBar { background: #fff4ce; border: 1px solid #e0c46c; }"
POLL_MS = 2000


def set_sheet_read_only(sheet: PropertySheet, read_only: bool) -> None:
    """Disable (or enable) every tab's content; the tabs themselves stay browsable and long
    pages scrollable."""
    tabs = sheet.tabs
    for index in range(tabs.count()):
        page = tabs.widget(index)
        if page is None:
            continue
        inner = page.widget() if isinstance(page, QScrollArea) else None
        (inner or page).setEnabled(not read_only)


class SheetLock(QObject):
    """``state_changed(lock, reload)``: ``lock`` is another console's live lock (the sheet is
    read-only) or None (editable); ``reload`` asks the sheet to read the package again (after
    Refresh took the lock)."""

    state_changed = Signal(object, bool)

    def __init__(self, parent: QWidget, locks: ConsoleLocks, object_id: str, purpose: str = "Properties",
                 poll_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.locks = locks
        self.object_id = object_id
        self.purpose = purpose
        self.holding = False
        self.other: ObjectLock | None = None
        self._seen: ObjectLock | None = None
        self._refreshing = False
        self.bar = QWidget(parent)
        self.bar.setObjectName("lockBar")
        self.bar.setStyleSheet(LOCKED_STYLE)
        self.text = QLabel(self.bar)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Lock")
        self.refresh_button = QPushButton("&Refresh", self.bar)
        self.refresh_button.setToolTip("Take the lock and show the package editable (when its holder has closed it)")
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(self.text, 1)
        row.addWidget(self.refresh_button)
        self.bar.hide()
        self.live = LiveRefresh(self.bar, locks.tasks, self._read, self._moved, interval_ms=poll_ms)
        locks.lost.connect(self._lost)

    # -- taking and releasing ----------------------------------------------------------------

    def start(self) -> None:
        self.locks.acquire(self.object_id, self.purpose, self._attempted, on_error=self._failed)

    def close(self) -> None:
        if self.holding:
            self.holding = False
            self.locks.release(self.object_id)

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        self._refreshing = True
        self.start()

    def _attempted(self, attempt: LockAttempt) -> None:
        reload, self._refreshing = self._refreshing, False
        if attempt.held:
            if self.holding:  # this sheet counted itself once already
                self.locks.release(self.object_id)
            self.holding, self.other = True, None
            self.bar.hide()
            self.state_changed.emit(None, reload)
            return
        self.other = attempt.lock
        self._show_locked(attempt.lock)
        self.live.expect(attempt.lock.lock_id)
        self.state_changed.emit(attempt.lock, False)

    def _failed(self, exc: BaseException) -> None:
        """The lock could not be taken (database trouble): the sheet stays editable; the
        SedoObjectVersion check still refuses a save over another console's."""
        self._refreshing = False
        self.refresh_button.setEnabled(True)
        self.text.setText(html.escape(f"The lock on {self.object_id} could not be taken: {error_text(exc)}"))
        self.bar.show()

    # -- watching another's lock ---------------------------------------------------------------

    def _read(self) -> object:
        lock = self.locks.console.locks.get(self.object_id)  # worker thread: one read by key
        self._seen = lock
        return lock.lock_id if lock is not None else None

    def _moved(self) -> None:
        if self.other is None:
            return
        if self._seen is None:
            self.text.setText(html.escape(f"{self.other.holder} closed {self.object_id}. ")
                              + "Click <b>Refresh</b> to edit it.")
            self.refresh_button.setEnabled(True)
        else:
            self.other = self._seen
            self._show_locked(self._seen)

    def _show_locked(self, lock: ObjectLock) -> None:
        what = f" ({html.escape(lock.purpose)} open in their console)" if lock.purpose else ""
        self.text.setText(f"<b>Locked by {html.escape(lock.holder)} since {clock_text(lock.acquired_at)}</b>{what}. "
                          "This sheet is read-only until they close it.")
        self.text.setToolTip(f"Console {lock.console.text}; last heartbeat {lock.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC. "
                             "A Full Administrator can release the lock: bootimage lock release "
                             f"{lock.object_id}")
        self.refresh_button.setEnabled(False)
        self.bar.show()

    def _lost(self, object_id: str) -> None:
        if object_id != self.object_id or not self.holding:
            return
        self.holding = False
        self.text.setText(html.escape(
            f"Your lock on {self.object_id} was released by a Full Administrator (or expired). You can still "
            "save; a save is refused if someone else changed the package meanwhile."))
        self.refresh_button.setEnabled(True)
        self.bar.show()
