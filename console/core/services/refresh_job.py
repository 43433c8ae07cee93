"""The ``refresh`` job: RefreshPkgSource run by the site worker (standard library only).

``check``  asks whether the package's next build would differ from its current revision (no
           revision yet, a shaping property changed, the source WIM is newer).
``queue``  changed: queues a ``build`` (whose record step queues the update of every DP of the
           package); unchanged: queues an ``update`` of every DP of the package, so a DP that
           is behind gets the current version (one that has it does next to nothing).

``RefreshSchedule``: the worker asks ``due_refreshes`` every ``BOOTIMAGE_REFRESH_CHECK_SECONDS``
(default 60) and queues a refresh for each package whose schedule came due since its last one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from console.core.jobs import Job, StepContext
from console.core.schedule_tokens import last_occurrence

REFRESH_KIND = "refresh"
STEPS = ("check", "queue")


class RefreshJobHandler:
    kind = REFRESH_KIND

    def __init__(self, *, source_change: Callable[[str], str | None], queue_build: Callable[[str], str],
                 queue_update: Callable[[str], int]) -> None:
        self._source_change = source_change
        self._queue_build = queue_build
        self._queue_update = queue_update

    def steps(self, job: Job) -> Sequence[str]:
        return STEPS

    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None:
        pid = job.package_id or ""
        if step == "check":
            ctx.progress(0, 1, f"comparing {pid}'s source with its current revision")
            reason = self._source_change(pid)
            return {"rebuild": reason is not None, "reason": reason or "the source is unchanged"}
        check = job.step_results.get("check") or {}
        if check.get("rebuild"):
            return {"build": self._queue_build(pid), "reason": check.get("reason")}
        return {"updates": self._queue_update(pid)}


def due_refreshes(schedules: Mapping[str, Sequence[tuple[str, Mapping[str, Any]]]],
                  last_refresh: Callable[[str], datetime | None], now: datetime) -> list[str]:
    """PackageIDs whose RefreshSchedule came due after their last refresh was queued (a token
    that came due while no worker ran counts once, at the next check)."""
    due = []
    for package_id, tokens in sorted(schedules.items()):
        occurred = [at for name, values in tokens if (at := last_occurrence(name, values, now)) is not None]
        if not occurred:
            continue
        last = last_refresh(package_id)
        if last is None or max(occurred) > last:
            due.append(package_id)
    return due
