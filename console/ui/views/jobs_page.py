"""Monitoring › Jobs: the site's jobs, live (state, step, a progress bar, who, when, error).

The GUI never runs job work: a worker process does. This page only reads the job records in
the background (``console.jobs.list``) on a timer — every second while a job is queued or
running, every few seconds otherwise, and only while the page is shown — and updates the
rows in place. Cancel, Retry and Delete call the jobs service in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.jobs import Job, JobState
from console.ui.dialogs.folder_dialogs import confirm_delete
from console.ui.icons import icon
from console.ui.models.jobs_model import PROGRESS_COLUMN, QUEUED_AT_COLUMN, JobsModel, ProgressRole, SortRole
from console.ui.tasks import TaskRunner

ACTIVE_POLL_MS = 1000
IDLE_POLL_MS = 2000
LOAD_LIMIT = 500
EMPTY_TEXT = ("No jobs. Building a boot image (Update Distribution Points, or `bootimage update-image`) queues a "
              "job that a worker process runs; its progress is shown here, and closing the console does not stop it.")
ERROR_STYLE = "color: #c0392b;"


class ProgressDelegate(QStyledItemDelegate):
    """Paints the Progress column as a progress bar (busy-looking at 0 when not known yet)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(ProgressRole)
        if not isinstance(value, int):
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.fillRect(option.rect, option.palette.highlight())  # type: ignore[attr-defined]
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 100
        bar.progress = max(value, 0)
        bar.text = "…" if value < 0 else f"{value}%"
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget is not None else QApplication.style()  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class ConfirmJobDelete:
    @classmethod
    def ask(cls, parent: QWidget | None, job: Job) -> bool:
        return confirm_delete(
            parent, "Delete Job", "Delete this job record?",
            [(job.context_id, f"{job.kind} of {job.package_id or '-'} ({job.state})")],
            "Only the record goes (as DeleteContextID does): a boot image that was built stays built. "
            "A running job cannot be deleted: cancel it first.",
        )


class JobsPage(QWidget):
    status_changed = Signal(str)
    jobs_loaded = Signal()

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self.loading = False
        self._status = ""
        self.title = QLabel("Jobs")
        self.title.setObjectName("pageTitle")
        self.model = JobsModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.proxy.setDynamicSortFilter(True)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Jobs")
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(QUEUED_AT_COLUMN, Qt.SortOrder.DescendingOrder)
        self.view.setTabKeyNavigation(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in ((0, 330), (1, 90), (2, 70), (3, 80), (4, 80), (5, 120), (6, 260)):
            header.resizeSection(column, width)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.cancel_action = self._action("&Cancel Job", "cancel", "Ask the worker to stop this job at its next checkpoint",
                                          self.cancel_selected)
        self.retry_action = self._action("&Retry", "refresh", "Queue this failed or cancelled job again", self.retry_selected)
        self.delete_action = self._action("&Delete", "delete", "Delete this job's record", self.delete_selected)
        self.view.addActions([self.cancel_action, self.retry_action, self.delete_action])
        buttons = QHBoxLayout()
        for action in (self.cancel_action, self.retry_action, self.delete_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Jobs message")
        self.banner.hide()
        self.note = QLabel(EMPTY_TEXT)
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.banner)
        layout.addWidget(self.stack, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.refresh)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.dataChanged.connect(lambda *_: self._update_actions())
        self.model.rowsRemoved.connect(lambda *_: self._update_actions())
        self._update_actions()

    def _action(self, text: str, icon_name: str, tip: str, slot: Callable[[], None]) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        return action

    # -- loading ---------------------------------------------------------------------------

    def status_text(self) -> str:
        return self._status

    def refresh(self) -> None:
        if self.loading:
            return
        self.loading = True
        self.tasks.run(lambda _ctx: self.console.jobs.list(limit=LOAD_LIMIT), on_success=self._loaded,
                       on_error=self._load_failed, description="")

    def _loaded(self, jobs: list[Job]) -> None:
        self.loading = False
        self._show(jobs)
        self._schedule()
        self.jobs_loaded.emit()

    def _show(self, jobs: list[Job]) -> None:
        self.model.set_jobs(jobs)
        self.stack.setCurrentWidget(self.view if jobs else self.note)
        active = sum(1 for j in jobs if j.state in (JobState.QUEUED, JobState.RUNNING))
        self._status = f"Jobs: {len(jobs):,} item(s)" + (f", {active} queued or running" if active else "")
        self.status_changed.emit(self._status)
        self._update_actions()

    def _load_failed(self, exc: BaseException) -> None:
        self.loading = False
        self._show_banner(f"The jobs could not be read: {_message(exc)}", error=True)
        self._schedule()

    def follow_jobs(self, context_ids: Iterable[str]) -> None:
        """Live refresh: read the changed jobs again by ContextID (a new one joins the list, a
        deleted one leaves it). A hidden page reads everything when it is shown."""
        ids = sorted(context_ids)
        if not ids or not self.isVisible() or self.loading:
            return
        jobs = self.console.jobs
        self.tasks.run(lambda _ctx: {cid: jobs.find(cid) for cid in ids},
                       on_success=lambda fresh: self._followed(fresh) if isValid(self) else None,
                       on_error=lambda _exc: None, description="")

    def _followed(self, fresh: dict[str, Job | None]) -> None:
        known = {job.context_id for job in self.model.jobs}
        kept = [fresh.get(job.context_id, job) for job in self.model.jobs]
        new = [job for cid, job in fresh.items() if job is not None and cid not in known]
        self._show(new + [job for job in kept if job is not None])
        if self.model.any_active() and self.timer.remainingTime() > ACTIVE_POLL_MS:
            self.timer.start(ACTIVE_POLL_MS)  # a job started: follow its progress

    def _schedule(self) -> None:
        if self.isVisible():
            self.timer.start(ACTIVE_POLL_MS if self.model.any_active() else IDLE_POLL_MS)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.timer.isActive() and not self.loading:
            self.timer.start(0)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()

    # -- acting on the selected job --------------------------------------------------------

    def selected_job(self) -> Job | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.job(self.proxy.mapToSource(rows[0]).row())

    def _update_actions(self) -> None:
        job = self.selected_job()
        state = job.state if job is not None else None
        self.cancel_action.setEnabled(state in (JobState.QUEUED, JobState.RUNNING) and not (job and job.cancel_requested))
        self.retry_action.setEnabled(state in (JobState.FAILED, JobState.CANCELLED))
        self.delete_action.setEnabled(state is not None and state != JobState.RUNNING)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self._act(lambda: self.console.jobs.cancel(job.context_id), f"Cancel requested for {job.context_id}.")

    def retry_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            def retry() -> Any:
                result = self.console.jobs.retry(job.context_id)
                ensure = getattr(self.console, "ensure_worker", None)
                if ensure is not None:
                    ensure()  # a worker runs it (started when none heartbeats)
                return result

            self._act(retry, f"Queued {job.context_id} again.")

    def delete_selected(self) -> None:
        job = self.selected_job()
        if job is not None and ConfirmJobDelete.ask(self, job):
            self._act(lambda: self.console.jobs.delete(job.context_id), f"Deleted the record of job {job.context_id}.")

    def _act(self, call: Callable[[], Any], done: str) -> None:
        def finished(_result: Any) -> None:
            self._show_banner(done)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._show_banner(_message(exc), error=True)
            self.refresh()

        self.tasks.run(lambda _ctx: call(), on_success=finished, on_error=failed, description="")

    def _show_banner(self, text: str, *, error: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(ERROR_STYLE if error else "")
        self.banner.show()


def _message(exc: BaseException) -> str:
    if isinstance(exc, ConsoleError):
        problems = getattr(exc, "problems", None)
        if problems:
            return "; ".join(p.message for p in problems)
        return exc.message
    return f"{type(exc).__name__}: {exc}"
