"""The ``distribute`` job: one package's content on one distribution point (standard library only).

Payload ``{"dp": NAME, "action": "install"|"update"|"redistribute"|"validate"|"remove"}``.
Steps of install / update / redistribute (each idempotent; a resumed job continues from the DP's
own state: objects already verified there are not sent again, and an object half written
continues from its bytes):

``connect``      the DP's maintenance mode, its schedule window and the site's limit of DPs
                 served at once are checked (in maintenance / closed / full: the job waits,
                 ``Deferred``, without using an attempt; maintenance and the window are checked
                 again before every writing step and while objects are sent);
                 the version to send is frozen (the site library's current one); the DP says
                 which objects it lacks and whether it has room.
``send``         the missing objects (all of them for redistribute), each hashed on the DP
                 before it is renamed into its FileLib; checkpointed as objects arrive.
``manifest``     the version's manifest.
``pointer``      the package pointer, last: the DP never points at a partial version.
``materialize``  the version's files under ``Packages/<PackageID>/`` (reassembled and hashed
                 on the DP, then renamed); older versions' manifests and objects only they
                 used go.
``pxe``          on a PXE-enabled DP, the network boot layout again from the DP's content
                 (``console.core.pxe``; a DP no longer PXE-enabled loses it); nothing otherwise.
``record``       the (package, DP) row: INSTALLED, the version, when.

``validate`` re-hashes every file of the package's current version on the DP and names each
missing or damaged file (on a PXE-enabled DP, the network boot layout's files too); ``remove`` deletes the package from the DP (objects another package
uses stay) and updates the network boot layout. Every failure reaches the (package, DP) row with its real cause.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from console.core.distribution import CAUSES, DistributionPoint, DpState, TransportError
from console.core.distribution_store import StateChange
from console.core.errors import ConsoleError
from console.core.jobs import (
    Cancelled,
    Deferred,
    Job,
    JobError,
    JobSettings,
    LeaseLost,
    StepContext,
    WorkerStopping,
)
from console.core.pxe import PxePlan, PxeSources, read_ipxe, read_wimboot

DISTRIBUTE_KIND = "distribute"
INSTALL_STEPS = ("connect", "send", "manifest", "pointer", "materialize", "pxe", "record")
ACTION_STEPS = {"install": INSTALL_STEPS, "update": INSTALL_STEPS, "redistribute": INSTALL_STEPS,
                "validate": ("validate",), "remove": ("remove", "pxe")}
#: A PXE-enabled DP's network boot plan and the local files it takes (``NetworkBoot.plan_for``).
PxeInputs = Callable[[DistributionPoint], tuple[PxePlan, PxeSources]]
#: The (package, DP) row's text while the DP is in maintenance mode.
MAINTENANCE_WAITING = "distribution point in maintenance mode; waiting"
#: How often a running send writes bytes done / total into the (package, DP) row (seconds).
ROW_PROGRESS_INTERVAL = 2.0


class DpContent(Protocol):
    """One open DP as the job uses it (``console.distribution.dp_content.SiteToDp``)."""

    def close(self) -> None: ...
    def discard(self) -> None:
        """Delete what this job left in flight on the DP (its temporary objects and files)."""
        ...
    def sweep(self, live: Callable[[], set[str]]) -> int:
        """Delete what ended jobs left in flight on the DP; ``live``: the ids of the jobs that
        have not ended (their bytes stay)."""
        ...
    def free_bytes(self) -> int: ...
    def plan(self, package_id: str, version: int, *, everything: bool = False) -> dict[str, int]: ...
    def send(self, package_id: str, version: int, tick: Callable[[int, int, int, int], None], *,
             everything: bool = False) -> dict[str, int]: ...
    def write_manifest(self, package_id: str, version: int) -> None: ...
    def set_pointer(self, package_id: str, version: int) -> None: ...
    def materialize(self, package_id: str, version: int, *, previous: int | None, force: bool,
                    progress: Callable[[int, int], None]) -> list[str]: ...
    def current_version(self, package_id: str) -> int | None: ...
    def validate(self, package_id: str, version: int | None) -> list[str]: ...
    def remove(self, package_id: str) -> dict[str, Any]: ...
    def update_pxe(self, plan: PxePlan, sources: PxeSources, tag: str) -> dict[str, Any]: ...
    def remove_pxe(self) -> bool: ...
    def check_pxe(self, package_ids: list[str]) -> list[str]: ...


class DpStates(Protocol):
    """Where the job reports the (package, DP) row (``ContentDistribution``); a change for a row
    removed meanwhile is skipped."""

    def set_states(self, changes: Sequence[StateChange]) -> int: ...
    def removed(self, package_id: str, dp_name: str) -> bool: ...


def next_open_hour(dp: DistributionPoint, now: datetime) -> datetime | None:
    """The start of the DP's next open schedule hour after ``now`` (None: never open)."""
    start = now.replace(minute=0, second=0, microsecond=0)
    for hours in range(1, 25):
        at = start + timedelta(hours=hours)
        if dp.open_at(at.hour):
            return at
    return None


class DistributionJobHandler:
    """``JobHandler`` for kind ``distribute``."""

    kind = DISTRIBUTE_KIND

    def __init__(self, *, find_dp: Callable[[str], DistributionPoint | None],
                 open_dp: Callable[[DistributionPoint, str], DpContent], current_version: Callable[[str], int | None],
                 states: DpStates, settings: Callable[[], JobSettings], clock: Callable[[], datetime],
                 running_dps: Callable[[], int] = lambda: 1, max_dps: Callable[[], int] = lambda: 16,
                 live_jobs: Callable[[], set[str]] | None = None, pxe: PxeInputs | None = None) -> None:
        self._find_dp = find_dp
        self._open_dp = open_dp
        self._current_version = current_version
        self._states = states
        self._settings = settings
        self._clock = clock
        self._running_dps = running_dps
        self._max_dps = max_dps
        self._live_jobs = live_jobs  # ids of the distribute jobs not ended (None: Temp is not swept)
        self._pxe = pxe  # None: no network boot layouts (tests of the job alone)
        self._open: dict[str, DpContent] = {}

    def steps(self, job: Job) -> Sequence[str]:
        return ACTION_STEPS.get(self._action(job), INSTALL_STEPS)

    @staticmethod
    def _action(job: Job) -> str:
        return str(job.payload.get("action") or "install")

    # -- running ---------------------------------------------------------------------------------

    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None:
        pid, action = job.package_id or "", self._action(job)
        if action not in ACTION_STEPS:
            raise JobError(f"unknown distribution action {action!r} (install, update, redistribute, validate, remove)")
        dp = self._find_dp(str(job.payload.get("dp") or ""))
        if dp is None:
            raise JobError(f"there is no distribution point named {job.payload.get('dp')!r} any more")
        removing = action == "remove"
        try:
            result = self._run(job, step, ctx, pid, dp, action)
        except (Deferred, WorkerStopping, LeaseLost):
            self._close(job)
            raise
        except Cancelled:
            self._close(job, discard=True)
            self._set(pid, dp.name, DpState.REMOVAL_FAILED if removing else DpState.INSTALL_FAILED,
                                   last_error=f"{action} was cancelled", error_cause="", next_retry=None)
            raise
        except TransportError as exc:
            self._close(job, discard=not self._will_retry(job, exc.retryable))
            raise self._failed(job, pid, dp, exc.message, exc.cause, exc.retryable, removing) from None
        except JobError as exc:
            self._close(job, discard=not self._will_retry(job, exc.retryable))
            raise self._failed(job, pid, dp, exc.message, "", exc.retryable, removing) from None
        except ConsoleError as exc:  # the site's library (damaged or missing content), the database
            self._close(job, discard=True)
            raise self._failed(job, pid, dp, exc.message, "", False, removing) from None
        except Exception as exc:  # a bug: the row says so too, then the engine records it
            self._close(job)
            self._set(pid, dp.name, DpState.REMOVAL_FAILED if removing else DpState.INSTALL_FAILED,
                      last_error=f"internal error: {type(exc).__name__}: {exc}", error_cause="", next_retry=None)
            raise
        except BaseException:
            self._close(job)
            raise
        if step == self.steps(job)[-1]:
            self._close(job)
        return result

    def _run(self, job: Job, step: str, ctx: StepContext, pid: str, dp: DistributionPoint,
             action: str) -> Mapping[str, Any] | None:
        if step not in ("validate", "record"):  # a DP in maintenance mode receives nothing (these only read / record)
            self._check_maintenance(dp, job)
        if step in ("connect", "send", "validate", "remove"):
            self._check_window(dp, job)
        if step == "validate":
            return self._validate(job, ctx, pid, dp)
        if step == "remove":
            return self._remove(job, ctx, pid, dp)
        if step == "pxe":
            return self._network_boot(job, ctx, pid, dp)
        if step == "connect":
            return self._connect(job, ctx, pid, dp, action)
        version = int((job.step_results.get("connect") or {})["version"])
        content = self._content(job, dp)
        everything = action == "redistribute"
        if step == "send":
            return self._send(job, ctx, content, pid, dp, version, everything)
        if step == "manifest":
            content.write_manifest(pid, version)
        elif step == "pointer":
            content.set_pointer(pid, version)
        elif step == "materialize":
            previous = (job.step_results.get("connect") or {}).get("previous")

            def progress(done: int, total: int) -> None:
                ctx.progress(done, total, f"writing the package's files on {dp.name}")

            written = content.materialize(pid, version, previous=previous, force=everything, progress=progress)
            return {"written": written}
        elif step == "record":
            sent = job.step_results.get("send") or {}
            self._set(pid, dp.name, DpState.INSTALLED, source_version=version, last_copied=self._clock(),
                                   bytes_done=int(sent.get("bytes_total", 0)), bytes_total=int(sent.get("bytes_total", 0)),
                                   last_error="", error_cause="", next_retry=None)
            return {"version": version, "bytes_sent": int(sent.get("bytes_sent", 0))}
        return None

    def _connect(self, job: Job, ctx: StepContext, pid: str, dp: DistributionPoint, action: str) -> Mapping[str, Any]:
        running, limit = self._running_dps(), max(1, self._max_dps())
        if running > limit:
            delay = self._settings().poll * 2
            raise Deferred(delay, f"{running - 1} distribution points are being served (the site's limit is {limit})")
        version = self._current_version(pid)
        if version is None:
            raise JobError(f"{pid} has no built content in the site's content library yet: build it first")
        ctx.progress(0, 1, f"connecting to {dp.name}")
        content = self._content(job, dp)
        previous = content.current_version(pid)
        if self._live_jobs is not None:  # what ended jobs could not delete (the DP was unreachable) goes
            content.sweep(self._live_jobs)
        self._pxe_preflight(pid, dp)
        plan = content.plan(pid, version, everything=action == "redistribute")
        needed = plan["bytes"] + plan["size"]
        free = content.free_bytes()
        if free < needed:
            raise TransportError(f"disk full: {dp.name} has {free:,} bytes free, {pid} version {version} needs "
                                 f"{needed:,}", cause="disk_full")
        state = DpState.INSTALL_PENDING if previous is None else DpState.CONTENT_UPDATING
        self._set(pid, dp.name, state, target_version=version, bytes_done=0, bytes_total=plan["bytes"],
                               last_error="", error_cause="", next_retry=None)
        return {"version": version, "previous": previous, **plan}

    def _send(self, job: Job, ctx: StepContext, content: DpContent, pid: str, dp: DistributionPoint, version: int,
              everything: bool) -> Mapping[str, Any]:
        before = ctx.checkpoint_data or {}
        # a resumed redistribute only completes what the DP still lacks (the rest was re-sent)
        again = everything and not before
        last_row = [0.0]
        state = DpState.CONTENT_UPDATING

        def tick(done: int, total: int, objects: int, sent: int) -> None:
            # the checkpoint first: it carries the pending progress in the same write (both are
            # coalesced to ~10 writes a second, and a progress write first would starve it)
            ctx.checkpoint({"objects_sent": int(before.get("objects_sent", 0)) + objects,
                            "bytes_sent": int(before.get("bytes_sent", 0)) + sent})
            ctx.progress(done, total, f"sending {pid} to {dp.name}: {done:,} of {total:,} bytes")
            now = self._clock().timestamp()
            if now - last_row[0] >= ROW_PROGRESS_INTERVAL:
                last_row[0] = now
                self._set(pid, dp.name, state, bytes_done=done, bytes_total=total)
                # the schedule as it is now (an administrator may close the window mid-transfer):
                # closed, the send pauses here and resumes from its bytes when the window opens;
                # the same when the DP is put in maintenance mode
                current = self._find_dp(dp.name) or dp
                self._check_maintenance(current, job)
                self._check_window(current, job)

        result = content.send(pid, version, tick, everything=again)
        return {"objects_sent": int(before.get("objects_sent", 0)) + result["objects_sent"],
                "bytes_sent": int(before.get("bytes_sent", 0)) + result["bytes_sent"],
                "bytes_total": result["bytes_total"]}

    def _validate(self, job: Job, ctx: StepContext, pid: str, dp: DistributionPoint) -> Mapping[str, Any]:
        ctx.progress(0, 1, f"validating {pid} on {dp.name}")
        content = self._content(job, dp)
        problems = content.validate(pid, None)
        if dp.pxe and self._pxe is not None:
            problems += content.check_pxe([pid])
        if problems:
            cause = "not_found" if all("missing" in p for p in problems) else "hash_mismatch"
            text = f"validation found {len(problems)} problem(s): " + "; ".join(problems[:10])
            self._set(pid, dp.name, DpState.INSTALL_FAILED, last_error=text, error_cause=cause,
                                   next_retry=None)
            raise JobError(text)
        self._set(pid, dp.name, DpState.INSTALLED, last_error="", error_cause="", next_retry=None)
        return {"problems": []}

    def _remove(self, job: Job, ctx: StepContext, pid: str, dp: DistributionPoint) -> Mapping[str, Any]:
        ctx.progress(0, 1, f"removing {pid} from {dp.name}")
        result = self._content(job, dp).remove(pid)
        self._states.removed(pid, dp.name)
        return result

    def _pxe_preflight(self, pid: str, dp: DistributionPoint) -> None:
        """A boot image deployed from this PXE-enabled DP needs wimboot and the iPXE binaries:
        without them (or with a file that is not wimboot) the job stops before sending, saying
        what to fetch and where to set it."""
        if not dp.pxe or self._pxe is None:
            return
        plan, sources = self._pxe(dp)
        if any(image.package_id == pid for image in plan.images):
            read_wimboot(sources.wimboot)
            read_ipxe(sources.ipxe_folder)

    def _network_boot(self, job: Job, ctx: StepContext, pid: str, dp: DistributionPoint) -> Mapping[str, Any]:
        if self._pxe is None:
            return {"pxe": "not configured"}
        current = self._find_dp(dp.name) or dp  # the flag as it is now
        content = self._content(job, dp)
        if not current.pxe:
            return {"pxe": "disabled", "removed": content.remove_pxe()}
        ctx.progress(0, 1, f"updating the network boot layout on {dp.name}")
        plan, sources = self._pxe(current)
        return {"pxe": "updated", **content.update_pxe(plan, sources, job.context_id)}

    # -- helpers ---------------------------------------------------------------------------------

    def _set(self, pid: str, dp_name: str, state: DpState, **fields: Any) -> None:
        self._states.set_states([StateChange(pid, dp_name, state, fields)])

    def _check_maintenance(self, dp: DistributionPoint, job: Job) -> None:
        """A DP in maintenance mode receives nothing: the job waits (without using an attempt)
        and looks again after the retry delay, until maintenance is switched off."""
        if not dp.maintenance:
            return
        state = DpState.REMOVAL_PENDING if self._action(job) == "remove" else DpState.INSTALL_PENDING
        self._set(job.package_id or "", dp.name, state, next_retry=None, error_cause="",
                  last_error=MAINTENANCE_WAITING)
        raise Deferred(max(1.0, self._settings().retry_delay),
                       f"{dp.name} is in maintenance mode; the job waits until maintenance is switched off")

    def _check_window(self, dp: DistributionPoint, job: Job) -> None:
        """Schedule hours are the worker's local time (ConfigMgr: the site server's)."""
        now = self._clock().astimezone()
        if dp.open_at(now.hour):
            return
        opens = next_open_hour(dp, now)
        if opens is None:
            raise JobError(f"the schedule of {dp.name} is closed at every hour: open an hour for it to receive content")
        pid = job.package_id or ""
        state = DpState.REMOVAL_PENDING if self._action(job) == "remove" else DpState.INSTALL_PENDING
        self._set(pid, dp.name, state, next_retry=opens,
                               last_error=f"waiting for the schedule of {dp.name} to open at {opens:%H:%M}")
        raise Deferred((opens - now).total_seconds(),
                       f"the schedule of {dp.name} is closed; the job runs when it opens at {opens:%Y-%m-%d %H:%M}")

    def _content(self, job: Job, dp: DistributionPoint) -> DpContent:
        content = self._open.get(job.context_id)
        if content is None:
            content = self._open[job.context_id] = self._open_dp(dp, job.context_id)
        return content

    def _will_retry(self, job: Job, retryable: bool) -> bool:
        return retryable and job.attempts < self._settings().max_attempts

    def _close(self, job: Job, *, discard: bool = False) -> None:
        """Close the job's DP connection; ``discard``: the job ends here, so the bytes it left
        in flight on the DP (kept for a resumed run otherwise) are deleted first."""
        content = self._open.pop(job.context_id, None)
        if content is not None and discard:
            with contextlib.suppress(ConsoleError):
                content.discard()
        if content is not None:
            with contextlib.suppress(ConsoleError):  # a broken connection: the failure that led here counts
                content.close()

    def _failed(self, job: Job, pid: str, dp: DistributionPoint, message: str, cause: str, retryable: bool,
                removing: bool) -> JobError:
        """The row gets the real cause; the job is retried (the engine's backoff) or fails."""
        settings = self._settings()
        again = self._will_retry(job, retryable)
        what = CAUSES.get(cause, (True, ""))[1]
        text = message if not what or message.lower().startswith(what) else f"{what}: {message}"
        fields: dict[str, Any] = {"last_error": text, "error_cause": cause, "next_retry": None}
        if again:
            delay = settings.retry_delay * 2 ** max(0, job.attempts - 1)
            fields["next_retry"] = self._clock() + timedelta(seconds=delay)
            state = DpState.REMOVAL_RETRYING if removing else DpState.INSTALL_RETRYING
        else:
            state = DpState.REMOVAL_FAILED if removing else DpState.INSTALL_FAILED
        self._set(pid, dp.name, state, **fields)
        return JobError(f"{dp.name}: {text}", retryable=retryable)
