"""The job engine's service: queue, watch, cancel, retry and delete jobs (the console and the
CLI), and claim, run and finish them (``console.worker``).

Every method is one short unit of work; nothing here does file or network I/O. The worker's
writes name the worker (``worker_id``): a worker whose lease another worker took over writes
nothing more (``LeaseLost``).
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from console.core.changes import Changes, Result
from console.core.errors import NotFoundError, ValidationError
from console.core.jobs import (
    ERROR_CANCELLED,
    HandlerRegistry,
    Job,
    JobKind,
    JobSettings,
    JobState,
    LeaseLost,
    StepRun,
    WorkerRecord,
    normal_context_id,
)
from console.core.ports import UnitOfWork
from console.core.services.context import ServiceContext

OPEN = (JobState.QUEUED, JobState.RUNNING)
#: A worker record without a heartbeat for this long is removed when a worker starts.
DEAD_WORKER_RECORDS = timedelta(days=1)
ENDED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


def precise_now() -> datetime:
    """Job times keep microseconds: the queue is ordered by ``queued_at``."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class LeaseStatus:
    held: bool
    cancel_requested: bool = False


class Jobs:
    def __init__(self, ctx: ServiceContext, handlers: HandlerRegistry | None = None,
                 clock: Callable[[], datetime] = precise_now) -> None:
        self._ctx = ctx
        self.handlers = handlers if handlers is not None else HandlerRegistry()
        self._now = clock

    # -- reading ---------------------------------------------------------------------------

    def list(self, *, package_id: str | None = None, states: Sequence[str] = (), limit: int | None = None) -> list[Job]:
        """Jobs, newest first."""
        with self._ctx.uow() as uow:
            return uow.jobs.list(package_id=package_id, states=states, limit=limit)

    def all(self, *, package_id: str | None = None) -> builtins.list[Job]:
        return self.list(package_id=package_id)

    def find(self, context_id: str) -> Job | None:
        with self._ctx.uow() as uow:
            return uow.jobs.get(normal_context_id(context_id))

    def get(self, context_id: str) -> Job:
        context_id = normal_context_id(context_id)
        job = self.find(context_id)
        if job is None:
            raise NotFoundError(f"no job with ContextID {context_id!r}")
        return job

    def settings(self) -> JobSettings:
        with self._ctx.uow() as uow:
            return JobSettings.load(uow.settings.get)

    def live_workers(self, settings: JobSettings | None = None) -> builtins.list[WorkerRecord]:
        """Workers whose heartbeat is younger than the lease."""
        settings = settings or self.settings()
        with self._ctx.uow() as uow:
            return uow.jobs.live_workers(self._now() - timedelta(seconds=settings.lease))

    # -- what the console and the CLI do ---------------------------------------------------

    def queue(self, kind: str, package_id: str | None = None, payload: Mapping[str, Any] | None = None) -> Result[Job]:
        """Queue a job; its ContextID is ``result.value.context_id``."""
        if kind not in self.handlers:
            known = ", ".join(self.handlers.kinds()) or "none"
            raise ValidationError.single("Kind", f"there is no job kind {kind!r} (known: {known})")
        data = dict(payload or {})
        try:
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise ValidationError.single("Payload", f"the job's payload must be plain JSON data: {exc}") from None
        now = self._now()
        job = Job(context_id="{" + str(uuid.uuid4()).upper() + "}", package_id=package_id, kind=kind,
                  state=JobState.QUEUED, progress_text="queued", queued_by=self._ctx.user, queued_at=now,
                  updated_at=now, payload=data)
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            if package_id is not None and uow.packages.get(package_id, lazy=False) is None:
                raise NotFoundError(f"there is no boot image package {package_id!r}; nothing was queued")
            uow.jobs.add(job)
            self._message(uow, job, f"Job {job.context_id} ({kind}) queued", site.code)
            uow.commit()
        return Result(job, Changes(updated=frozenset({package_id}) if package_id else frozenset(), status_messages=True))

    def new_job(self, kind: str, package_id: str | None = None, payload: Mapping[str, Any] | None = None) -> Job:
        """A queued job, not stored yet: a service that queues jobs in its own unit of work adds
        it with ``uow.jobs.add`` (so its rows and its jobs commit together). Besides the kinds
        with a handler here, the engine's own kinds (``JobKind``) are accepted: a worker that
        has their handler runs them."""
        if kind not in self.handlers and kind not in {str(k) for k in JobKind}:
            known = ", ".join(self.handlers.kinds()) or "none"
            raise ValidationError.single("Kind", f"there is no job kind {kind!r} (known: {known})")
        data = dict(payload or {})
        try:
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise ValidationError.single("Payload", f"the job's payload must be plain JSON data: {exc}") from None
        now = self._now()
        return Job(context_id="{" + str(uuid.uuid4()).upper() + "}", package_id=package_id, kind=kind,
                   state=JobState.QUEUED, progress_text="queued", queued_by=self._ctx.user, queued_at=now,
                   updated_at=now, payload=data)

    def cancel(self, context_id: str) -> Result[Job]:
        """A queued job is cancelled at once; a running one stops at its next checkpoint."""
        context_id = normal_context_id(context_id)
        now = self._now()
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            job = self._existing(uow, context_id)
            if job.state == JobState.QUEUED:
                uow.jobs.update(context_id, states=[JobState.QUEUED], state=JobState.CANCELLED, finished_at=now,
                                updated_at=now, error_code=ERROR_CANCELLED, cancel_requested=True,
                                extended_error_info=f"cancelled by {self._ctx.user} before it started",
                                progress_text="cancelled")
                self._message(uow, job, f"Job {context_id} ({job.kind}) cancelled before it started", site.code)
            elif job.state == JobState.RUNNING:
                uow.jobs.update(context_id, states=[JobState.RUNNING], cancel_requested=True, updated_at=now)
                self._message(uow, job, f"Cancel of job {context_id} ({job.kind}) requested", site.code)
            else:
                raise ValidationError.single("ContextID", f"job {context_id} has already ended ({job.state}); "
                                             "there is nothing to cancel")
            uow.commit()
        return Result(self.get(context_id), Changes(status_messages=True))

    def retry(self, context_id: str) -> Result[Job]:
        """Queue a failed or cancelled job again: every step runs again; attempts are kept."""
        context_id = normal_context_id(context_id)
        now = self._now()
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            job = self._existing(uow, context_id)
            if job.state not in (JobState.FAILED, JobState.CANCELLED):
                raise ValidationError.single("ContextID", f"job {context_id} is {job.state}; only a failed or "
                                             "cancelled job can be retried")
            uow.jobs.update(context_id, states=[JobState.FAILED, JobState.CANCELLED], state=JobState.QUEUED,
                            step="", completed=(), checkpoint=None, progress=0, max_progress=0,
                            progress_text="queued again", error_code=0, extended_error_info="",
                            cancel_requested=False, started_at=None, finished_at=None, next_attempt_at=None,
                            worker_id=None, heartbeat_at=None, lease_expires_at=None, updated_at=now,
                            queued_at=now, queued_by=self._ctx.user)
            self._message(uow, job, f"Job {context_id} ({job.kind}) queued again", site.code)
            uow.commit()
        return Result(self.get(context_id), Changes(status_messages=True))

    def delete(self, context_id: str) -> Result[str]:
        """DeleteContextID: drop the job's record (refused while it runs)."""
        context_id = normal_context_id(context_id)
        with self._ctx.uow(write=True) as uow:
            job = self._existing(uow, context_id, verb="deleted")
            if not uow.jobs.delete(context_id, unless_states=[JobState.RUNNING]):
                raise ValidationError.single("ContextID", f"job {context_id} ({job.kind}) is running; cancel it "
                                             "first, then delete it when it has stopped")
            uow.commit()
        return Result(context_id, Changes(status_messages=True))

    # -- what a worker does ----------------------------------------------------------------

    def register_worker(self, worker_id: str, host: str, pid: int, kinds: Sequence[str]) -> None:
        now = self._now()
        with self._ctx.uow(write=True) as uow:
            uow.jobs.remove_worker(worker_id)
            uow.jobs.remove_workers_silent_since(now - DEAD_WORKER_RECORDS)
            uow.jobs.add_worker(WorkerRecord(worker_id, host, pid, self._ctx.user, now, now, tuple(kinds)))
            uow.commit()

    def worker_heartbeat(self, worker_id: str) -> bool:
        with self._ctx.uow(write=True) as uow:
            found = uow.jobs.worker_heartbeat(worker_id, self._now())
            uow.commit()
        return found

    def unregister_worker(self, worker_id: str) -> None:
        with self._ctx.uow(write=True) as uow:
            uow.jobs.remove_worker(worker_id)
            uow.commit()

    def open_count(self, kinds: Sequence[str] | None = None) -> int:
        """Queued and running jobs (of ``kinds``; default: every kind with a handler)."""
        with self._ctx.uow() as uow:
            return uow.jobs.count_open(list(kinds) if kinds is not None else self.handlers.kinds())

    def claim(self, worker_id: str, settings: JobSettings, kinds: Sequence[str] | None = None) -> Job | None:
        now = self._now()
        with self._ctx.uow(write=True) as uow:
            job = uow.jobs.claim(worker_id, list(kinds) if kinds is not None else self.handlers.kinds(), now=now,
                                 lease_expires_at=now + timedelta(seconds=settings.lease))
            uow.commit()
        return job

    def renew_lease(self, context_id: str, worker_id: str, settings: JobSettings) -> LeaseStatus:
        now = self._now()
        with self._ctx.uow(write=True) as uow:
            held = uow.jobs.update(context_id, owner=worker_id, states=[JobState.RUNNING], heartbeat_at=now,
                                   lease_expires_at=now + timedelta(seconds=settings.lease))
            job = uow.jobs.get(context_id) if held else None
            uow.commit()
        return LeaseStatus(held, bool(job and job.cancel_requested))

    def start_step(self, job: Job, worker_id: str, step: str, index: int, count: int) -> None:
        self._write(job.context_id, worker_id, step=step, progress=0, max_progress=0,
                    progress_text=f"step {index} of {count}: {step}")

    def report_progress(self, context_id: str, worker_id: str, done: int, total: int, text: str) -> None:
        self._write(context_id, worker_id, progress=max(0, done), max_progress=max(0, total), progress_text=text)

    def save_checkpoint(self, context_id: str, worker_id: str, data: Mapping[str, Any] | None,
                        progress: tuple[int, int, str] | None = None) -> bool:
        """Keep the current step's checkpoint data (and its latest progress) in one write;
        says whether a cancel was requested."""
        fields: dict[str, Any] = {"checkpoint": dict(data) if data is not None else None}
        if progress is not None:
            done, total, text = progress
            fields.update(progress=max(0, done), max_progress=max(0, total), progress_text=text)
        with self._ctx.uow(write=True) as uow:
            if not uow.jobs.update(context_id, owner=worker_id, states=[JobState.RUNNING], updated_at=self._now(),
                                   **fields):
                raise LeaseLost(context_id)
            job = uow.jobs.get(context_id)
            uow.commit()
        return bool(job and job.cancel_requested)

    def complete_step(self, job: Job, worker_id: str, step: str, result: Mapping[str, Any] | None) -> Job:
        current = self.find(job.context_id)
        if current is None or current.worker_id != worker_id or current.state != JobState.RUNNING:
            raise LeaseLost(job.context_id)
        run = StepRun(step, worker_id, self._now().isoformat(), dict(result) if result is not None else None)
        completed = (*(r for r in current.completed if r.step != step), run)
        self._write(job.context_id, worker_id, completed=completed, checkpoint=None)
        return replace(current, completed=completed, checkpoint=None)

    def finish(self, job: Job, worker_id: str, state: JobState, *, error_code: int = 0, text: str = "",
               summary: str = "") -> None:
        """End a job: succeeded, failed (``error_code`` and the real cause in ``text``) or cancelled."""
        now = self._now()
        fields: dict[str, Any] = {"state": state, "finished_at": now, "error_code": error_code,
                                  "extended_error_info": text, "lease_expires_at": None, "step": ""}
        if state == JobState.SUCCEEDED:
            fields.update(progress_text=summary or "done", progress=max(job.max_progress, 1),
                          max_progress=max(job.max_progress, 1))
        else:
            fields["progress_text"] = summary or str(state)
        with self._ctx.uow(write=True) as uow:
            if not uow.jobs.update(job.context_id, owner=worker_id, states=[JobState.RUNNING], updated_at=now,
                                   **fields):
                raise LeaseLost(job.context_id)
            site = uow.sites.local()
            verb = {JobState.SUCCEEDED: "succeeded", JobState.CANCELLED: "was cancelled"}.get(state, "failed")
            text_end = f": {text}" if text and state != JobState.SUCCEEDED else ""
            self._message(uow, job, f"Job {job.context_id} ({job.kind}) {verb}{text_end}", site.code if site else "",
                          severity="information" if state != JobState.FAILED else "error")
            uow.commit()

    def requeue(self, job: Job, worker_id: str, *, delay: float = 0.0, text: str = "",
                refund_attempt: bool = False) -> None:
        """Give the job back to the queue (this worker stops, or a passing failure is retried
        after ``delay`` seconds); completed steps and the checkpoint are kept. ``refund_attempt``:
        the run waited (``Deferred``) and does not count against the job's attempts."""
        now = self._now()
        extra: dict[str, Any] = {"attempts": max(0, job.attempts - 1)} if refund_attempt else {}
        with self._ctx.uow(write=True) as uow:
            if not uow.jobs.update(job.context_id, owner=worker_id, states=[JobState.RUNNING],
                                   state=JobState.QUEUED, worker_id=None, lease_expires_at=None, heartbeat_at=None,
                                   next_attempt_at=now + timedelta(seconds=delay) if delay else None,
                                   progress_text=text or "queued (the worker stopped)", updated_at=now, **extra):
                raise LeaseLost(job.context_id)
            uow.commit()

    # -- helpers ---------------------------------------------------------------------------

    def _write(self, context_id: str, worker_id: str, **fields: Any) -> None:
        with self._ctx.uow(write=True) as uow:
            if not uow.jobs.update(context_id, owner=worker_id, states=[JobState.RUNNING],
                                   updated_at=self._now(), **fields):
                raise LeaseLost(context_id)
            uow.commit()

    @staticmethod
    def _existing(uow: UnitOfWork, context_id: str, verb: str = "changed") -> Job:
        job = uow.jobs.get(context_id)
        if job is None:
            raise NotFoundError(f"no job with ContextID {context_id!r}; nothing was {verb}")
        return job

    def _message(self, uow: UnitOfWork, job: Job, text: str, site_code: str, *, severity: str = "information") -> None:
        uow.status.add(time=self._ctx.clock(), severity=severity, kind="job", package_id=job.package_id, text=text,
                       user=self._ctx.user, site_code=site_code,
                       details={"ContextID": job.context_id, "kind": job.kind})
