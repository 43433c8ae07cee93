"""Create Boot Media: a bootable ISO (or disk image) of a package's current built image, made by
the site worker as a job of kind ``media``.

``BootMedia.preflight`` / ``create`` check and queue (the wizard and ``bootimage media create``
call them); ``MediaJobHandler`` runs the steps. Steps (each idempotent; a worker killed with
``kill -9`` loses at most the step it was in, the next one resumes):

``preflight``  the package's current version is frozen in the job (a build finishing meanwhile
               does not change the medium), every check runs again: the image's boot files
               (from the revision's stored listing), the output folder, free space, the
               prestart override; with an override the package's build spec is frozen too.
``image``      the frozen version's image out of the content library into the job's work
               folder (``<library>/Work/<ContextID>/image.wim``; temp name, hash checked, renamed).
``prestart``   (only with a prestart command override) the medium's own copy of the image: the
               build pipeline (``ImageBuilder``: export, customize, verify) runs on the built
               image with the package's customizations and the override, in ``custom/``. Nothing
               is recorded: the package's revisions do not change.
``layout``     the boot files extracted from the image into ``media/`` as ``console.core.
               boot_media`` lays them out, the image as ``media/sources/boot.wim``.
``write``      xorriso (ISO) or mtools (disk image) writes a temporary file next to the output,
               which is renamed over it when complete; the work folder is removed.

Cancel (or a failing step) removes the work folder and the temporary output file; the output
file of an earlier medium is only ever replaced whole.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from console.core.boot_media import (
    SPACE_MARGIN,
    MediaFormat,
    boot_files_check,
    output_checks,
    prestart_check,
    resolve_boot_files,
)
from console.core.changes import Changes, Result
from console.core.content import ContentError, ContentFile, ContentLibrary, Manifest, boot_image_name
from console.core.errors import ConsoleError, ValidationError
from console.core.jobs import Cancelled, Job, JobError, StepContext
from console.core.services.build_job import spec_from_json, spec_to_json
from console.core.servicing import (
    BuildSpec,
    CancelCheck,
    Check,
    ImageBuilder,
    Progress,
    SourceFingerprint,
    has_failures,
)
from console.core.servicing import Cancelled as StepCancelled

MEDIA_KIND = "media"
STEPS = ("preflight", "image", "layout", "write")
PRESTART_STEP = "prestart"
IMAGE_FILE = "image.wim"
CUSTOM_FOLDER = "custom"
MEDIA_FOLDER = "media"


class MediaMaker(Protocol):
    """The tools that make a medium (``console.servicing.media.MediaTools``)."""

    def list_image(self, wim: str) -> list[str]:
        """Every path in image 1 of ``wim`` (``/``-separated)."""
        ...

    def lay_out(self, wim: str, boot_files: Mapping[str, str], folder: str, cancelled: CancelCheck) -> None:
        """A new ``folder`` with each boot file (media path -> path in the image) and the image
        as ``sources/boot.wim``."""
        ...

    def write(self, media_format: str, folder: str, output: str, *, label: str, architecture: str,
              progress: Progress, cancelled: CancelCheck) -> None:
        """``folder`` as an ISO or disk image at ``output`` (temp file next to it, then renamed)."""
        ...


@dataclasses.dataclass(frozen=True)
class MediaRequest:
    package_id: str
    output: str
    media_format: str = MediaFormat.ISO.value
    prestart_command: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"output": self.output, "format": self.media_format, "prestart_command": self.prestart_command}

    @classmethod
    def from_job(cls, job: Job) -> MediaRequest:
        p = job.payload
        prestart = p.get("prestart_command")
        return cls(job.package_id or "", str(p.get("output") or ""), str(p.get("format") or MediaFormat.ISO.value),
                   None if prestart is None else str(prestart))


class BootMedia:
    """Pre-flight and queueing of boot media (the wizard's and ``bootimage media create``'s)."""

    def __init__(self, library: Callable[[], ContentLibrary], architecture_of: Callable[[str], str],
                 spec_for: Callable[[str], BuildSpec], queue: Callable[[str, str, Mapping[str, Any]], str]) -> None:
        self._library = library
        self._architecture_of = architecture_of
        self._spec_for = spec_for
        self._queue = queue

    def current(self, package_id: str) -> Manifest:
        pid = package_id.strip().upper()
        self._architecture_of(pid)  # NotFoundError for a package that does not exist
        manifest = self._library().current(pid)
        if manifest is None:
            raise ValidationError.single("PackageID", f"{pid} has no built image yet; build it first "
                                         f"(bootimage update-image {pid}, or Update Distribution Points)")
        return manifest

    def preflight(self, request: MediaRequest) -> list[Check]:
        """Every check of a medium before it is queued (and again in the job)."""
        checks: list[Check] = []
        if request.media_format not in {f.value for f in MediaFormat}:
            raise ValidationError.single("Format", f"{request.media_format!r} is not a media format (iso or disk)")
        manifest = self.current(request.package_id)
        image = _image_file(manifest)
        what = f"{manifest.package_id} version {manifest.version}"
        listing = list(manifest.image_listing) if manifest.image_listing is not None else None
        checks.append(boot_files_check(listing, self._architecture_of(manifest.package_id), what))
        checks += output_checks(request.output, image.size)
        checks.append(self._work_space_check(image.size * (2 if request.prestart_command is not None else 1)))
        prestart = prestart_check(request.prestart_command)
        if prestart is not None:
            checks.append(prestart)
        return checks

    def _work_space_check(self, needed: int) -> Check:
        """The job's work folder (in the content library) holds the image, and with a prestart
        override the medium's own copy too."""
        library = self._library()
        need = needed + SPACE_MARGIN
        try:
            free = library.free_bytes()
        except OSError as exc:
            return Check("media.work-space", "failure", f"the content library {library.root} cannot be reached "
                         f"({exc.strerror or exc})")
        mib = 1024 * 1024
        if free < need:
            return Check("media.work-space", "failure", f"the content library {library.root} has {free // mib} MiB "
                         f"free; the medium's work folder needs {need // mib} MiB; free space there")
        return Check("media.work-space", "pass", f"{free // mib} MiB free for the work folder in {library.root}")

    def create(self, request: MediaRequest) -> Result[str]:
        """Queue the ``media`` job after a passing pre-flight; its ContextID. A failing check
        is refused with every failure on one line (nothing is queued)."""
        request = dataclasses.replace(request, package_id=request.package_id.strip().upper(),
                                      output=os.path.abspath(os.path.expanduser(request.output)))
        checks = self.preflight(request)
        if has_failures(checks):
            raise ConsoleError(failure_text(checks))
        context_id = self._queue(MEDIA_KIND, request.package_id, request.payload())
        return Result(context_id, Changes(updated=frozenset({request.package_id}), status_messages=True))

    # -- used by the job --------------------------------------------------------------------

    def architecture(self, package_id: str) -> str:
        return self._architecture_of(package_id)

    def spec_with_prestart(self, package_id: str, image: str, command: str, work_root: str) -> BuildSpec:
        """The package's build spec applied to its built image with the override."""
        spec = self._spec_for(package_id)
        return dataclasses.replace(spec, image_path=image, image_index=1, pre_exec_command_line=command,
                                   work_root=work_root, fingerprint=SourceFingerprint())


def failure_text(checks: Sequence[Check]) -> str:
    return "pre-flight failed: " + " | ".join(c.message for c in checks if c.failed)


def _image_file(manifest: Manifest) -> ContentFile:
    name = boot_image_name(manifest.package_id)
    wims = [f for f in manifest.files if f.path.lower() == name.lower()] or \
           [f for f in manifest.files if f.path.lower().endswith(".wim")]
    if not wims:
        raise ContentError(f"{manifest.content_id} holds no .wim image")
    return wims[0]


class MediaJobHandler:
    """``JobHandler`` for kind ``media``; see the module docstring for the steps."""

    kind = MEDIA_KIND

    def __init__(self, media: BootMedia, library: Callable[[], ContentLibrary], builder: ImageBuilder,
                 maker: MediaMaker) -> None:
        self._media = media
        self._library = library
        self._builder = builder
        self._maker = maker

    def steps(self, job: Job) -> Sequence[str]:
        if job.payload.get("prestart_command") is not None:
            return ("preflight", "image", PRESTART_STEP, "layout", "write")
        return STEPS

    def run_step(self, job: Job, step: str, ctx: StepContext) -> Mapping[str, Any] | None:
        request = MediaRequest.from_job(job)
        work = self._library().work_dir(job.context_id)
        try:
            if step == "preflight":
                return self._preflight(job, request, work, ctx)
            frozen = job.step_results.get("preflight") or {}
            if step == "image":
                return self._image(frozen, work, ctx)
            if step == PRESTART_STEP:
                return self._prestart(frozen, work, ctx)
            if step == "layout":
                return self._layout(frozen, request, work, ctx)
            if step == "write":
                return self._write(frozen, request, job, work, ctx)
            raise JobError(f"unknown media step {step!r}")
        except (StepCancelled, Cancelled):
            self._library().remove_work_dir(job.context_id)
            raise Cancelled() from None
        except JobError:
            self._library().remove_work_dir(job.context_id)
            raise
        except ConsoleError as exc:
            self._library().remove_work_dir(job.context_id)
            raise JobError(exc.message) from None  # the worker names the step

    def _preflight(self, job: Job, request: MediaRequest, work: Path, ctx: StepContext) -> Mapping[str, Any]:
        ctx.progress(0, 1, "pre-flight checks")
        checks = self._media.preflight(request)
        if has_failures(checks):
            raise JobError(failure_text(checks))
        manifest = self._media.current(request.package_id)
        result: dict[str, Any] = {"version": manifest.version, "file": _image_file(manifest).to_json(),
                                  "architecture": self._media.architecture(manifest.package_id),
                                  "warnings": [c.message for c in checks if c.severity == "warning"]}
        if request.prestart_command is not None:
            spec = self._media.spec_with_prestart(manifest.package_id, str(work / IMAGE_FILE), request.prestart_command,
                                                  str(work / CUSTOM_FOLDER))
            result["spec"] = spec_to_json(spec)
        ctx.progress(1, 1, "pre-flight passed")
        return result

    def _image(self, frozen: Mapping[str, Any], work: Path, ctx: StepContext) -> Mapping[str, Any]:
        target = work / IMAGE_FILE
        file = ContentFile.from_json(frozen["file"])
        if not (target.is_file() and target.stat().st_size == file.size):
            ctx.progress(0, 1, f"taking version {frozen['version']} from the content library")
            self._library().materialize_file(file, target)
        ctx.progress(1, 1, "image taken from the content library")
        return {"size": file.size}

    def _prestart(self, frozen: Mapping[str, Any], work: Path, ctx: StepContext) -> Mapping[str, Any]:
        spec = spec_from_json(frozen["spec"])
        folder = work / CUSTOM_FOLDER
        folder.mkdir(exist_ok=True)
        for step in ("export", "customize", "verify"):
            if ctx.cancelled():
                raise Cancelled()
            ctx.progress(0, 100, f"prestart command: {step}")
            self._builder.run_step(step, spec, str(folder), ctx.progress, ctx.cancelled)
        return {"image": str(folder / spec.output_name)}

    def _layout(self, frozen: Mapping[str, Any], request: MediaRequest, work: Path, ctx: StepContext) -> Mapping[str, Any]:
        wim = str(work / IMAGE_FILE)
        if frozen.get("spec"):
            wim = str(work / CUSTOM_FOLDER / spec_from_json(frozen["spec"]).output_name)
        ctx.progress(0, 2, "reading the image's boot files")
        found, missing = resolve_boot_files(self._maker.list_image(wim), str(frozen.get("architecture") or ""))
        if missing:
            raise JobError(f"the image lacks the boot files a medium needs: {', '.join(missing)}")
        ctx.progress(1, 2, "laying out the medium")
        self._maker.lay_out(wim, found, str(work / MEDIA_FOLDER), ctx.cancelled)
        ctx.progress(2, 2, "medium laid out")
        return {"boot_files": sorted(found)}

    def _write(self, frozen: Mapping[str, Any], request: MediaRequest, job: Job, work: Path,
               ctx: StepContext) -> Mapping[str, Any]:
        folder = work / MEDIA_FOLDER
        if not folder.is_dir():
            if os.path.isfile(request.output):  # an earlier run wrote it, then died removing the work folder
                self._library().remove_work_dir(job.context_id)
                return {"output": request.output, "size": os.path.getsize(request.output)}
            raise JobError("the layout step's folder is missing; retry the job")
        label = f"WINPE_{(job.package_id or '').upper()}"
        self._maker.write(request.media_format, str(folder), request.output, label=label,
                          architecture=str(frozen.get("architecture") or ""), progress=ctx.progress,
                          cancelled=ctx.cancelled)
        self._library().remove_work_dir(job.context_id)
        size = os.path.getsize(request.output)
        ctx.progress(1, 1, f"wrote {request.output}")
        return {"output": request.output, "size": size, "version": frozen.get("version")}
