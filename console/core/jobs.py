"""Jobs: the types of the persistent job engine (standard library only).

A job is a row in the site database whose id is the WMI ``ContextID``. A worker process
(``bootimage worker``) claims it, holding a *lease* it renews while it works, and runs the
job's *handler* step by step. Each completed step is recorded (checkpointed), so a worker
that dies loses at most the step it was in: the next worker resumes once the lease expires.

Handlers are registered by kind in a ``HandlerRegistry`` (built in ``console.app``)::

    class BuildHandler:
        kind = "build"
        def steps(self, job: Job) -> Sequence[str]: return ("export", "customize", "verify")
        def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None: ...

A step must be idempotent (it may run again after a crash). It reports progress with
``ctx.progress``, looks at ``ctx.cancelled()`` / calls ``ctx.checkpoint(data)`` at safe points
(the latter raises ``Cancelled`` or ``WorkerStopping`` when the job must stop there), raises
``JobError`` to fail the job with a message, and may return a small JSON-able mapping: the
step's result, which later steps read from ``job.step_results``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from console.core.errors import ConsoleError

# Win32 codes, as ConfigMgr's ErrorCode out-parameter carries them.
ERROR_FAILED = 1
ERROR_CANCELLED = 1223  # ERROR_CANCELLED
ERROR_INTERNAL = 1359  # ERROR_INTERNAL_ERROR


_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$")


def normal_context_id(text: str) -> str:
    """A ContextID as jobs store it (``{D6174002-F288-…}``): with or without its braces, in any
    case, as pasted from a shell that ate the braces or from a log; other text is kept as given."""
    match = _GUID.match(text.strip())
    return "{" + match[1].upper() + "}" if match else text.strip()


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    BUILD = "build"
    DISTRIBUTE = "distribute"
    VALIDATE = "validate"
    REFRESH = "refresh"
    MEDIA = "media"


#: QueryOSDBinaryInjectionStatus ``Status``: 0 done, 1 in progress, 2 error, 3 no status.
WMI_STATUS = {
    JobState.SUCCEEDED: 0,
    JobState.QUEUED: 1,
    JobState.RUNNING: 1,
    JobState.FAILED: 2,
    JobState.CANCELLED: 2,
}
WMI_NO_STATUS = 3


@dataclass(frozen=True)
class StepRun:
    """A completed step: which worker ran it to its end, when, and what it returned."""

    step: str
    worker: str
    finished_at: str  # ISO 8601, UTC
    result: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Job:
    context_id: str
    package_id: str | None
    kind: str
    state: JobState
    step: str = ""
    completed: tuple[StepRun, ...] = ()
    checkpoint: Mapping[str, Any] | None = None  # the current step's last checkpoint data
    progress: int = 0
    max_progress: int = 0
    progress_text: str = ""
    error_code: int = 0
    extended_error_info: str = ""
    attempts: int = 0
    queued_by: str = ""
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    cancel_requested: bool = False
    worker_id: str | None = None
    heartbeat_at: datetime | None = None
    lease_expires_at: datetime | None = None
    next_attempt_at: datetime | None = None

    @property
    def completed_steps(self) -> tuple[str, ...]:
        return tuple(run.step for run in self.completed)

    @property
    def step_results(self) -> dict[str, Mapping[str, Any] | None]:
        return {run.step: run.result for run in self.completed}

    @property
    def wmi_status(self) -> int:
        return WMI_STATUS.get(self.state, WMI_NO_STATUS)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)

    # Names the first Jobs page used (the WMI view of a job).
    @property
    def operation(self) -> str:
        return self.kind

    @property
    def status(self) -> int:
        return self.wmi_status


@dataclass(frozen=True)
class WorkerRecord:
    id: str
    host: str
    pid: int
    user: str
    started_at: datetime
    heartbeat_at: datetime
    kinds: tuple[str, ...] = ()


class JobError(ConsoleError):
    """A step failed for a reason the user can act on: the job fails with this message.

    ``retryable``: a passing condition (a share briefly unreachable): the job is queued
    again after the retry delay, while it has attempts left."""

    title = "Job"

    def __init__(self, message: str, *, code: int = ERROR_FAILED, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class Deferred(Exception):
    """Raised by a step when the job must wait without failing (a distribution point's schedule
    window is closed, the site's limit of distribution points served at once is reached): the
    job goes back to the queue for ``delay`` seconds, and the run does not count as an attempt."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = max(0.0, delay)
        self.reason = reason


class Cancelled(Exception):
    """Raised inside a step (by ``StepContext.checkpoint`` or the handler) to stop a job that
    was cancelled; the job ends in state ``cancelled``."""


class WorkerStopping(Exception):
    """Raised by ``StepContext.checkpoint`` when the worker was told to stop (SIGTERM): the
    step's checkpoint is kept and the job goes back to the queue for the next worker."""


class LeaseLost(Exception):
    """This worker no longer holds the job (its lease expired and another worker took it,
    or the job was deleted): the worker drops it without writing anything more."""


class StepContext(Protocol):
    """What a running step may use."""

    @property
    def worker_id(self) -> str: ...
    @property
    def user(self) -> str:
        """Who queued the job (for status messages and audit)."""
        ...
    @property
    def checkpoint_data(self) -> Mapping[str, Any] | None:
        """This step's last ``checkpoint`` data when it is resumed, else None."""
        ...
    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report progress; cheap to call often (coalesced to at most ~10 writes a second)."""
        ...
    def cancelled(self) -> bool: ...
    def checkpoint(self, data: Mapping[str, Any] | None = None) -> None:
        """A safe point: save ``data`` for a resumed run of this step, then raise
        ``Cancelled`` or ``WorkerStopping`` if the job must stop here."""
        ...


class JobHandler(Protocol):
    @property
    def kind(self) -> str: ...
    def steps(self, job: Job) -> Sequence[str]: ...
    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None: ...


class HandlerRegistry:
    """Job handlers by kind (one handler per kind). A handler registered lazily is made (and its
    modules imported) when a worker first asks for its kind: a console that only queues jobs
    never builds one."""

    def __init__(self, handlers: Iterable[JobHandler] = ()) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._factories: dict[str, Callable[[], JobHandler]] = {}
        self._lock = threading.Lock()
        for handler in handlers:
            self.register(handler)

    def register(self, handler: JobHandler) -> None:
        with self._lock:
            self._factories.pop(handler.kind, None)
            self._handlers[handler.kind] = handler

    def register_lazy(self, kind: str, factory: Callable[[], JobHandler]) -> None:
        """``factory()`` makes the handler of ``kind`` on first use (it replaces one registered before)."""
        with self._lock:
            self._handlers.pop(kind, None)
            self._factories[kind] = factory

    def get(self, kind: str) -> JobHandler | None:
        with self._lock:
            handler = self._handlers.get(kind)
            if handler is None and (factory := self._factories.get(kind)) is not None:
                handler = factory()  # a failure stays registered: the next ask fails the same way
                if handler.kind != kind:
                    raise ValueError(f"the handler registered for job kind {kind!r} handles {handler.kind!r}")
                del self._factories[kind]
                self._handlers[kind] = handler
            return handler

    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted({*self._handlers, *self._factories}))

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers or kind in self._factories


#: A function named in BOOTIMAGE_JOB_HANDLERS: returns the handlers it adds.
HandlerFactory = Callable[[], Iterable[JobHandler]]


#: JobSettings field -> (environment variable, site setting key)
JOB_SETTING_SOURCES: dict[str, tuple[str, str]] = {
    "lease": ("BOOTIMAGE_JOB_LEASE_SECONDS", "JobLeaseSeconds"),
    "heartbeat": ("BOOTIMAGE_JOB_HEARTBEAT_SECONDS", "JobHeartbeatSeconds"),
    "retry_delay": ("BOOTIMAGE_JOB_RETRY_SECONDS", "JobRetrySeconds"),
    "max_attempts": ("BOOTIMAGE_JOB_MAX_ATTEMPTS", "JobMaxAttempts"),
    "poll": ("BOOTIMAGE_WORKER_POLL_SECONDS", "WorkerPollSeconds"),
}


@dataclass(frozen=True)
class JobSettings:
    """Intervals of the job engine, in seconds. Each comes from its environment variable,
    else the site setting of the same name, else the default."""

    lease: float = 60.0  # a worker that has not renewed its lease for this long is dead
    heartbeat: float = 10.0  # how often a worker renews its lease and heartbeat
    retry_delay: float = 30.0  # first wait before a retryable failure runs again (doubles)
    max_attempts: int = 3  # runs of a job before a retryable failure is final
    poll: float = 2.0  # how often an idle worker looks for work

    @classmethod
    def load(cls, site_value: Callable[[str], str | None] = lambda _key: None,
             environ: Mapping[str, str] | None = None) -> JobSettings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (var, key) in JOB_SETTING_SOURCES.items():
            text = (env.get(var) or "").strip() or (site_value(key) or "").strip()
            if not text:
                continue
            try:
                number = float(text)
            except ValueError:
                raise ConsoleError(f"{var} (site setting {key}) = {text!r} is not a number of seconds") from None
            if not 0 < number <= 86400:
                raise ConsoleError(f"{var} (site setting {key}) = {text!r} must be above 0 and at most 86400")
            values[name] = int(number) if name == "max_attempts" else number
        settings = cls(**values)
        if settings.heartbeat >= settings.lease:
            raise ConsoleError(f"the job heartbeat ({settings.heartbeat:g} s) must be shorter than the lease "
                               f"({settings.lease:g} s), or a working worker would lose its jobs")
        return settings
