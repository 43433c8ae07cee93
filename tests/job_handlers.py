"""A job handler for the job-engine tests (a test fixture, not a mock of our code).

Its steps write files slowly, so tests can kill, stop or cancel a real worker process in the
middle of a step. Every step appends ``start`` and ``done`` lines (job, package, step, worker)
to ``steps.log`` in the payload's ``out`` folder (one ``write`` of a short line with
O_APPEND: lines of several processes never mix), so tests can tell which worker ran what.

Tests install it with ``BOOTIMAGE_JOB_HANDLERS=tests.job_handlers:handlers`` (see
``console.app.job_handlers``). Payload: ``out`` (folder), ``steps`` (names), ``files`` per
step, ``delay`` seconds per file, ``checkpoint`` (true: checkpoint after each file and resume
from it), ``fail`` (a step that raises ``JobError``), ``retryable`` (that error is passing),
``describe`` (a text the first step saves as the package's Description through the services, as
a real job changes a package: the audit names the worker acting for who queued the job).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from console.core.jobs import Cancelled, Job, JobError, JobHandler, StepContext

KIND = "test-files"


def log_line(out: Path, *fields: str) -> None:
    line = (" ".join(fields) + f" {time.time():.6f}\n").encode()
    fd = os.open(out / "steps.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read_log(out: Path) -> list[list[str]]:
    path = out / "steps.log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


class SlowFilesHandler:
    kind = KIND

    def steps(self, job: Job) -> Sequence[str]:
        return tuple(job.payload.get("steps", ("one", "two", "three")))

    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None:
        p = job.payload
        out = Path(p["out"])
        files, delay = int(p.get("files", 3)), float(p.get("delay", 0.05))
        first = int((ctx.checkpoint_data or {}).get("next", 0)) if p.get("checkpoint") else 0
        log_line(out, "start", job.context_id, job.package_id or "-", step, ctx.worker_id, str(first))
        if p.get("describe") and job.package_id and step == self.steps(job)[0]:
            from console.app import open_console

            site = open_console()  # the worker's site database (BOOTIMAGE_DB)
            try:
                site.packages.put(job.package_id, {"Description": str(p["describe"])})
            finally:
                site.close()
        folder = out / job.context_id.strip("{}") / step
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(first, files):
            if p.get("fail") == step:
                raise JobError(f"the test handler was told to fail in step {step}", code=112,
                               retryable=bool(p.get("retryable")))
            part = folder / f"file-{i}.part"
            part.write_text(f"{job.context_id} {step} {i} {ctx.worker_id}\n")
            part.replace(folder / f"file-{i}")  # idempotent: a rerun writes the same file again
            ctx.progress(i + 1, files, f"{step}: file {i + 1} of {files}")
            time.sleep(delay)
            if p.get("checkpoint"):
                ctx.checkpoint({"next": i + 1})
            elif ctx.cancelled():
                raise Cancelled(step)
        log_line(out, "done", job.context_id, job.package_id or "-", step, ctx.worker_id, str(files))
        return {"files": files, "worker": ctx.worker_id}


def handlers() -> Iterable[JobHandler]:
    return [SlowFilesHandler()]
