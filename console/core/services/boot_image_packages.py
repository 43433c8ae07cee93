"""The SMS_BootImagePackage service: instance operations and the class's WMI methods."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.core.changes import Changes, Result
from console.core.classdef import ClassDef
from console.core.errors import (
    ConflictError,
    ConsoleError,
    NotFoundError,
    NotImplementedYetError,
    PackageLockedError,
    ValidationError,
)
from console.core.image_facts import ImageFacts
from console.core.input_limits import check_search_text
from console.core.instance import Instance
from console.core.jobs import normal_context_id
from console.core.optional_components import Resolution
from console.core.ports import PackageQuery, PackageRecord, UnitOfWork
from console.core.services.context import ServiceContext, check_site_code
from console.core.services.object_locks import refuse_if_locked
from console.core.services.package_changes import (
    Applied,
    PackageDeltas,
    compose_components,
    compose_drivers,
    describe_added,
    describe_unneeded,
    driver_details,
    driver_ids,
    same_value,
)
from console.core.services.package_rules import check_files, check_package_rules, sync_blob_sizes
from console.core.services.source_images import (
    MAX_IMAGE_READS,
    ImageMoved,
    ImageRead,
    SourceImageMethods,
    check_components_fit,
    image_facts_for,
)
from console.core.values import format_datetime

CLASS_NAME = "SMS_BootImagePackage"
PACKAGE_TYPE_BOOT_IMAGE = 258
MAX_PACKAGE_NUMBER = 0xFFFFF


@dataclass(frozen=True)
class Page:
    items: tuple[Instance, ...]
    total: int


@dataclass(frozen=True)
class InjectionStatus:
    """QueryOSDBinaryInjectionStatus out-parameters."""

    status: int  # 0 complete, 1 in progress, 2 error, 3 no status
    progress: int = 0
    max_progress: int = 0
    progress_text: str = ""
    error_code: int = 0
    extended_error_info: str = ""
    found: bool = True  # False: there is no job with this ContextID


@dataclass(frozen=True)
class ComponentUpdate:
    """Outcome of update_optional_components."""

    package: Instance
    component_ids: tuple[int, ...]
    added: tuple[tuple[int, str], ...]  # prerequisite id, reason
    added_names: tuple[str, ...]


def new_sedo_version() -> str:
    return str(uuid.uuid4()).upper()


#: ``(Architecture, ImageIndex, ExportImagePath)`` → the path written (``ImageBuilds``).
ExportDefault = Callable[[str, int, str], Result[str]]


class BootImagePackages(SourceImageMethods):
    def __init__(self, ctx: ServiceContext, export_default: ExportDefault | None = None) -> None:
        self._ctx = ctx
        #: Bound by the composition root to ``ImageBuilds.export_default_boot_image``.
        self.export_default = export_default
        #: Bound by the composition root: queue a ``build`` job (and start a worker when none
        #: runs); returns the job's ContextID.
        self.queue_build: Callable[[str, Mapping[str, Any]], str] | None = None
        #: Bound by the composition root: queue a ``refresh`` job (RefreshPkgSource); its ContextID.
        self.queue_refresh: Callable[[str], str] | None = None

    @property
    def cls(self) -> ClassDef:
        return self._ctx.cls(CLASS_NAME)

    # -- instance operations ---------------------------------------------------------------

    def create(
        self,
        *,
        name: str,
        image_path: str,
        image_index: int = 1,
        version: str = "",
        description: str = "",
        image: ImageFacts | None = None,
        properties: Mapping[str, Any] | None = None,
        folder_id: int | None = None,
    ) -> Result[Instance]:
        """Create a package (Add Boot Image / New-CMBootImage). Defaults come from metadata."""
        cls = self.cls
        requested = {
            "Name": name,
            "ImagePath": image_path,
            "ImageIndex": image_index,
            "Version": version,
            "Description": description,
            **(properties or {}),
        }
        changes = self._ctx.validator.prepare_changes(cls, requested)
        check_files(changes)
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            if folder_id:
                self._folder_or_fail(uow, folder_id)
            values = cls.defaults()
            values.update(changes)
            if image is not None:
                values.update(image.as_properties())
            sync_blob_sizes(cls, changes, values)
            values.update(changes)
            check_package_rules(uow, self._ctx.catalog, values, {**changes, "Name": values["Name"]}, package_id=None,
                                input_locales=self._ctx.input_locales)
            number = uow.sites.allocate_package_number(site.code)
            if number > MAX_PACKAGE_NUMBER:
                raise ValidationError.single(
                    "PackageID", f"site {site.code} has used all {MAX_PACKAGE_NUMBER} package ids"
                )
            now = self._ctx.clock()
            package_id = f"{site.code}{number:05X}"
            values.update(
                PackageID=package_id,
                PackageType=PACKAGE_TYPE_BOOT_IMAGE,
                SourceSite=site.code,
                SedoObjectVersion=new_sedo_version(),
                SourceDate=now,
                RefreshPkgSourceFlag=False,
            )
            uow.packages.add(values, folder_id=folder_id or None, modified_by=self._ctx.user, modified_at=now)
            if image is not None:
                uow.packages.set_source_fingerprint(package_id, image.source)
            self._status(uow, package_id, f"Boot image {package_id} ({values['Name']}) created from {image_path} index {image_index}", site.code)
            uow.commit()
        return Result(self.get(package_id, lazy=True), Changes(added=frozenset({package_id}), status_messages=True))

    def get(self, package_id: str, *, lazy: bool = False) -> Instance:
        """The package; lazy/large properties only when ``lazy`` (like WMI GetObject vs. a query)."""
        with self._ctx.uow() as uow:
            self._ctx.local_site(uow)
            return self._to_instance(self._record_or_fail(uow, package_id, lazy=lazy))

    def query(self, query: PackageQuery | None = None, *, lazy: bool = False, count: bool = True) -> Page:
        """A page of packages and how many match (``total`` is -1 with ``count=False``: the
        console then shows the page at once and counts in parallel with ``count``)."""
        query = self._checked(query or PackageQuery())
        with self._ctx.uow() as uow:
            self._ctx.local_site(uow)
            records, total = uow.packages.query(query, lazy=lazy, count=count)
            return Page(tuple(self._to_instance(r, query.include) for r in records), total)

    def stream_json(self, query: PackageQuery | None = None) -> Iterator[dict[str, Any]]:
        """The packages ``query`` selects as JSON records (the form of ``instance_json``),
        read from one snapshot a batch at a time: memory stays flat however many there are."""
        query = self._checked(query or PackageQuery())
        with self._ctx.uow() as uow:
            self._ctx.local_site(uow)
            yield from uow.package_stream.records(query)

    def count(self, query: PackageQuery | None = None) -> int:
        """How many packages match ``query`` (its offset and limit are ignored)."""
        query = self._checked(query or PackageQuery())
        with self._ctx.uow() as uow:
            self._ctx.local_site(uow)
            return uow.packages.count(query)

    def _checked(self, query: PackageQuery) -> PackageQuery:
        cls = self.cls
        check_search_text(query.text)  # the search box and --filter alike
        if cls.property(query.sort) is None:
            raise ValidationError.single("sort", f"cannot sort by {query.sort!r}: {CLASS_NAME} has no such property")
        where = self._ctx.validator.prepare_changes(cls, query.where, allow_read_only=True) if query.where else {}
        include = tuple(self._ctx.validator.resolve(cls, name).name for name in query.include)
        return PackageQuery(
            query.text, where, query.folder_id, query.recursive, cls.property(query.sort).name,  # type: ignore[union-attr]
            query.descending, max(query.offset, 0), query.limit, include, query.total, query.after,
        )

    def put(
        self, package_id: str, changes: Mapping[str, Any], *, expected_version: str | None = None
    ) -> Result[Instance]:
        """Save property changes. ``expected_version`` is the SedoObjectVersion that was read;
        a stale one is refused with a ConflictError naming who changed the package and when."""
        result = self.apply(package_id, changes, expected_version=expected_version)
        return Result(result.value.package, result.changes)

    def apply(
        self,
        package_id: str,
        changes: Mapping[str, Any] | None = None,
        *,
        add_components: Sequence[str | int] = (),
        remove_components: Sequence[str | int] = (),
        set_components: Sequence[str | int] | None = None,
        add_drivers: Sequence[int] = (),
        remove_drivers: Sequence[int] = (),
        expected_version: str | None = None,
    ) -> Result[Applied]:
        """Save property changes plus optional components and drivers to add or remove, in
        one save. The lists are composed from what is stored inside the write transaction,
        so a concurrent console's additions are never lost. With ``expected_version`` (the
        SedoObjectVersion that was read) a package changed since is refused (ConflictError).
        A new ImagePath/ImageIndex is read before the write lock is taken."""
        deltas = PackageDeltas(tuple(add_components), tuple(remove_components),
                               None if set_components is None else tuple(set_components),
                               tuple(add_drivers), tuple(remove_drivers))
        prepared = self._ctx.validator.prepare_changes(self.cls, changes or {})
        check_files(prepared)  # file headers are read before any transaction
        if deltas.components and "OptionalComponents" in prepared:
            raise ValidationError.single("OptionalComponents", "set OptionalComponents either directly or with "
                                         "--add/--remove-optional-component, not both")
        if deltas.drivers and "ReferencedDrivers" in prepared:
            raise ValidationError.single("ReferencedDrivers", "set ReferencedDrivers either directly or with "
                                         "--add/--remove-driver, not both")
        if prepared.pop("RefreshPkgSourceFlag", False):
            self.refresh_pkg_source(package_id)
        for attempt in range(MAX_IMAGE_READS):
            image = self._read_new_image(package_id, prepared)  # file I/O: before the write lock
            try:
                return self._apply_once(package_id, prepared, deltas, image, expected_version)
            except ImageMoved:
                continue  # another console changed ImagePath/ImageIndex meanwhile: read again
            except ConflictError:
                # Only where the write lock does not serialise writers (PostgreSQL): without a
                # version of its own, the change is composed again on what was saved.
                if expected_version is not None or attempt == MAX_IMAGE_READS - 1:
                    raise
        raise ConsoleError(f"{package_id}: its source image was changed by another console {MAX_IMAGE_READS} times "
                           "while this change was being prepared; nothing was saved. Try again")

    def _apply_once(
        self, package_id: str, prepared: Mapping[str, Any], deltas: PackageDeltas, image: ImageRead | None,
        expected_version: str | None,
    ) -> Result[Applied]:
        cls, catalog = self.cls, self._ctx.catalog
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            # the lists are composed on what is stored: no other save of the package in between
            uow.packages.lock(package_id.strip().upper())
            record = self._record_or_fail(uow, package_id, lazy=True)
            pid = record.values["PackageID"]
            self._check_owner(record, site.code)
            refuse_if_locked(self._ctx, uow, pid)
            current = dict(record.values)
            version = expected_version or current["SedoObjectVersion"]
            self._check_version(record, version)
            new = dict(prepared)
            sync_blob_sizes(cls, new, current)
            facts = image_facts_for(image, current, prepared)  # raises ImageMoved if read for another image
            components = drivers = None
            notes: tuple[str, ...] = ()
            if deltas.components:
                notes += describe_unneeded(catalog, current, add=deltas.add_components, remove=deltas.remove_components)
                components = compose_components(catalog, current, add=deltas.add_components,
                                                remove=deltas.remove_components, replace=deltas.set_components)
                new["OptionalComponents"] = list(components.component_ids)
                notes += describe_added(catalog, components)
            if deltas.drivers:
                found = uow.drivers.get_many(list(dict.fromkeys(driver_ids(deltas.add_drivers))))
                drivers = compose_drivers(current, found, add=deltas.add_drivers, remove=deltas.remove_drivers)
                new["ReferencedDrivers"] = driver_details(drivers)
                notes += drivers.notes
            if facts:
                new.update(facts)
                check_components_fit(self._ctx, {**current, **new, "Architecture": current.get("Architecture")},
                                     str(facts["Architecture"]))
            merged = {**current, **new}
            check_package_rules(uow, catalog, merged, new, package_id=pid, input_locales=self._ctx.input_locales)
            changed = {k: v for k, v in new.items() if not same_value(current.get(k), v)}
            if not changed:
                return Result(Applied(self._to_instance(record), components, drivers, notes), Changes(notes=notes))
            self._write(uow, record, changed, version)
            if facts and image is not None and image.source is not None:  # the new image: its file as read
                uow.packages.set_source_fingerprint(pid, image.source)
            # the values themselves are in the audit records of this transaction (Audit.message_changes)
            self._status(uow, pid, f"Properties changed: {', '.join(sorted(changed))}", site.code, kind="audit")
            uow.commit()
        applied = Applied(self.get(pid, lazy=True), components, drivers, notes, tuple(sorted(changed)))
        return Result(applied, Changes(updated=frozenset({pid}), status_messages=True, notes=notes))

    def name_in_use(self, name: str, *, excluding: str | None = None) -> str | None:
        """PackageID of the boot image that already has ``name`` (case-insensitive), if any."""
        with self._ctx.uow() as uow:
            return uow.packages.name_in_use(name.strip(), excluding=excluding)

    def delete(self, package_id: str, *, expected_version: str | None = None) -> Result[str]:
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            record = self._record_or_fail(uow, package_id, lazy=False)
            self._check_owner(record, site.code)
            refuse_if_locked(self._ctx, uow, record.values["PackageID"])
            if expected_version:
                self._check_version(record, expected_version)
            held = uow.distribution.package_summary(record.values["PackageID"]).targeted
            if held:
                raise ValidationError.single("PackageID", f"{record.values['PackageID']} is on {held} distribution "
                                             f"point{'s' if held != 1 else ''}; remove it from them first "
                                             "(Content Locations, or bootimage content remove ID --dp NAME)")
            uow.distribution.forget_package(record.values["PackageID"])
            uow.packages.delete(record.values["PackageID"])
            self._status(uow, record.values["PackageID"], f"Boot image {record.values['PackageID']} ({record.values['Name']}) deleted", site.code)
            uow.commit()
        return Result(package_id, Changes(removed=frozenset({record.values["PackageID"]}), status_messages=True))

    def move_to_folder(self, package_ids: Sequence[str], folder_id: int | None) -> Result[int]:
        """Move packages to a console folder (``None`` or 0 = top of the Boot Images node)."""
        with self._ctx.uow(write=True) as uow:
            if folder_id:
                self._folder_or_fail(uow, folder_id)
            ids = [self._record_or_fail(uow, pid, lazy=False).values["PackageID"] for pid in package_ids]
            moved = uow.packages.move(ids, folder_id or None)
            uow.commit()
        return Result(moved, Changes(updated=frozenset(ids), folders=True))

    # -- WMI methods -------------------------------------------------------------------------

    def plan_optional_components(
        self,
        package_id: str,
        *,
        add: Sequence[str | int] = (),
        remove: Sequence[str | int] = (),
        replace: Sequence[str | int] | None = None,
    ) -> Resolution:
        """Work out the new component list (a preview; ``apply`` works it out again inside the
        save): names or ids in, prerequisites added in install order. Removing a component
        that a remaining one needs is refused."""
        record = self._get_record(package_id)
        return compose_components(self._ctx.catalog, record.values, add=add, remove=remove, replace=replace)

    def update_optional_components(
        self, package_id: str, component_ids: Sequence[str | int], *, expected_version: str | None = None
    ) -> Result[ComponentUpdate]:
        """UpdateOptionalComponents(ComponentIds[]): set the components; add prerequisites."""
        result = self.apply(package_id, set_components=component_ids, expected_version=expected_version)
        resolution = result.value.components
        assert resolution is not None
        return Result(self.component_update(result.value.package, resolution), result.changes)

    def component_update(self, package: Instance, resolution: Resolution) -> ComponentUpdate:
        names = tuple(self._ctx.catalog.by_id(i).name for i, _ in resolution.added)
        return ComponentUpdate(package, resolution.component_ids, resolution.added, names)

    def describe_added(self, resolution: Resolution) -> tuple[str, ...]:
        """``added: WinPE-NetFx, required by WinPE-PowerShell`` for each prerequisite added."""
        return describe_added(self._ctx.catalog, resolution)

    def set_source_site(self, package_id: str, source_site: str) -> Result[Instance]:
        """SetSourceSite(SourceSite): hand ownership of the package to another site."""
        code = check_site_code(source_site)
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            if uow.sites.get(code) is None:
                known = ", ".join(s.code for s in uow.sites.list())
                raise ValidationError.single(
                    "SourceSite", f"site {code} is not part of this hierarchy (known sites: {known}); "
                    "add it with `bootimage site add`"
                )
            record = self._record_or_fail(uow, package_id, lazy=False)
            self._check_owner(record, site.code)
            return self._set_owner(uow, record, code, site.code, f"Ownership moved from {record.values['SourceSite']} to {code}")

    def unlock(self, package_id: str) -> Result[Instance]:
        """Unlock(): make the current site the owner so the package can be edited here."""
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            record = self._record_or_fail(uow, package_id, lazy=False)
            previous = record.values.get("SourceSite")
            return self._set_owner(uow, record, site.code, site.code, f"Unlocked: ownership moved from {previous} to {site.code}")

    def add_change_notification(self, package_id: str) -> Result[str]:
        """AddChangeNotification(): record that the package changed (a status message)."""
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            record = self._record_or_fail(uow, package_id, lazy=False)
            pid = record.values["PackageID"]
            self._status(uow, pid, f"Change notification for {pid} ({record.values['Name']})", site.code, kind="change_notification")
            uow.commit()
        return Result(pid, Changes(updated=frozenset({pid}), status_messages=True))

    def query_osd_binary_injection_status(self, context_id: str) -> InjectionStatus:
        """QueryOSDBinaryInjectionStatus(ContextID): 0 done, 1 in progress (queued or running),
        2 error (failed or cancelled), 3 no status (no such job)."""
        context_id = normal_context_id(context_id)
        with self._ctx.uow() as uow:
            job = uow.jobs.get(context_id)
        if job is None:
            return InjectionStatus(status=3, progress_text=f"no job with ContextID {context_id}", found=False)
        return InjectionStatus(job.wmi_status, job.progress, job.max_progress, job.progress_text, job.error_code,
                               job.extended_error_info)

    def delete_context_id(self, context_id: str) -> Result[str]:
        """DeleteContextID(ContextID): drop the job's record (refused while it runs)."""
        context_id = normal_context_id(context_id)
        with self._ctx.uow(write=True) as uow:
            job = uow.jobs.get(context_id)
            if job is None:
                raise NotFoundError(f"no job with ContextID {context_id!r}; nothing was deleted")
            if not uow.jobs.delete(context_id, unless_states=["running"]):
                raise ValidationError.single("ContextID", f"job {context_id} is still running; cancel it first")
            uow.commit()
        return Result(context_id, Changes(status_messages=True))

    # get_image_properties, reload_image_properties, create_from_wim: see source_images.py

    def update_image(self, package_id: str, *, reload_from_adk: bool = False) -> Result[str]:
        """UpdateImage(): queue a build of the package's image (a ``build`` job run by the site
        worker); returns the job's ContextID (QueryOSDBinaryInjectionStatus follows it)."""
        record = self._get_record(package_id)
        pid = record.values["PackageID"]
        if self.queue_build is None:
            raise NotImplementedYetError("UpdateImage", "a console wired with the job engine")
        context_id = self.queue_build(pid, {"reload_from_adk": bool(reload_from_adk)})
        return Result(context_id, Changes(status_messages=True))

    def update_default_image(self, package_id: str) -> Result[str]:
        """UpdateDefaultImage(): the same build for a default boot image (DefaultImage true)."""
        record = self._get_record(package_id)
        if not record.values.get("DefaultImage"):
            raise ValidationError.single(
                "DefaultImage", f"{record.values['PackageID']} is not a default boot image; use UpdateImage "
                "(bootimage update-image) to build it")
        return self.update_image(package_id)

    def export_default_boot_image(self, architecture: str, image_index: int, export_image_path: str) -> Result[str]:
        """ExportDefaultBootImage: see ``ImageBuilds.export_default_boot_image``."""
        if self.export_default is None:
            raise NotImplementedYetError("ExportDefaultBootImage", "a console wired with the build pipeline")
        return self.export_default(architecture, image_index, export_image_path)

    def add_distribution_points(self, package_id: str, site_code: Sequence[str], nal_path: Sequence[str]) -> Result[int]:
        raise NotImplementedYetError("AddDistributionPoints", "distribution to distribution points")

    def refresh_pkg_source(self, package_id: str, context_id: str | None = None) -> Result[str]:
        """RefreshPkgSource(): queue a ``refresh`` job (rebuild when the source changed, then
        update every DP of the package); its ContextID."""
        record = self._get_record(package_id)
        if self.queue_refresh is None:
            raise NotImplementedYetError("RefreshPkgSource", "a console wired with the job engine")
        return Result(self.queue_refresh(record.values["PackageID"]), Changes(status_messages=True))

    # -- helpers -----------------------------------------------------------------------------

    def _get_record(self, package_id: str) -> PackageRecord:
        with self._ctx.uow() as uow:
            return self._record_or_fail(uow, package_id, lazy=True)

    def _record_or_fail(self, uow: UnitOfWork, package_id: str, *, lazy: bool) -> PackageRecord:
        record = uow.packages.get(package_id.strip().upper(), lazy=lazy)
        if record is None:
            raise NotFoundError(f"no boot image package with PackageID {package_id!r}")
        return record

    def _folder_or_fail(self, uow: UnitOfWork, folder_id: int) -> None:
        if uow.folders.get(folder_id) is None:
            raise NotFoundError(f"no console folder with id {folder_id}")

    def _check_owner(self, record: PackageRecord, local: str) -> None:
        owner = record.values.get("SourceSite")
        if owner and owner != local:
            pid = record.values["PackageID"]
            raise PackageLockedError(
                f"{pid} is owned by site {owner}; it can only be changed there. "
                f"Use Unlock to make {local} the owner first."
            )

    def _check_version(self, record: PackageRecord, expected: str) -> None:
        current = record.values["SedoObjectVersion"]
        if expected != current:
            raise ConflictError(
                object_id=record.values["PackageID"],
                changed_by=record.modified_by or "another console",
                changed_at=format_datetime(record.modified_at) or "an unknown time",
                expected=expected,
                current=current,
            )

    def _write(self, uow: UnitOfWork, record: PackageRecord, changed: Mapping[str, Any], expected: str) -> str:
        pid = record.values["PackageID"]
        new_version = new_sedo_version()
        ok = uow.packages.update(
            pid, changed, expected_version=expected, new_version=new_version,
            modified_by=self._ctx.user, modified_at=self._ctx.clock(),
        )
        if not ok:  # saved by someone else between our read and our write
            fresh = uow.packages.get(pid, lazy=False)
            if fresh is None:
                raise NotFoundError(f"{pid} was deleted by another console; nothing was saved")
            self._check_version(fresh, expected)
        return new_version

    def _set_owner(self, uow: UnitOfWork, record: PackageRecord, code: str, local: str, text: str) -> Result[Instance]:
        pid = record.values["PackageID"]
        if record.values.get("SourceSite") != code:
            self._write(uow, record, {"SourceSite": code}, record.values["SedoObjectVersion"])
            self._status(uow, pid, text, local, kind="audit")
            uow.commit()
        return Result(self.get(pid, lazy=True), Changes(updated=frozenset({pid}), status_messages=True))

    def _status(self, uow: UnitOfWork, package_id: str | None, text: str, site: str, *, kind: str = "audit",
                details: Mapping[str, Any] | None = None) -> None:
        uow.status.add(
            time=self._ctx.clock(), severity="information", kind=kind, package_id=package_id,
            text=text, user=self._ctx.user, site_code=site, details=details,
        )

    def _to_instance(self, record: PackageRecord, include: tuple[str, ...] = ()) -> Instance:
        """The stored record as the class's instance. The repository returns exactly the
        properties asked for (all of them, or the non-deferred ones plus ``include``)."""
        values = dict(record.values)
        if "RefreshPkgSourceFlag" in values:
            values["RefreshPkgSourceFlag"] = False  # a trigger, it always reads back false
        return Instance(CLASS_NAME, values, record.lazy_loaded)
