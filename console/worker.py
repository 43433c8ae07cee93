"""``bootimage worker``: runs the site's jobs, step by step, until stopped.

A worker registers itself in the ``worker`` table, renews its heartbeat and the lease of the
job it holds from a thread (every ``JobSettings.heartbeat`` seconds), claims jobs and runs
their handler's steps, skipping the steps a previous run completed. SIGTERM (or Ctrl+C) lets
the current step finish, or stop at its next checkpoint, gives the job back to the queue and
exits 0. ``until_idle``: exit when no job is queued or running, or (exit 1) when the site
database has been unreachable for ``UNREACHABLE_SECONDS`` (a site deleted or moved: the jobs, if
any, stay queued for the next worker). A worker without it keeps trying (a service).

``ensure_worker`` is the embedded default: when a job is queued and no worker heartbeats, it
starts ``bootimage worker --until-idle`` as a detached process (its own session, output to
``worker.log`` in the data folder), so closing the console does not stop a build.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from console.app import Console
from console.core.audit import acting_for
from console.core.errors import ConsoleError, error_text
from console.core.jobs import (
    ERROR_CANCELLED,
    ERROR_FAILED,
    ERROR_INTERNAL,
    Cancelled,
    Deferred,
    Job,
    JobError,
    JobSettings,
    JobState,
    LeaseLost,
    WorkerStopping,
)
from console.storage.db_errors import DatabaseError

#: At most this many progress / checkpoint writes a second per running job.
WRITES_PER_SECOND = 10
#: How often the worker looks for packages whose RefreshSchedule came due (seconds).
REFRESH_CHECK_ENV = "BOOTIMAGE_REFRESH_CHECK_SECONDS"
#: How long an ``until_idle`` worker keeps trying a site database it cannot reach (seconds).
UNREACHABLE_SECONDS = 600.0
UNREACHABLE_ENV = "BOOTIMAGE_WORKER_UNREACHABLE_SECONDS"
#: How often a step's ``cancelled()`` asks the database at most (seconds).
CANCEL_CHECK_INTERVAL = 0.5

Log = Callable[[str], None]


def _stderr_log(text: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} worker {os.getpid()}: {text}", file=sys.stderr, flush=True)


class _StepContext:
    """What a running step sees (``console.core.jobs.StepContext``)."""

    def __init__(self, worker: Worker, job: Job, step: str, data: Mapping[str, Any] | None) -> None:
        self._worker = worker
        self._job = job
        self._step = step
        self._data = data
        self._pending_progress: tuple[int, int, str] | None = None
        self._last_write = 0.0
        self._last_cancel_check = time.monotonic()

    @property
    def worker_id(self) -> str:
        return self._worker.id

    @property
    def user(self) -> str:
        return self._job.queued_by

    @property
    def checkpoint_data(self) -> Mapping[str, Any] | None:
        return self._data

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._pending_progress = (done, total, text or f"{self._step}: {done} of {total}")
        if time.monotonic() - self._last_write >= 1 / WRITES_PER_SECOND:
            self.flush()

    def flush(self) -> None:
        if self._pending_progress is not None:
            done, total, text = self._pending_progress
            self._pending_progress = None
            self._last_write = time.monotonic()
            self._worker.console.jobs.report_progress(self._job.context_id, self._worker.id, done, total, text)

    def cancelled(self) -> bool:
        if self._worker.cancel_seen(self._job.context_id):
            return True
        if time.monotonic() - self._last_cancel_check >= CANCEL_CHECK_INTERVAL:
            self._last_cancel_check = time.monotonic()
            job = self._worker.console.jobs.find(self._job.context_id)
            if job is None or job.worker_id != self._worker.id:
                raise LeaseLost(self._job.context_id)
            if job.cancel_requested:
                self._worker.note_cancel(self._job.context_id)
                return True
        return False

    def checkpoint(self, data: Mapping[str, Any] | None = None) -> None:
        stopping = self._worker.stopping
        if stopping or self.cancelled() or time.monotonic() - self._last_write >= 1 / WRITES_PER_SECOND:
            progress, self._pending_progress = self._pending_progress, None
            self._last_write = time.monotonic()
            # one write: the checkpoint and the latest progress; it says whether a cancel came
            if self._worker.console.jobs.save_checkpoint(self._job.context_id, self._worker.id, data, progress):
                self._worker.note_cancel(self._job.context_id)
        if self._worker.cancel_seen(self._job.context_id):
            raise Cancelled(self._step)
        if stopping:
            raise WorkerStopping(self._step)


class Worker:
    def __init__(self, console: Console, *, until_idle: bool = False, settings: JobSettings | None = None,
                 log: Log = _stderr_log) -> None:
        self.console = console
        console.context.honour_object_locks = False  # the site's own jobs are not held back by an open sheet
        self.until_idle = until_idle
        self.settings = settings or console.jobs.settings()
        self.log = log
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._current: str | None = None
        self._cancelled: set[str] = set()
        self._lost: set[str] = set()

    # -- state shared with the heartbeat thread ---------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def note_cancel(self, context_id: str) -> None:
        with self._lock:
            self._cancelled.add(context_id)

    def cancel_seen(self, context_id: str) -> bool:
        with self._lock:
            if context_id in self._lost:
                raise LeaseLost(context_id)
            return context_id in self._cancelled

    # -- running ----------------------------------------------------------------------------

    def run(self) -> int:
        """Run jobs until stopped (or, with ``until_idle``, until none is queued or running)."""
        self._install_signals()
        kinds = self.console.jobs.handlers.kinds()
        self.console.jobs.register_worker(self.id, socket.gethostname(), os.getpid(), kinds)
        beat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        beat.start()
        self.log(f"started as {self.id} for job kinds {', '.join(kinds) or '(none)'}")
        next_refresh_check = 0.0
        unreachable_since: float | None = None
        code = 0
        try:
            while not self.stopping:
                if time.monotonic() >= next_refresh_check:
                    next_refresh_check = time.monotonic() + _refresh_interval()
                    if "refresh" in kinds:
                        self._queue_due_refreshes()
                    if "distribute" in kinds:
                        self._queue_due_validation()
                    self._sweep_work_folders()
                try:
                    job = self.console.jobs.claim(self.id, self.settings)
                    if job is not None:
                        self.run_job(job)
                        continue
                    if self.until_idle and self._idle(kinds):
                        break
                    unreachable_since = None
                except DatabaseError as exc:  # e.g. the server restarts: keep trying, bounded by the poll
                    self.log(f"cannot reach the site database: {exc}")
                    unreachable_since = unreachable_since or time.monotonic()
                    if self.until_idle and time.monotonic() - unreachable_since >= _unreachable_limit():
                        self.log(f"the site database has been unreachable for {_unreachable_limit():g} s: stopping "
                                 "(queued jobs stay queued; the console starts a worker again when one is queued)")
                        code = 1
                        break
                self._stop.wait(self.settings.poll)
        finally:
            self._stop.set()
            beat.join(timeout=self.settings.heartbeat + 5)
            try:
                self.console.jobs.unregister_worker(self.id)
            except ConsoleError as exc:
                self.log(f"could not remove this worker's record: {exc}")
        self.log("stopped")
        return code

    def _queue_due_refreshes(self) -> None:
        try:
            for package_id in self.console.queue_due_refreshes():
                self.log(f"the RefreshSchedule of {package_id} came due: refresh queued")
        except ConsoleError as exc:  # the database for a moment, a package deleted meanwhile: next time
            self.log(f"could not look for due refresh schedules: {exc}")

    def _sweep_work_folders(self) -> None:
        try:
            for context_id in self.console.sweep_work_folders():
                self.log(f"removed the work folder of ended job {context_id}")
        except ConsoleError as exc:  # the library's folder or the database for a moment: next time
            self.log(f"could not sweep the work folders: {exc}")

    def _queue_due_validation(self) -> None:
        try:
            count = self.console.content.queue_validation_cycle(self.console.settings.content_validation_hours())
            if count:
                self.log(f"content validation cycle: {count} validation(s) queued")
        except ConsoleError as exc:
            self.log(f"could not queue the content validation cycle: {exc}")

    def _idle(self, kinds: tuple[str, ...]) -> bool:
        """No open job. The worker's record goes first, then the queue is looked at once more:
        a console that queued a job meanwhile either sees this worker or is seen by it."""
        if self.console.jobs.open_count(kinds):
            return False
        self.console.jobs.unregister_worker(self.id)
        if self.console.jobs.open_count(kinds):
            self.console.jobs.register_worker(self.id, socket.gethostname(), os.getpid(), kinds)
            return False
        return True

    def run_job(self, job: Job) -> None:
        with acting_for(job.queued_by):  # what the job changes is audited as done for who queued it
            self._run_job(job)

    def _run_job(self, job: Job) -> None:
        handler = self.console.jobs.handlers.get(job.kind)
        jobs = self.console.jobs
        with self._lock:
            self._current = job.context_id
        step = ""
        self.log(f"running job {job.context_id} ({job.kind}, attempt {job.attempts})")
        try:
            if handler is None:
                raise JobError(f"this worker has no handler for job kind {job.kind!r}")
            steps = list(handler.steps(job))
            for index, step in enumerate(steps, 1):
                if step in job.completed_steps:
                    continue
                self._check_between_steps(job)
                jobs.start_step(job, self.id, step, index, len(steps))
                ctx = _StepContext(self, job, step, job.checkpoint if job.step == step else None)
                result = handler.run_step(job, step, ctx)
                ctx.flush()
                job = jobs.complete_step(job, self.id, step, result)
                self.log(f"job {job.context_id}: step {step} done")
            step = ""
            self._check_between_steps(job, stopping=False)
            jobs.finish(job, self.id, JobState.SUCCEEDED, summary=f"done: {len(steps)} steps")
            self.log(f"job {job.context_id} succeeded")
            self._sweep_work_folders()
        except Cancelled:
            self._end(job, JobState.CANCELLED, ERROR_CANCELLED,
                      f"cancelled on request{f' in step {step}' if step else ''}")
        except Deferred as exc:
            self._give_back(job, f"waiting {exc.delay:g} s: {exc.reason}", exc.delay, refund=True)
        except WorkerStopping:
            self._give_back(job, f"queued: the worker stopped{f' at a checkpoint of step {step}' if step else ''}")
        except LeaseLost:
            self.log(f"job {job.context_id}: lost (another worker took it over, or it was deleted)")
        except DatabaseError as exc:  # the database, not the job: try it again later
            self._retry_or_fail(job, step, JobError(f"site database: {exc.message}", retryable=True))
        except JobError as exc:
            self._retry_or_fail(job, step, exc)
        except OSError as exc:
            self._end(job, JobState.FAILED, ERROR_FAILED, self._where(step, _os_error(exc)))
        except ConsoleError as exc:
            self._end(job, JobState.FAILED, ERROR_FAILED, self._where(step, exc.message))
        except Exception as exc:  # a bug in a handler: the job fails with what happened
            self._end(job, JobState.FAILED, ERROR_INTERNAL, self._where(step, f"internal error: {error_text(exc)}"))
        finally:
            with self._lock:
                self._current = None
                self._cancelled.discard(job.context_id)
                self._lost.discard(job.context_id)

    def _retry_or_fail(self, job: Job, step: str, exc: JobError) -> None:
        if exc.retryable and job.attempts < self.settings.max_attempts:
            delay = self.settings.retry_delay * 2 ** max(0, job.attempts - 1)
            self._give_back(job, f"retrying in {delay:g} s after: {exc.message}", delay)
        else:
            self._end(job, JobState.FAILED, exc.code, self._where(step, exc.message))

    def _check_between_steps(self, job: Job, *, stopping: bool = True) -> None:
        fresh = self.console.jobs.find(job.context_id)
        if fresh is None or fresh.worker_id != self.id or fresh.state != JobState.RUNNING:
            raise LeaseLost(job.context_id)
        if fresh.cancel_requested:
            raise Cancelled()
        if stopping and self.stopping:
            raise WorkerStopping()

    @staticmethod
    def _where(step: str, text: str) -> str:
        return f"step {step}: {text}" if step else text

    def _end(self, job: Job, state: JobState, code: int, text: str) -> None:
        try:
            self.console.jobs.finish(job, self.id, state, error_code=code, text=text)
            self.log(f"job {job.context_id} {state}: {text}")
            self._sweep_work_folders()  # e.g. cancelled between two steps: no step removed it
        except LeaseLost:
            self.log(f"job {job.context_id}: lost before it could be marked {state}")
        except ConsoleError as exc:
            self.log(f"job {job.context_id}: could not record {state}: {exc}")

    def _give_back(self, job: Job, text: str, delay: float = 0.0, *, refund: bool = False) -> None:
        try:
            self.console.jobs.requeue(job, self.id, delay=delay, text=text, refund_attempt=refund)
            self.log(f"job {job.context_id}: {text}")
        except LeaseLost:
            self.log(f"job {job.context_id}: lost before it could be queued again")
        except ConsoleError as exc:
            self.log(f"job {job.context_id}: could not queue it again ({exc}); its lease will expire")

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat):
            try:
                self.console.jobs.worker_heartbeat(self.id)
                with self._lock:
                    current = self._current
                if current is None:
                    continue
                status = self.console.jobs.renew_lease(current, self.id, self.settings)
                with self._lock:
                    if not status.held:
                        self._lost.add(current)
                    elif status.cancel_requested:
                        self._cancelled.add(current)
            except ConsoleError as exc:  # the database is unreachable for a moment: try again
                self.log(f"heartbeat failed: {exc}")

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.log(f"{signal.Signals(signum).name}: finishing the current step, then stopping")
            self._stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)


def _unreachable_limit() -> float:
    text = os.environ.get(UNREACHABLE_ENV, "").strip()
    try:
        return max(0.0, float(text)) if text else UNREACHABLE_SECONDS
    except ValueError:
        return UNREACHABLE_SECONDS


def _refresh_interval() -> float:
    text = os.environ.get(REFRESH_CHECK_ENV, "").strip()
    try:
        return max(0.1, float(text)) if text else 60.0
    except ValueError:
        return 60.0


def _os_error(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
