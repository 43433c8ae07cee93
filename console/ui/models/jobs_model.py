"""The Jobs page's table: one row per job, updated in place from each background reload.

``set_jobs`` compares the new list with the rows shown (by ContextID): rows of jobs that are
gone are removed, changed rows emit ``dataChanged``, new jobs are inserted at the top. There
is no model reset, so the view keeps its selection, current row and scroll position while a
build's progress ticks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.core.jobs import Job, JobState

COLUMNS = ("ContextID", "Package", "Kind", "State", "Step", "Progress", "Progress text", "Queued by",
           "Queued at", "Started", "Finished", "Error")
PROGRESS_COLUMN = COLUMNS.index("Progress")
QUEUED_AT_COLUMN = COLUMNS.index("Queued at")
ProgressRole = Qt.ItemDataRole.UserRole + 40  # int percent 0..100, or -1 when unknown (busy)
SortRole = Qt.ItemDataRole.UserRole + 41
ACTIVE = (JobState.QUEUED, JobState.RUNNING)

_Index = QModelIndex | QPersistentModelIndex


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def percent(job: Job) -> int:
    """The job's progress in percent; a finished job that succeeded is 100; -1: not known yet."""
    if job.state == JobState.SUCCEEDED:
        return 100
    if job.max_progress > 0:
        return max(0, min(100, job.progress * 100 // job.max_progress))
    return -1 if job.state == JobState.RUNNING else 0


def error_text(job: Job) -> str:
    if job.state not in (JobState.FAILED, JobState.CANCELLED) and not job.error_code:
        return ""
    text = job.extended_error_info or job.progress_text
    return f"{text} (error {job.error_code})" if job.error_code else text


def cells(job: Job) -> tuple[str, ...]:
    shown = percent(job)
    return (job.context_id, job.package_id or "", job.kind, str(job.state), job.step,
            "" if shown < 0 else f"{shown}%", job.progress_text, job.queued_by, when(job.queued_at),
            when(job.started_at), when(job.finished_at), error_text(job))


class JobsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []

    # -- reading ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs) or not 0 <= index.column() < len(COLUMNS):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cells(job)[column]
        if role == ProgressRole:
            return percent(job)
        if role == SortRole:
            if column == PROGRESS_COLUMN:
                return percent(job)
            if column == QUEUED_AT_COLUMN:
                return job.queued_at.timestamp() if job.queued_at else 0.0
            return cells(job)[column]
        if role == Qt.ItemDataRole.AccessibleTextRole and column == PROGRESS_COLUMN:
            shown = percent(job)
            return "progress not known yet" if shown < 0 else f"{shown} percent"
        return None

    def job(self, row: int) -> Job | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, context_id: str) -> int | None:
        return next((r for r, j in enumerate(self._jobs) if j.context_id == context_id), None)

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def any_active(self) -> bool:
        return any(j.state in ACTIVE for j in self._jobs)

    # -- updating in place -----------------------------------------------------------------

    def set_jobs(self, jobs: Sequence[Job]) -> None:
        fresh = {j.context_id: j for j in jobs}
        for row in reversed(range(len(self._jobs))):
            if self._jobs[row].context_id not in fresh:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self.endRemoveRows()
        shown = {j.context_id for j in self._jobs}
        for row, old in enumerate(self._jobs):
            new = fresh[old.context_id]
            if new != old:
                self._jobs[row] = new
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        added = [j for j in jobs if j.context_id not in shown]
        if added:
            self.beginInsertRows(QModelIndex(), 0, len(added) - 1)
            self._jobs[0:0] = added
            self.endInsertRows()
