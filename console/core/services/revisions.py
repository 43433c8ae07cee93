"""Revisions of a boot image package's content: record a build, list, diff, roll back.

Each build is a content version in the site's content library (``console.core.content``).
Recording a build goes: store files + manifest -> one short write transaction (SourceVersion,
SourceDate, PackageSize, image facts, status message) -> switch the library's package
pointer. Every step can be repeated: a retry with the same ContextID after a crash between
any two steps finishes the job, and the pointer always names a complete version.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from console.core.changes import Changes, Result
from console.core.content import (
    DEFAULT_RETENTION,
    ContentError,
    ContentLibrary,
    ContentVersionExistsError,
    GarbageReport,
    Manifest,
    ManifestFields,
    ProgressCallback,
    RevisionNotFoundError,
)
from console.core.errors import ConflictError, ConsoleError, NotFoundError, PackageLockedError, ValidationError
from console.core.ports import PackageRecord, UnitOfWork
from console.core.revision_diff import RevisionDiff, diff_manifests, value_changes
from console.core.revision_types import BuiltImage, Revision
from console.core.services.boot_image_packages import CLASS_NAME, new_sedo_version
from console.core.services.context import ServiceContext
from console.core.services.object_locks import refuse_if_locked
from console.core.services.site_settings import CONTENT_LIBRARY_ROOT as LIBRARY_PATH_SETTING
from console.core.values import ValueCoercer, format_datetime

RETENTION_SETTING = "RevisionRetention"
#: The package properties that shape the built image (their values are kept per revision).
SHAPING_PROPERTIES = (
    "ImagePath", "ImageIndex", "ScratchSpace", "ReferencedDrivers", "OptionalComponents", "PreExecCommandLine",
    "PreExecSourceDirectory", "EnableLabShell", "BackgroundBitmapPath", "InputLocale",
)
IN_PROGRESS = 1  # Job.wmi_status of a queued or running job (WMI: 1 in progress)
#: queue_update(package_id) -> the distribution points an update of the package's current
#: version was queued for (only those that have the package; distribute jobs, no copying here)
QueueUpdate = Callable[[str], Sequence[str]]

__all__ = ["BuiltImage", "Revision", "Revisions"]


class Revisions:
    """The revisions service. ``library_at(root)`` opens the content library at a folder;
    ``default_root`` is used until the site setting ``ContentLibraryPath`` names another.
    ``queue_update`` sends a rolled-back revision to the package's distribution points, as a
    build's completion does (None: nothing is queued)."""

    def __init__(self, ctx: ServiceContext, library_at: Callable[[Path], ContentLibrary], default_root: Path,
                 queue_update: QueueUpdate | None = None) -> None:
        self._ctx = ctx
        self._library_at = library_at
        self._default_root = default_root
        self._queue_update = queue_update

    # -- site settings -------------------------------------------------------------------------

    def library_root(self) -> Path:
        with self._ctx.uow() as uow:
            return Path(uow.settings.get(LIBRARY_PATH_SETTING) or self._default_root)

    def library(self) -> ContentLibrary:
        return self._library_at(self.library_root())

    def source_change(self, package_id: str) -> str | None:
        """RefreshPkgSource's question: why the package's next build would differ from its
        current revision (no revision yet, a shaping property changed, the source WIM or the
        background file is newer than the revision), or None when it would not."""
        library = self.library()
        record = self._read(package_id, lazy=True)  # as record_build reads it
        pid = record.values["PackageID"]
        manifest = library.current(pid)
        if manifest is None:
            return f"{pid} has no built revision yet"
        differ = [c.name for c in value_changes(manifest.properties, self._snapshot(record))]
        if differ:
            return f"properties changed since revision {manifest.version}: {', '.join(differ)}"
        for name in ("ImagePath", "BackgroundBitmapPath"):
            path = str(record.values.get(name) or "")
            try:
                newer = bool(path) and Path(path).stat().st_mtime > manifest.created_at.timestamp()
            except OSError:
                continue  # a missing source: the build's pre-flight names it
            if newer:
                return f"{path} ({name}) changed after revision {manifest.version} was built"
        return None

    def retention(self) -> int:
        with self._ctx.uow() as uow:
            text = uow.settings.get(RETENTION_SETTING)
        return int(text) if text and text.isdigit() and int(text) > 0 else DEFAULT_RETENTION

    def set_library_root(self, path: str) -> Result[Path]:
        """Where the site's content library lives ("" = the default under the data folder)."""
        text = path.strip()
        if text and not Path(text).is_absolute():
            raise ValidationError.single(LIBRARY_PATH_SETTING, f"{text!r} is not an absolute folder path")
        self._set(LIBRARY_PATH_SETTING, text)
        return Result(self.library_root(), Changes())

    def set_retention(self, keep: int) -> Result[int]:
        if keep < 1:
            raise ValidationError.single(RETENTION_SETTING, f"keep at least 1 revision per package, not {keep}")
        self._set(RETENTION_SETTING, str(keep))
        return Result(keep, Changes())

    def _set(self, key: str, value: str) -> None:
        with self._ctx.uow(write=True) as uow:
            self._ctx.local_site(uow)
            uow.settings.set(key, value, modified_by=self._ctx.user, modified_at=self._ctx.clock())
            uow.commit()

    # -- reading ---------------------------------------------------------------------------------

    def revisions(self, package_id: str) -> list[Revision]:
        """The package's revisions, newest first, with the current one marked."""
        record = self._read(package_id)
        pid = record.values["PackageID"]
        library = self._library_for(record)
        recorded = _source_version(record)
        current = library.current_version(pid)
        return [Revision.of(m, current=m.version == current, recorded=m.version <= recorded)
                for m in reversed(library.revisions(pid))]

    def manifest(self, package_id: str, version: int) -> Manifest:
        record = self._read(package_id)
        return self._manifest_or_explain(self._library_for(record), record, version)

    def diff(self, package_id: str, a: int, b: int) -> RevisionDiff:
        """Property, image-file, registry and content changes from revision ``a`` to ``b``."""
        record = self._read(package_id)
        library = self._library_for(record)
        return diff_manifests(self._manifest_or_explain(library, record, a), self._manifest_or_explain(library, record, b))

    def verify(self, package_id: str, version: int | None = None) -> tuple[int, list[str]]:
        """Re-hash a revision's bytes in the library (default: the current one): its version
        and the problems found (empty: intact)."""
        record = self._read(package_id)
        library = self._library_for(record)
        pid = record.values["PackageID"]
        if version is None:
            version = library.current_version(pid)
            if version is None:
                raise RevisionNotFoundError(f"{pid} has no current revision in the content library (build its image first)")
        self._manifest_or_explain(library, record, version)
        return version, library.verify(pid, version)

    def collect_garbage(self, *, grace_seconds: float | None = None) -> GarbageReport:
        """Free the library's files no revision references any more."""
        return self.library().collect_garbage(grace_seconds=grace_seconds)

    # -- writing ---------------------------------------------------------------------------------

    def record_build(
        self, package_id: str, built: BuiltImage, *,
        progress: ProgressCallback | None = None, cancelled: Callable[[], bool] | None = None,
    ) -> Result[Revision]:
        """Keep a verified build as the package's new revision and make it current."""
        library, keep = self.library(), self.retention()
        record = self._read(package_id, lazy=True)
        pid = record.values["PackageID"]
        self._check_owner(record)
        recorded = _source_version(record)
        previous = _current_or_none(library, pid)
        resumed = _resumable(library, pid, built.context_id) if built.context_id else None
        if resumed is not None and resumed.version <= recorded:  # a retry after the database step
            return self._finish_recorded(library, resumed, recorded, keep)
        version = resumed.version if resumed else max([recorded, *library.versions(pid)]) + 1
        snapshot = dict(built.properties) if built.properties is not None else self._snapshot(record)
        image_values = {k: v for k, v in (built.facts.as_properties() if built.facts else {}).items() if k != "PackageSize"}
        text = f"built revision {version}" + (f" in {built.duration_seconds:.1f} s" if built.duration_seconds is not None else "")
        text += f": {built.summary}" if built.summary else ""
        fields = ManifestFields(
            created_by=self._ctx.user, created_at=self._ctx.clock(), properties=snapshot, image_listing=built.image_listing,
            registry=tuple(built.registry), image_values=image_values, summary=text, context_id=built.context_id,
        )
        fields = replace(fields, changes=_what_changed(previous, Manifest.build(pid, version, previous.files if previous else (), fields)))
        try:
            manifest = library.store(pid, version, built.files, fields, progress=progress, cancelled=cancelled)
        except ContentVersionExistsError:
            if resumed is None or version <= recorded:
                raise
            library.remove_revision(pid, version)  # an unrecorded attempt of this job with other bytes
            manifest = library.store(pid, version, built.files, fields, progress=progress, cancelled=cancelled)
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            fresh = self._record(uow, pid, lazy=False)
            now_recorded = _source_version(fresh)
            if now_recorded < version:
                values = {"SourceVersion": version, "SourceDate": self._ctx.clock(), "PackageSize": _kb(manifest.size),
                          **manifest.image_values}
                if built.context_id:
                    values["ContextID"] = built.context_id
                self._write(uow, fresh, values, fresh.values["SedoObjectVersion"])
                uow.status.add(time=self._ctx.clock(), severity="information", kind="image", package_id=pid,
                               text=f"{pid}: {manifest.summary}" + (f" ({'; '.join(manifest.changes)})" if manifest.changes else ""),
                               user=self._ctx.user, site_code=site.code,
                               details={"version": version, "context_id": built.context_id, "size": manifest.size})
                uow.commit()
            elif now_recorded > version or manifest.context_id != built.context_id or not built.context_id:
                raise ContentError(f"{pid} revision {now_recorded} was recorded while this build was being stored; "
                                   "nothing was recorded: run the build again")
        library.set_current(pid, version)
        notes = self._retain(library, pid, keep)
        return Result(Revision.of(manifest, current=True),
                      Changes(updated=frozenset({pid}), status_messages=True, notes=(manifest.summary, *notes)))

    def rollback(self, package_id: str, to_version: int, *, expected_version: str | None = None) -> Result[Revision]:
        """Make revision ``to_version`` current again as a new version (SourceVersion + 1) and
        queue an update of every distribution point that has the package, so they receive it
        like any new content (ConfigMgr redistributes a restored boot image too)."""
        keep = self.retention()
        with self._ctx.uow() as uow:
            record = self._record(uow, package_id, lazy=True)
            self._check_no_build(uow, record.values["PackageID"])
        library = self._library_for(record)
        pid = record.values["PackageID"]
        self._check_owner(record)
        sedo = expected_version or record.values["SedoObjectVersion"]
        _check_version(record, sedo)
        recorded = _source_version(record)
        source = self._manifest_or_explain(library, record, to_version)
        current = _current_or_none(library, pid)
        if current is not None and current.version == to_version:
            raise ContentError(f"revision {to_version} is already {pid}'s current revision; nothing was changed")
        if to_version > recorded:
            raise ContentError(f"revision {to_version} of {pid} was never recorded (its build did not finish); "
                               "nothing was changed")
        version = max([recorded, *library.versions(pid)]) + 1
        what = f"rolled back to revision {to_version}"
        fields = ManifestFields(
            created_by=self._ctx.user, created_at=self._ctx.clock(), properties=source.properties,
            image_listing=source.image_listing, registry=source.registry, image_values=source.image_values,
            summary=f"revision {version}: {what}", origin="rollback", rolled_back_from=to_version,
        )
        new = Manifest.build(pid, version, source.files, fields)
        new = replace(new, changes=(what, *_what_changed(current, new)))
        library.add_manifest(new)
        try:
            with self._ctx.uow(write=True) as uow:
                site = self._ctx.local_site(uow)
                fresh = self._record(uow, pid, lazy=False)
                self._check_no_build(uow, pid)
                refuse_if_locked(self._ctx, uow, pid)
                _check_version(fresh, sedo)
                if _source_version(fresh) != recorded:
                    raise ContentError(f"{pid} got revision {_source_version(fresh)} while rolling back; nothing was "
                                       "changed, look at its revisions and try again")
                values = {"SourceVersion": version, "SourceDate": self._ctx.clock(), "PackageSize": _kb(new.size),
                          **new.image_values}
                self._write(uow, fresh, values, sedo)
                uow.status.add(time=self._ctx.clock(), severity="information", kind="image", package_id=pid,
                               text=f"{pid}: {what} as revision {version}", user=self._ctx.user, site_code=site.code,
                               details={"version": version, "rolled_back_from": to_version, "size": new.size})
                uow.commit()
        except BaseException:
            with contextlib.suppress(ConsoleError, OSError):
                library.remove_revision(pid, version)  # refused: the library is as it was
            raise
        library.set_current(pid, version)
        sent, update_notes = self._update_dps(pid, version)
        notes = (*update_notes, *self._retain(library, pid, keep))
        differ = [c.name for c in value_changes(source.properties, self._snapshot(record))]
        if differ:
            notes = ((f"note: {pid}'s properties still differ from revision {to_version}'s ({', '.join(differ)}); "
                     "the next build uses the properties"), *notes)
        return Result(Revision.of(new, current=True), Changes(updated=frozenset({pid}), status_messages=True, distribution=sent,
                                                              notes=(f"{what} as revision {version}", *notes)))

    # -- helpers ---------------------------------------------------------------------------------

    def _update_dps(self, pid: str, version: int) -> tuple[bool, tuple[str, ...]]:
        """Queue the distribution points' update of a rolled-back revision (after the pointer
        switch, as a build's record step does): whether any was queued, and what to tell. A
        failure leaves the roll back done and says so."""
        try:
            dps = list(self._queue_update(pid)) if self._queue_update is not None else []
        except ConsoleError as exc:
            text = (f"warning: revision {version} is current, but the update of {pid}'s distribution points was not "
                    f"queued ({exc.message}); send it with `bootimage content redistribute {pid} --dp NAME`")
            return False, (text,)
        if not dps:
            return False, ()
        shown = ", ".join(dps[:5]) + (f" and {len(dps) - 5} more" if len(dps) > 5 else "")
        text = f"note: update of {pid} to revision {version} queued for {len(dps)} distribution point"
        return True, (f"{text}{'s' if len(dps) != 1 else ''} ({shown})",)

    def _library_for(self, record: PackageRecord) -> ContentLibrary:
        """The library, or a clear error when its folder is gone while the package has revisions."""
        library = self.library()
        recorded = _source_version(record)
        if recorded and not library.root.is_dir():
            raise ContentError(f"the content library {library.root} is missing, but {record.values['PackageID']} has "
                               f"revision {recorded}: is its share mounted? (site setting ContentLibraryPath)")
        return library

    def _finish_recorded(self, library: ContentLibrary, resumed: Manifest, recorded: int, keep: int) -> Result[Revision]:
        """The database already names this job's revision: switch the pointer if that step was lost."""
        pid = resumed.package_id
        if resumed.version < recorded:  # superseded by a newer revision meanwhile: leave the pointer
            return Result(Revision.of(resumed, current=library.current_version(pid) == resumed.version))
        if library.current_version(pid) != resumed.version:
            library.set_current(pid, resumed.version)
        notes = self._retain(library, pid, keep)
        return Result(Revision.of(resumed, current=True),
                      Changes(updated=frozenset({pid}), status_messages=True, notes=(resumed.summary, *notes)))

    def _read(self, package_id: str, *, lazy: bool = False) -> PackageRecord:
        with self._ctx.uow() as uow:
            return self._record(uow, package_id, lazy=lazy)

    def _record(self, uow: UnitOfWork, package_id: str, *, lazy: bool) -> PackageRecord:
        record = uow.packages.get(package_id.strip().upper(), lazy=lazy)
        if record is None:
            raise NotFoundError(f"no boot image package with PackageID {package_id!r}")
        return record

    def _check_owner(self, record: PackageRecord) -> None:
        with self._ctx.uow() as uow:
            local = self._ctx.local_site(uow).code
        owner = record.values.get("SourceSite")
        if owner and owner != local:
            raise PackageLockedError(f"{record.values['PackageID']} is owned by site {owner}; its content can only "
                                     f"be changed there (Unlock makes {local} the owner)")

    def _check_no_build(self, uow: UnitOfWork, pid: str) -> None:
        running = [j for j in uow.jobs.list(package_id=pid) if j.wmi_status == IN_PROGRESS]
        if running:
            job = running[0]
            raise ContentError(f"{pid} has a running job ({job.kind} {job.context_id}); nothing was changed: "
                               "wait for it to finish or cancel it, then roll back")

    def _manifest_or_explain(self, library: ContentLibrary, record: PackageRecord, version: int) -> Manifest:
        pid = record.values["PackageID"]
        try:
            return library.manifest(pid, version)
        except RevisionNotFoundError:
            pass
        kept = ", ".join(str(m.version) for m in library.revisions(pid)) or "none"
        if 1 <= version <= _source_version(record):
            raise RevisionNotFoundError(
                f"revision {version} of {pid} is no longer kept (retention keeps the last {self.retention()} "
                f"revisions; kept: {kept}); nothing was changed"
            ) from None
        raise RevisionNotFoundError(f"{pid} has no revision {version} (revisions kept: {kept})") from None

    def _snapshot(self, record: PackageRecord) -> dict[str, Any]:
        cls = self._ctx.cls(CLASS_NAME)
        coercer = ValueCoercer(self._ctx.registry)
        return {name: coercer.to_json(cls.properties[name], record.values.get(name))
                for name in SHAPING_PROPERTIES if name in cls.properties}

    def _write(self, uow: UnitOfWork, record: PackageRecord, values: Mapping[str, Any], expected: str) -> None:
        ok = uow.packages.update(record.values["PackageID"], values, expected_version=expected, new_version=new_sedo_version(),
                                 modified_by=self._ctx.user, modified_at=self._ctx.clock())
        if not ok:
            fresh = uow.packages.get(record.values["PackageID"], lazy=False)
            _check_version(fresh or record, expected)
            raise NotFoundError(f"{record.values['PackageID']} was deleted meanwhile; nothing was recorded")

    def _retain(self, library: ContentLibrary, pid: str, keep: int) -> tuple[str, ...]:
        try:
            removed = library.apply_retention(pid, keep)
        except (ConsoleError, OSError) as exc:  # the revision is recorded; pruning can wait for the next one
            return (f"warning: old revisions were not pruned: {exc}",)
        return (f"pruned revision(s) {', '.join(map(str, removed))} (keeping {keep})",) if removed else ()


def _source_version(record: PackageRecord) -> int:
    return int(record.values.get("SourceVersion") or 0)


def _kb(size: int) -> int:
    return (size + 1023) // 1024


def _check_version(record: PackageRecord, expected: str) -> None:
    current = record.values["SedoObjectVersion"]
    if expected != current:
        raise ConflictError(object_id=record.values["PackageID"], changed_by=record.modified_by or "another console",
                            changed_at=format_datetime(record.modified_at) or "an unknown time",
                            expected=expected, current=current)


def _current_or_none(library: ContentLibrary, pid: str) -> Manifest | None:
    """The current revision, or None when there is none (or its manifest was removed by hand)."""
    try:
        return library.current(pid)
    except RevisionNotFoundError:
        return None


def _resumable(library: ContentLibrary, pid: str, context_id: str) -> Manifest | None:
    """A revision an earlier attempt of the same job already stored."""
    return next((m for m in reversed(library.revisions(pid)) if m.context_id == context_id and m.origin == "build"), None)


def _what_changed(previous: Manifest | None, new: Manifest) -> tuple[str, ...]:
    if previous is None:
        return ("first revision",)
    return tuple(diff_manifests(previous, new).summary()) or ("no changes",)
