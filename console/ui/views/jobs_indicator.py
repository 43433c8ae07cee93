"""The status bar's jobs indicator: "1 job running: PS100004 build — export 40%".

It polls the open jobs cheaply in the background (``console.jobs.list(states=[queued,
running])``: every second while one is open, every few seconds otherwise). When a job it saw
open is no longer open, it reads that job once and tells the user how it ended — once, in
the status bar (``finished`` carries the text), never in a dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtWidgets import QSizePolicy, QWidget

from console.core.console_services import ConsoleServices
from console.core.jobs import Job, JobState
from console.ui.models.jobs_model import percent
from console.ui.tasks import TaskRunner
from console.ui.views.status_bar import ElidedLabel

ACTIVE_POLL_MS = 1000
IDLE_POLL_MS = 3000
MIN_WIDTH = 220
OPEN_STATES = (JobState.QUEUED.value, JobState.RUNNING.value)


@dataclass(frozen=True)
class Poll:
    open: list[Job]
    ended: list[Job]  # jobs seen open last time that are finished now


def describe_open(jobs: list[Job]) -> str:
    """The indicator's text; empty when no job is open."""
    if not jobs:
        return ""
    running = [j for j in jobs if j.state == JobState.RUNNING]
    shown = running[0] if running else jobs[0]
    count = len(running) if running else len(jobs)
    verb = "running" if running else "queued"
    text = f"{count} job{'s' if count != 1 else ''} {verb}: {shown.package_id or '-'} {shown.kind}"
    if shown.state == JobState.RUNNING and shown.step:
        value = percent(shown)
        text += f" — {shown.step}" + (f" {value}%" if value >= 0 else "")
    queued = len(jobs) - len(running)
    if running and queued:
        text += f" (+{queued} queued)"
    return text


def describe_end(job: Job) -> str:
    """The one-time message of a job that ended."""
    what = f"Job {job.package_id or '-'} {job.kind} ({job.context_id})"
    if job.state == JobState.SUCCEEDED:
        record = job.step_results.get("record") or {}
        summary = str(record.get("summary") or "") if isinstance(record, dict) else ""
        version = record.get("version") if isinstance(record, dict) else None
        built = f": built revision {version}" + (f" ({summary})" if summary else "") if version is not None else ""
        return f"{what} succeeded{built}."
    if job.state == JobState.CANCELLED:
        return f"{what} was cancelled."
    return f"{what} failed: {job.extended_error_info or job.progress_text or 'no cause recorded'}"


class JobsIndicator(ElidedLabel):
    finished = Signal(str)  # a job ended: the one-time message

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(max_width=380, parent=parent)
        self.console = console
        self.tasks = tasks
        self.setAccessibleName("Jobs running")
        # a permanent status-bar widget: it keeps its width next to a long message (at most
        # max_width, so it never widens the window; longer text is elided)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.polling = False
        self.open_ids: set[str] = set()
        self._asked: set[str] = set()  # the ids the poll in flight looks for
        self.polls = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.poll)
        self.hide()
        self.timer.start(0)

    def minimumSizeHint(self) -> QSize:
        return QSize(min(self.sizeHint().width(), MIN_WIDTH), super().minimumSizeHint().height())

    def watch(self, context_id: str) -> None:
        """A job this console just queued: tell how it ends even if it ends before a poll sees it."""
        self.open_ids.add(context_id)
        self.poll()

    def poll(self) -> None:
        if self.polling:
            return
        self.polling = True
        seen = set(self.open_ids)
        self._asked = seen
        jobs = self.console.jobs

        def read(_ctx: object) -> Poll:
            now = jobs.list(states=OPEN_STATES)
            still = {j.context_id for j in now}
            ended = [job for cid in sorted(seen - still) if (job := jobs.find(cid)) is not None and job.finished]
            return Poll(now, ended)

        self.tasks.run(read, on_success=self._polled, on_error=self._failed, description="")

    def _polled(self, poll: Poll) -> None:
        self.polling = False
        self.polls += 1
        self.open_ids = {j.context_id for j in poll.open} | (self.open_ids - self._asked)
        text = describe_open(poll.open)
        self.setText(text)
        self.setVisible(bool(text))
        for job in poll.ended:
            self.finished.emit(describe_end(job))
        self.timer.start(ACTIVE_POLL_MS if poll.open else IDLE_POLL_MS)

    def _failed(self, _exc: BaseException) -> None:
        # the site database is away: say nothing here (the pages report it), try again later
        self.polling = False
        self.timer.start(IDLE_POLL_MS * 3)
