"""Jobs and workers in the site database: the claim that hands each job to one worker.

``claim`` runs inside a writing unit of work. On SQLite that transaction holds the database's
write lock from its start (``BEGIN IMMEDIATE``), so the read-then-update cannot interleave with
another worker. On PostgreSQL the candidates are locked with ``SELECT … FOR UPDATE SKIP
LOCKED`` (two workers never take the same row and never wait for each other), and a
transaction-scoped advisory lock per package, taken before the final check, keeps two jobs of
one package from starting at once on two machines.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from console.core.jobs import Job, JobKind, JobState, StepRun, WorkerRecord
from console.core.values import as_utc
from console.storage.schema import JobRow, WorkerRow

#: How many locked candidates a PostgreSQL claim looks at before giving up for this round.
PG_CANDIDATES = 16
RUNNING = JobState.RUNNING.value
QUEUED = JobState.QUEUED.value
DISTRIBUTE = JobKind.DISTRIBUTE.value


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _job(row: JobRow) -> Job:
    runs = tuple(
        StepRun(str(r.get("step", "")), str(r.get("worker", "")), str(r.get("finished_at", "")), r.get("result"))
        for r in (row.completed_steps or [])
    )
    return Job(
        context_id=row.context_id, package_id=row.package_id, kind=row.kind, state=JobState(row.state),
        step=row.step, completed=runs, checkpoint=row.checkpoint, progress=row.progress,
        max_progress=row.max_progress, progress_text=row.progress_text, error_code=row.error_code,
        extended_error_info=row.extended_error_info, attempts=row.attempts, queued_by=row.queued_by,
        queued_at=_utc(row.queued_at), started_at=_utc(row.started_at), finished_at=_utc(row.finished_at),
        updated_at=_utc(row.updated_at), payload=dict(row.payload or {}), cancel_requested=row.cancel_requested,
        worker_id=row.worker_id, heartbeat_at=_utc(row.heartbeat_at), lease_expires_at=_utc(row.lease_expires_at),
        next_attempt_at=_utc(row.next_attempt_at),
    )


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Job field values as column values (``completed`` is stored as JSON in completed_steps)."""
    values = dict(fields)
    if "completed" in values:
        values["completed_steps"] = [
            {"step": r.step, "worker": r.worker, "finished_at": r.finished_at, "result": r.result}
            for r in values.pop("completed")
        ]
    if isinstance(values.get("state"), JobState):
        values["state"] = values["state"].value
    return values


class SqlJobRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @property
    def _postgres(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    def add(self, job: Job) -> None:
        self._s.add(self._row(job))
        self._s.flush()

    @staticmethod
    def _row(job: Job) -> JobRow:
        fields = {name: getattr(job, name) for name in (
            "context_id", "package_id", "kind", "state", "step", "completed", "checkpoint", "progress",
            "max_progress", "progress_text", "error_code", "extended_error_info", "attempts", "queued_by",
            "queued_at", "started_at", "finished_at", "updated_at", "cancel_requested", "worker_id",
            "heartbeat_at", "lease_expires_at", "next_attempt_at")}
        fields["payload"] = dict(job.payload)
        return JobRow(**_columns(fields))

    def add_many(self, jobs: Sequence[Job]) -> None:
        """Many jobs in one flush (a distribution to thousands of DPs)."""
        for job in jobs:
            self._s.add(self._row(job))
        self._s.flush()

    def get(self, context_id: str) -> Job | None:
        row = self._s.get(JobRow, context_id, populate_existing=True)
        return _job(row) if row else None

    def list(self, *, package_id: str | None = None, states: Sequence[str] = (), limit: int | None = None) -> list[Job]:
        stmt = select(JobRow).order_by(JobRow.queued_at.desc(), JobRow.context_id)
        if package_id:
            stmt = stmt.where(JobRow.package_id == package_id)
        if states:
            stmt = stmt.where(JobRow.state.in_([str(s) for s in states]))
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_job(r) for r in self._s.scalars(stmt)]

    def update(self, context_id: str, *, owner: str | None = None, states: Sequence[str] = (), **fields: Any) -> bool:
        stmt = update(JobRow).where(JobRow.context_id == context_id)
        if owner is not None:  # only while this worker holds the job
            stmt = stmt.where(JobRow.worker_id == owner)
        if states:
            stmt = stmt.where(JobRow.state.in_([str(s) for s in states]))
        result = self._s.execute(stmt.values(**_columns(fields)).execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def delete(self, context_id: str, *, unless_states: Sequence[str] = ()) -> bool:
        stmt = delete(JobRow).where(JobRow.context_id == context_id)
        if unless_states:
            stmt = stmt.where(JobRow.state.not_in([str(s) for s in unless_states]))
        return bool(self._s.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1)  # type: ignore[attr-defined]

    # -- the claim ---------------------------------------------------------------------------

    def claim(self, worker_id: str, kinds: Sequence[str], *, now: datetime, lease_expires_at: datetime) -> Job | None:
        if not kinds:
            return None
        other = aliased(JobRow)
        # two jobs of one package never run at once, except distribute jobs to different DPs
        busy = exists().where(other.package_id == JobRow.package_id, other.state == RUNNING,
                              other.context_id != JobRow.context_id,
                              or_(other.kind != DISTRIBUTE, JobRow.kind != DISTRIBUTE,
                                  other.payload["dp"].as_string() == JobRow.payload["dp"].as_string()))
        due = or_(
            and_(JobRow.state == QUEUED, or_(JobRow.next_attempt_at.is_(None), JobRow.next_attempt_at <= now)),
            and_(JobRow.state == RUNNING, JobRow.lease_expires_at < now),
        )
        stmt = (select(JobRow.context_id, JobRow.package_id, JobRow.kind, JobRow.payload)
                .where(JobRow.kind.in_(list(kinds)), due, ~busy)
                .order_by(JobRow.queued_at, JobRow.context_id))
        if not self._postgres:  # the write lock is already ours: the first candidate is it
            first = self._s.execute(stmt.limit(1)).first()
            return self._take(first[0], worker_id, now, lease_expires_at) if first else None
        for context_id, package_id, kind, payload in self._s.execute(
                stmt.limit(PG_CANDIDATES).with_for_update(skip_locked=True, of=JobRow)).all():
            dp = str((payload or {}).get("dp") or "") if kind == DISTRIBUTE else None
            if package_id is not None and not self._package_free(context_id, package_id, dp):
                continue
            return self._take(context_id, worker_id, now, lease_expires_at)
        return None

    def _package_free(self, context_id: str, package_id: str, dp: str | None = None) -> bool:
        """PostgreSQL: no other transaction is starting a job of this package, and (seen after
        taking that lock, so including jobs just committed) none of its jobs runs. A distribute
        job (``dp``) shares the package's lock with distribute jobs to other DPs and holds its
        (package, DP) lock alone: it only waits for other kinds and for its own DP."""
        key = f"bootimage-job-package:{package_id}"
        if dp is None:
            got = self._s.scalar(text("SELECT pg_try_advisory_xact_lock(hashtext(:key))"), {"key": key})
        else:
            got = self._s.scalar(text("SELECT pg_try_advisory_xact_lock_shared(hashtext(:key)) "
                                      "AND pg_try_advisory_xact_lock(hashtext(:dp_key))"),
                                 {"key": key, "dp_key": f"{key}:{dp.lower()}"})
        if not got:
            return False
        conflict = [JobRow.package_id == package_id, JobRow.state == RUNNING, JobRow.context_id != context_id]
        if dp is not None:
            conflict.append(or_(JobRow.kind != DISTRIBUTE, JobRow.payload["dp"].as_string() == dp))
        running = self._s.scalar(select(func.count()).select_from(JobRow).where(*conflict))
        return not running

    def _take(self, context_id: str, worker_id: str, now: datetime, lease_expires_at: datetime) -> Job | None:
        self._s.execute(update(JobRow).where(JobRow.context_id == context_id).values(
            state=RUNNING, worker_id=worker_id, heartbeat_at=now, lease_expires_at=lease_expires_at,
            attempts=JobRow.attempts + 1, started_at=func.coalesce(JobRow.started_at, now), updated_at=now,
            next_attempt_at=None,
        ).execution_options(synchronize_session=False))
        return self.get(context_id)

    def count_open(self, kinds: Sequence[str]) -> int:
        return int(self._s.scalar(select(func.count()).select_from(JobRow).where(
            JobRow.kind.in_(list(kinds)), JobRow.state.in_([QUEUED, RUNNING]))) or 0)

    # -- workers -----------------------------------------------------------------------------

    def add_worker(self, worker: WorkerRecord) -> None:
        self._s.add(WorkerRow(id=worker.id, host=worker.host, pid=worker.pid, user=worker.user,
                              kinds=list(worker.kinds), started_at=worker.started_at, heartbeat_at=worker.heartbeat_at))
        self._s.flush()

    def worker_heartbeat(self, worker_id: str, now: datetime) -> bool:
        result = self._s.execute(update(WorkerRow).where(WorkerRow.id == worker_id).values(heartbeat_at=now)
                                 .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def remove_worker(self, worker_id: str) -> None:
        self._s.execute(delete(WorkerRow).where(WorkerRow.id == worker_id).execution_options(synchronize_session=False))

    def remove_workers_silent_since(self, before: datetime) -> int:
        """Drop the records of workers that died without a word (kill -9, power loss)."""
        result = self._s.execute(delete(WorkerRow).where(WorkerRow.heartbeat_at < before)
                                 .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def live_workers(self, since: datetime) -> builtins.list[WorkerRecord]:
        stmt = select(WorkerRow).where(WorkerRow.heartbeat_at >= since).order_by(WorkerRow.started_at)
        return [WorkerRecord(r.id, r.host, r.pid, r.user, as_utc(r.started_at), as_utc(r.heartbeat_at), tuple(r.kinds or ()))
                for r in self._s.scalars(stmt)]
