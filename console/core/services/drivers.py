"""The driver catalog service (SMS_Driver): scan folders, import, query, enable, delete;
plus the boot image side (ReferencedDrivers) through ``BootImageDrivers``.

Long work (``scan``, ``import_drivers``) reports progress through ``progress(done, total,
path)`` and stops when ``cancelled()`` returns true; both are plain callables so the GUI can
run them on a worker thread. A cancelled import writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from os import PathLike
from typing import Any

from console.core.changes import Changes, Result
from console.core.drivers import (
    SORT_KEYS,
    BootImageDriverList,
    CancelCheck,
    Driver,
    DriverCandidate,
    DriverChange,
    DriverInUseError,
    DriverPage,
    DriverPlan,
    DriverQuery,
    DriverReader,
    Duplicate,
    DuplicateDriverError,
    ImportResult,
    InfError,
    ProgressCallback,
    ScanFailure,
    ScanResult,
    is_storage_or_network,
    matches_architecture,
)
from console.core.errors import NotFoundError, Problem, ValidationError
from console.core.input_limits import check_search_text
from console.core.instance import Instance
from console.core.ports import UnitOfWork
from console.core.services.boot_image_drivers import BootImageDrivers
from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext

CLASS_NAME = "SMS_Driver"
MAX_CATEGORY_LENGTH = 255


def _never() -> bool:
    return False


def _quiet(done: int, total: int, path: str) -> None:
    return None


class DriverCatalog:
    def __init__(self, ctx: ServiceContext, reader: DriverReader) -> None:
        self._ctx = ctx
        self._reader = reader
        self._boot = BootImageDrivers(ctx, BootImagePackages(ctx))

    # -- scanning and importing ----------------------------------------------------------

    def scan(
        self,
        folder: str | PathLike[str],
        *,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> ScanResult:
        """Find every INF under ``folder`` and read it; nothing is written.

        ``found`` are new drivers, ``duplicates`` are already in the catalog (or found
        twice in this folder), ``failed`` are INFs that cannot be used, each with a message."""
        progress = progress or _quiet
        cancelled = cancelled or _never
        root = str(folder)
        failures: list[ScanFailure] = []
        paths: list[str] = []
        self._reader.new_scan()
        for path in self._reader.find_infs(root, failures, cancelled):
            paths.append(path)
        if cancelled():
            return ScanResult(root, failed=tuple(failures), cancelled=True)
        found: list[DriverCandidate] = []
        duplicates: list[Duplicate] = []
        first_seen: dict[str, str] = {}
        for done, path in enumerate(paths):
            if cancelled():
                return ScanResult(root, tuple(found), tuple(duplicates), tuple(failures), cancelled=True)
            progress(done, len(paths), path)
            try:
                candidate = self._reader.read(path)
            except InfError as exc:
                failures.append(ScanFailure(path, exc.message))
                continue
            if candidate.content_hash in first_seen:
                duplicates.append(Duplicate(candidate, None, first_seen[candidate.content_hash]))
                continue
            first_seen[candidate.content_hash] = path
            found.append(candidate)
        progress(len(paths), len(paths), "")
        with self._ctx.uow() as uow:
            existing = uow.drivers.by_content_hash([c.content_hash for c in found])
        new = [c for c in found if c.content_hash not in existing]
        duplicates += [
            Duplicate(c, existing[c.content_hash].ci_id, existing[c.content_hash].inf_path)
            for c in found if c.content_hash in existing
        ]
        return ScanResult(root, tuple(new), tuple(duplicates), tuple(sorted(failures, key=lambda f: f.path)))

    def import_drivers(
        self,
        source: ScanResult | str | PathLike[str] | Sequence[str | PathLike[str]],
        *,
        categories: Sequence[str] = (),
        enabled: bool = True,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
    ) -> Result[ImportResult]:
        """Add the drivers of a scan (or of folders/INF files, scanned first) to the catalog,
        in one transaction. Drivers that reached the catalog since the scan are reported as
        duplicates. A cancelled scan imports nothing."""
        names = self._check_categories(categories)
        scan = source if isinstance(source, ScanResult) else self._scan_all(source, progress, cancelled)
        if scan.cancelled:
            return Result(ImportResult((), scan.duplicates, scan.failed, cancelled=True))
        imported: list[Driver] = []
        duplicates = list(scan.duplicates)
        if scan.found:
            with self._ctx.uow(write=True) as uow:
                site = self._ctx.local_site(uow)
                existing = uow.drivers.by_content_hash([c.content_hash for c in scan.found])
                now = self._ctx.clock()
                for candidate in scan.found:
                    if candidate.content_hash in existing:
                        other = existing[candidate.content_hash]
                        duplicates.append(Duplicate(candidate, other.ci_id, other.inf_path))
                        continue
                    driver = self._new_driver(uow, candidate, site.code, names, enabled, now)
                    taken = uow.drivers.add(driver)
                    if taken is not None:  # another console imported it since the look above
                        duplicates.append(Duplicate(candidate, taken.ci_id, taken.inf_path))
                        existing[candidate.content_hash] = taken
                        continue
                    existing[candidate.content_hash] = driver
                    imported.append(driver)
                if imported:
                    self._status(uow, f"Imported {len(imported)} driver(s) from {scan.folder} "
                                      f"(CI_ID {imported[0].ci_id}-{imported[-1].ci_id})", site.code)
                uow.commit()
        result = ImportResult(tuple(imported), tuple(duplicates), scan.failed)
        return Result(result, Changes(drivers=frozenset(d.ci_id for d in imported), status_messages=bool(imported)))

    def create_from_inf(self, driver_path: str, inf_file: str, *, categories: Sequence[str] = ()) -> Result[Driver]:
        """CreateFromINF(DriverPath, INFFile): import one INF; its errors are raised."""
        path = driver_path.rstrip("/\\") + "/" + inf_file if driver_path else inf_file
        self._reader.new_scan()
        candidate = self._reader.read(path)
        outcome = self.import_drivers(ScanResult(driver_path, (candidate,)), categories=categories)
        if not outcome.value.imported:
            raise DuplicateDriverError(f"{path}: {outcome.value.duplicates[0].describe()}; nothing was imported")
        return Result(outcome.value.imported[0], outcome.changes)

    # -- reading ---------------------------------------------------------------------------

    def get(self, ci_id: int) -> Driver:
        with self._ctx.uow() as uow:
            return self._driver_or_fail(uow, ci_id)

    def query(self, query: DriverQuery | None = None) -> DriverPage:
        query = query or DriverQuery()
        check_search_text(query.text)
        if query.sort not in SORT_KEYS:
            raise ValidationError.single("sort", f"cannot sort drivers by {query.sort!r}; use one of {', '.join(SORT_KEYS)}")
        with self._ctx.uow() as uow:
            items, total = uow.drivers.query(query)
        return DriverPage(tuple(items), total)

    def counts(self, query: DriverQuery | None = None) -> tuple[int, int]:
        """(drivers matching the query's search and filters, how many of them are disabled): one
        read of the text index, for a list's status line (never by walking loaded rows)."""
        query = query or DriverQuery()
        check_search_text(query.text)
        with self._ctx.uow() as uow:
            return uow.drivers.counts(query)

    def referencing_packages(self, ci_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """CI_ID → (PackageID, Name) of the boot images that use it (drivers nobody uses are
        left out): asked before a delete, which would be refused for these."""
        with self._ctx.uow() as uow:
            return {ci_id: users for ci_id, users in uow.drivers.referencing_packages(list(ci_ids)).items() if users}

    def classes(self) -> list[str]:
        """Every DriverClass in the catalog (for a class filter)."""
        with self._ctx.uow() as uow:
            return uow.drivers.classes()

    def categories(self) -> list[str]:
        with self._ctx.uow() as uow:
            return uow.drivers.categories()

    def to_instance(self, driver: Driver, *, lazy: bool = True) -> Instance:
        """The driver as an SMS_Driver instance (for property sheets and JSON); lazy
        properties (HardwareIDs) only when ``lazy``."""
        values: dict[str, Any] = {
            "CI_ID": driver.ci_id, "CI_UniqueID": driver.ci_unique_id, "LocalizedDisplayName": driver.name,
            "LocalizedCategoryInstanceNames": driver.categories, "ContentSourcePath": driver.folder,
            "DriverClass": driver.driver_class, "DriverClassGuid": driver.class_guid, "DriverProvider": driver.provider,
            "DriverVersion": driver.version, "DriverDate": _midnight(driver), "DriverINFFile": driver.inf_file,
            "DriverType": "INF", "DriverSigned": driver.signed, "CatalogFile": driver.catalog_file,
            "IsEnabled": driver.is_enabled, "SupportedArchitectures": driver.architectures,
            "ContentSize": driver.size, "ContentHash": driver.content_hash, "SourceSite": driver.source_site,
            "DateCreated": driver.created_at, "CreatedBy": driver.created_by,
            "DateLastModified": driver.modified_at, "LastModifiedBy": driver.modified_by,
        }
        if lazy:
            values["HardwareIDs"] = driver.hardware_ids
            values["INFWarnings"] = driver.warnings
        cls = self._ctx.cls(CLASS_NAME)
        return Instance(CLASS_NAME, {k: v for k, v in values.items() if k in cls.properties}, lazy)

    # -- changing ------------------------------------------------------------------------

    def set_enabled(self, ci_ids: Sequence[int], enabled: bool) -> Result[tuple[Driver, ...]]:
        """Enable or disable drivers (a disabled driver cannot be added to a boot image)."""
        ids = list(dict.fromkeys(int(i) for i in ci_ids))
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            found = uow.drivers.get_many(ids)
            self._all_found(ids, found)
            uow.drivers.set_enabled(ids, enabled, modified_by=self._ctx.user, modified_at=self._ctx.clock())
            word = "Enabled" if enabled else "Disabled"
            self._status(uow, f"{word} driver(s) {', '.join(str(i) for i in ids)}", site.code)
            uow.commit()
            drivers = uow.drivers.get_many(ids)
        return Result(tuple(drivers[i] for i in ids), Changes(drivers=frozenset(ids), status_messages=True))

    def enable(self, ci_id: int) -> Result[Driver]:
        result = self.set_enabled([ci_id], True)
        return Result(result.value[0], result.changes)

    def disable(self, ci_id: int) -> Result[Driver]:
        result = self.set_enabled([ci_id], False)
        return Result(result.value[0], result.changes)

    def set_categories(self, ci_id: int, categories: Sequence[str]) -> Result[Driver]:
        names = self._check_categories(categories)
        with self._ctx.uow(write=True) as uow:
            self._driver_or_fail(uow, ci_id)
            uow.drivers.set_categories(ci_id, names, modified_by=self._ctx.user, modified_at=self._ctx.clock())
            uow.commit()
            driver = self._driver_or_fail(uow, ci_id)
        return Result(driver, Changes(drivers=frozenset({ci_id})))

    def delete(self, ci_id: int) -> Result[int]:
        """Remove a driver from the catalog; refused while a boot image references it."""
        with self._ctx.uow(write=True) as uow:
            site = self._ctx.local_site(uow)
            driver = self._driver_or_fail(uow, ci_id)
            users = uow.drivers.referencing_packages([ci_id]).get(ci_id, [])
            if users:
                named = ", ".join(f"{pid} ({name})" for pid, name in users)
                raise DriverInUseError(
                    f"driver {ci_id} ({driver.name}) is used by boot image(s) {named}; "
                    "remove it from them first. Nothing was deleted."
                )
            uow.drivers.delete(ci_id)
            self._status(uow, f"Deleted driver {ci_id} ({driver.name}, {driver.inf_path})", site.code)
            uow.commit()
        return Result(ci_id, Changes(drivers=frozenset({ci_id}), status_messages=True))

    # -- the Drivers wizard: filters and ReferencedDrivers ------------------------------------

    @staticmethod
    def matches_architecture(driver: DriverCandidate, boot_image_architecture: str) -> bool:
        return matches_architecture(driver.architectures, boot_image_architecture)

    @staticmethod
    def is_storage_or_network(driver: DriverCandidate) -> bool:
        return is_storage_or_network(driver.driver_class, driver.class_guid)

    def drivers_for_boot_image(
        self,
        package_id: str,
        *,
        text: str = "",
        hide_other_architectures: bool = True,
        hide_not_storage_or_network: bool = True,
        hide_unsigned: bool = False,
        hide_disabled: bool = True,
        sort: str = "name",
        offset: int = 0,
        limit: int | None = None,
    ) -> DriverPage:
        """Catalog drivers the Drivers wizard offers for a boot image, with the three
        filters of the console (architecture, storage/network class, signed)."""
        architecture = self._boot.architecture_of(package_id)
        return self.query(DriverQuery(
            text=text,
            architecture=architecture if hide_other_architectures else "",
            storage_or_network=True if hide_not_storage_or_network else None,
            signed=True if hide_unsigned else None,
            enabled=True if hide_disabled else None,
            sort=sort, offset=offset, limit=limit,
        ))

    def add_drivers_to_boot_image(
        self, package_id: str, ci_ids: Sequence[int], *, expected_version: str | None = None
    ) -> Result[DriverChange]:
        return self._boot.apply(package_id, add=ci_ids, expected_version=expected_version)

    def remove_drivers_from_boot_image(
        self, package_id: str, ci_ids: Sequence[int], *, expected_version: str | None = None
    ) -> Result[DriverChange]:
        return self._boot.apply(package_id, remove=ci_ids, expected_version=expected_version)

    def change_boot_image_drivers(
        self, package_id: str, *, add: Sequence[int] = (), remove: Sequence[int] = (), expected_version: str | None = None
    ) -> Result[DriverChange]:
        """Add and remove drivers of a boot image in one save (the Drivers wizard's Finish)."""
        return self._boot.apply(package_id, add=add, remove=remove, expected_version=expected_version)

    def plan_boot_image_drivers(self, package_id: str, *, add: Sequence[int] = (), remove: Sequence[int] = ()) -> DriverPlan:
        """What ReferencedDrivers would become (``DriverPlan``), without saving."""
        return self._boot.plan(package_id, add=add, remove=remove)

    def drivers_of(self, package_id: str) -> BootImageDriverList:
        return self._boot.drivers_of(package_id)

    # -- helpers -------------------------------------------------------------------------

    def _scan_all(
        self, source: str | PathLike[str] | Sequence[str | PathLike[str]],
        progress: ProgressCallback | None, cancelled: CancelCheck | None,
    ) -> ScanResult:
        items = [source] if isinstance(source, (str, PathLike)) else list(source)
        merged = ScanResult(", ".join(str(i) for i in items))
        seen: set[str] = set()
        for item in items:
            scan = self.scan(item, progress=progress, cancelled=cancelled)
            fresh = [c for c in scan.found if c.content_hash not in seen]
            again = [Duplicate(c, None, c.inf_path) for c in scan.found if c.content_hash in seen]
            seen.update(c.content_hash for c in fresh)
            merged = replace(
                merged, found=merged.found + tuple(fresh), duplicates=merged.duplicates + scan.duplicates + tuple(again),
                failed=merged.failed + scan.failed, cancelled=scan.cancelled,
            )
            if scan.cancelled:
                break
        return merged

    def _new_driver(
        self, uow: UnitOfWork, candidate: DriverCandidate, site: str, categories: tuple[str, ...], enabled: bool, now: datetime
    ) -> Driver:
        ci_id = uow.drivers.allocate_ci_id(site)
        fields = {name: getattr(candidate, name) for name in DriverCandidate.__dataclass_fields__}
        return Driver(
            **fields, ci_id=ci_id, ci_unique_id=f"SITE_{site}/Driver_{uuid.uuid4()}", is_enabled=enabled,
            categories=categories, source_site=site, created_at=now, created_by=self._ctx.user,
            modified_at=now, modified_by=self._ctx.user,
        )

    @staticmethod
    def _check_categories(categories: Sequence[str]) -> tuple[str, ...]:
        names: dict[str, str] = {}
        problems = []
        for raw in categories:
            name = raw.strip()
            if not name:
                problems.append(Problem("LocalizedCategoryInstanceNames", "a category name cannot be empty"))
            elif len(name) > MAX_CATEGORY_LENGTH:
                problems.append(Problem("LocalizedCategoryInstanceNames", f"category {name[:40]!r}... is longer than {MAX_CATEGORY_LENGTH} characters"))
            else:
                names.setdefault(name.casefold(), name)
        if problems:
            raise ValidationError(problems)
        return tuple(names.values())

    @staticmethod
    def _all_found(ids: Sequence[int], found: dict[int, Driver]) -> None:
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFoundError(f"no driver with CI_ID {', '.join(missing)} in the driver catalog; nothing was changed")

    def _driver_or_fail(self, uow: UnitOfWork, ci_id: int) -> Driver:
        driver = uow.drivers.get(int(ci_id))
        if driver is None:
            raise NotFoundError(f"no driver with CI_ID {ci_id} in the driver catalog")
        return driver

    def _status(self, uow: UnitOfWork, text: str, site: str) -> None:
        uow.status.add(time=self._ctx.clock(), severity="information", kind="driver", package_id=None,
                       text=text, user=self._ctx.user, site_code=site)


def _midnight(driver: Driver) -> datetime | None:
    day = driver.date
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
