"""The ``build`` job: UpdateImage run by the site worker, step by step.

Steps (each idempotent; the job engine records each one as it completes, so a worker killed
with ``kill -9`` loses at most the step it was in):

``reload``     (only when asked) ExportDefaultBootImage of the package's architecture into a new
               source WIM, and the package points at it.
``preflight``  the package's build spec is taken from its current properties and frozen in the
               job (later steps and a resumed worker use exactly this spec); every pre-flight
               check runs; a failure fails the job with each cause before anything is written.
``export``     the package's index of the source WIM to a new WIM in the job's work folder.
``customize``  drivers, scratch space, boot script, prestart files, background.
``verify``     ``wimlib-imagex verify`` and a read-back of every customization.
``record``     the verified image becomes the package's next revision in the content library,
               with the listing of its files and the registry values the build manages (what
               revision diffs and boot media pre-flight read);
               SourceVersion, SourceDate, PackageSize and the image properties are updated in
               one short write transaction; the work folder is removed. A record step resumed
               after an attempt that recorded the revision and removed the work folder, but
               died before the step was marked completed, finds its revision current and ends.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from console.core.content import ContentLibrary, Manifest
from console.core.image_facts import ImageFacts
from console.core.jobs import Cancelled, Job, JobError, StepContext
from console.core.revision_types import BuiltImage as BuildOutput
from console.core.servicing import (
    BuildSpec,
    Check,
    DriverSource,
    ImageBuilder,
    ServicingError,
    SourceFingerprint,
    describe_spec,
    has_failures,
)
from console.core.servicing import Cancelled as StepCancelled

BUILD_KIND = "build"
STEPS = ("preflight", "export", "customize", "verify", "record")
#: First step when the job's payload asks to reload the image from the Windows ADK.
RELOAD_STEP = "reload"

#: plan(package_id, work_root) -> the package's build spec and its pre-flight checks
Plan = Callable[[str, str], tuple[BuildSpec, list[Check]]]
#: reload(package_id, context_id) -> the new source WIM the package now points at
Reload = Callable[[str, str], str]
#: record(package_id, output, progress, cancelled) -> the recorded version
Record = Callable[[str, BuildOutput, Callable[[int, int, str], None], Callable[[], bool]], int]


def spec_to_json(spec: BuildSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def spec_from_json(data: Mapping[str, Any]) -> BuildSpec:
    """The spec frozen by the pre-flight step (JSON lists back to the dataclass's tuples)."""
    values = dict(data)
    drivers: list[DriverSource] = []
    for driver in values.get("drivers") or ():
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in driver.items()}
        drivers.append(DriverSource(**fields))
    values["drivers"] = tuple(drivers)
    values["fingerprint"] = SourceFingerprint(**(values.get("fingerprint") or {}))
    for name, value in list(values.items()):
        if isinstance(value, list):
            values[name] = tuple(value)
    return BuildSpec(**values)


def failure_text(checks: Sequence[Check]) -> str:
    failures = [c for c in checks if c.failed]
    return "pre-flight failed: " + " | ".join(f"{c.message}" for c in failures)


class BuildJobHandler:
    """``JobHandler`` for kind ``build`` (UpdateImage / UpdateDefaultImage)."""

    kind = BUILD_KIND

    def __init__(self, plan: Plan, builder: ImageBuilder, library: Callable[[], ContentLibrary],
                 record: Record, reload: Reload | None = None,
                 after_record: Callable[[str], object] | None = None) -> None:
        self._reload = reload
        # what follows a recorded revision (every DP of the package gets it); idempotent, run
        # again by a record step resumed after a kill, so the update is never lost
        self._after_record = after_record
        self._plan = plan
        self._builder = builder
        self._library = library
        self._record = record

    def steps(self, job: Job) -> Sequence[str]:
        return (RELOAD_STEP, *STEPS) if job.payload.get("reload_from_adk") else STEPS

    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None:
        pid = job.package_id or ""
        if step == RELOAD_STEP:
            if self._reload is None:
                raise JobError("reloading from the Windows ADK is not available in this installation")
            ctx.progress(0, 1, "exporting the Windows ADK's winpe.wim")
            return {"source": self._reload(pid, job.context_id)}
        workdir = self._library().work_dir(job.context_id)
        if step == "preflight":
            return self._preflight(pid, str(workdir), ctx)
        spec = spec_from_json((job.step_results.get("preflight") or {})["spec"])
        try:
            if step == "record":
                return self._record_step(job, pid, spec, workdir, ctx)
            ctx.progress(0, 100, f"{step}: starting")
            self._builder.run_step(step, spec, str(workdir), ctx.progress, ctx.cancelled)
        except StepCancelled:
            raise Cancelled() from None
        except ServicingError as exc:
            raise JobError(f"{step}: {exc.message}") from None
        return None

    def _preflight(self, pid: str, work_root: str, ctx: StepContext) -> Mapping[str, Any]:
        ctx.progress(0, 1, "pre-flight checks")
        spec, checks = self._plan(pid, work_root)
        if has_failures(checks):
            raise JobError(failure_text(checks))
        warnings = [c.message for c in checks if c.severity == "warning"]
        ctx.progress(1, 1, f"pre-flight passed ({len(warnings)} warning(s))")
        return {"spec": spec_to_json(spec), "warnings": warnings, "started": time.time()}

    def _record_step(self, job: Job, pid: str, spec: BuildSpec, workdir: Path, ctx: StepContext) -> Mapping[str, Any]:
        try:
            built = self._builder.result(spec, str(workdir))
        except ServicingError:
            recorded = self._recorded_by(pid, job.context_id)
            if recorded is None:
                raise
            # an earlier attempt recorded the revision, made it current and removed the work
            # folder, then died before this step was marked completed
            self._library().remove_work_dir(job.context_id)
            self._recorded(pid)
            return {"version": recorded.version, "summary": describe_spec(spec)[0]}
        started = (job.step_results.get("preflight") or {}).get("started")
        facts = ImageFacts(built.architecture, built.os_version, built.languages[0] if built.languages else "",
                           built.image_xml, built.size_kb)
        output = BuildOutput(
            files={spec.output_name: Path(built.path)}, facts=facts, summary=built.summary,
            image_listing=built.image_listing, registry=built.registry,
            duration_seconds=(time.time() - float(started)) if started else None, context_id=job.context_id,
        )
        version = self._record(pid, output, ctx.progress, ctx.cancelled)
        self._library().remove_work_dir(job.context_id)
        self._recorded(pid)
        return {"version": version, "summary": built.summary}

    def _recorded(self, pid: str) -> None:
        if self._after_record is not None:
            self._after_record(pid)

    def _recorded_by(self, pid: str, context_id: str) -> Manifest | None:
        """The package's current revision when this job built it."""
        current = self._library().current(pid)
        if current is not None and current.context_id == context_id and current.origin == "build":
            return current
        return None
