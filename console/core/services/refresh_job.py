"""The ``refresh`` job: RefreshPkgSource run by the site worker (standard library only).

``check``  asks whether the package's next build would differ from its current revision (no
           revision yet, a shaping property changed, the source WIM is newer).
``queue``  changed: queues a ``build`` (whose record step queues the update of every DP of the
           package); unchanged: queues an ``update`` of every DP of the package, so a DP that
           is behind gets the current version (one that has it does next to nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from console.core.jobs import Job, StepContext

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
