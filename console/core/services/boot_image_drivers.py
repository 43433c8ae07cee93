"""A boot image's drivers: ReferencedDrivers (SMS_Driver_Details) against the catalog.

Adding checks that each driver exists, is enabled and is not already referenced; it warns
(``Changes.notes``) when a driver does not match the boot image's architecture, is not in a
storage or network class, or has no catalog file. One ``BootImagePackages.put`` saves it.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.core.changes import Changes, Result
from console.core.drivers import (
    BootImageDriverList,
    Driver,
    DriverChange,
    DriverPlan,
    ReferencedDriver,
    architecture_mismatch,
    is_storage_or_network,
)
from console.core.errors import NotFoundError, Problem, ValidationError
from console.core.instance import Instance
from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext

DETAILS_CLASS = "SMS_Driver_Details"


class BootImageDrivers:
    def __init__(self, ctx: ServiceContext, packages: BootImagePackages) -> None:
        self._ctx = ctx
        self._packages = packages

    def architecture_of(self, package_id: str) -> str:
        return str(self._packages.get(package_id).get("Architecture") or "")

    def plan(self, package_id: str, *, add: Sequence[int] = (), remove: Sequence[int] = ()) -> DriverPlan:
        """Work out the new ReferencedDrivers; refuse what cannot be done, note what is odd."""
        package = self._packages.get(package_id, lazy=True)
        pid = package["PackageID"]
        current = [(int(d["ID"]), str(d["SourcePath"])) for d in package.get("ReferencedDrivers") or ()]
        current_ids = {ci for ci, _ in current}
        add_ids = [_ci_id(v) for v in add]
        remove_ids = [_ci_id(v) for v in remove]
        problems: list[Problem] = []
        for ci_id in sorted({i for i in add_ids if add_ids.count(i) > 1}):
            problems.append(Problem("ReferencedDrivers", f"driver {ci_id} is listed twice"))
        for ci_id in sorted(set(add_ids) & set(remove_ids)):
            problems.append(Problem("ReferencedDrivers", f"driver {ci_id} cannot be added and removed at once"))
        for ci_id in remove_ids:
            if ci_id not in current_ids:
                problems.append(Problem("ReferencedDrivers", f"driver {ci_id} is not in boot image {pid}; nothing to remove"))
        with self._ctx.uow() as uow:
            found = uow.drivers.get_many(list(dict.fromkeys(add_ids)))
        missing = [str(i) for i in dict.fromkeys(add_ids) if i not in found]
        if missing:
            raise NotFoundError(f"no driver with CI_ID {', '.join(missing)} in the driver catalog; import it first (bootimage driver import)")
        added: list[Driver] = []
        for ci_id in dict.fromkeys(add_ids):
            driver = found[ci_id]
            if not driver.is_enabled:
                problems.append(Problem("ReferencedDrivers", f"driver {ci_id} ({driver.name}) is disabled; enable it before adding it to a boot image"))
            elif ci_id in current_ids:
                problems.append(Problem("ReferencedDrivers", f"driver {ci_id} ({driver.name}) is already in boot image {pid}"))
            else:
                added.append(driver)
        if problems:
            raise ValidationError(problems)
        architecture = str(package.get("Architecture") or "")
        notes = tuple(note for driver in added for note in self._notes(driver, pid, architecture))
        if added and not architecture:
            notes += (f"warning: boot image {pid} has no architecture yet (its image was not read), so driver architectures were not checked",)
        kept = [(ci, path) for ci, path in current if ci not in set(remove_ids)]
        referenced = tuple(kept + [(d.ci_id, d.folder) for d in added])
        return DriverPlan(
            package_id=pid, sedo_version=str(package["SedoObjectVersion"]), referenced=referenced,
            added=tuple(added), removed=tuple(dict.fromkeys(remove_ids)), notes=notes,
            unchanged=not added and not remove_ids,
        )

    def apply(
        self,
        package_id: str,
        *,
        add: Sequence[int] = (),
        remove: Sequence[int] = (),
        expected_version: str | None = None,
    ) -> Result[DriverChange]:
        """Plan, then save ReferencedDrivers with one put (refused if the package changed
        since ``expected_version``, or since the plan was read when none is given)."""
        plan = self.plan(package_id, add=add, remove=remove)
        if plan.unchanged:
            raise ValidationError.single("ReferencedDrivers", "no drivers given to add or remove")
        result = self._packages.put(
            plan.package_id,
            {"ReferencedDrivers": self.details(plan)},
            expected_version=expected_version or plan.sedo_version,
        )
        change = DriverChange(plan.package_id, tuple(d.ci_id for d in plan.added), plan.removed, plan.notes)
        return Result(change, result.changes | Changes(notes=plan.notes))

    @staticmethod
    def details(plan: DriverPlan) -> list[Instance]:
        """The plan as SMS_Driver_Details instances (ID, SourcePath)."""
        return [Instance(DETAILS_CLASS, {"ID": ci_id, "SourcePath": path}) for ci_id, path in plan.referenced]

    def drivers_of(self, package_id: str) -> BootImageDriverList:
        """The package's ReferencedDrivers with their catalog rows, and their total size
        (a content folder shared by several drivers counts once)."""
        package = self._packages.get(package_id, lazy=True)
        refs = [(int(d["ID"]), str(d["SourcePath"])) for d in package.get("ReferencedDrivers") or ()]
        with self._ctx.uow() as uow:
            found = uow.drivers.get_many([ci for ci, _ in refs])
        entries = tuple(ReferencedDriver(ci, path, found.get(ci)) for ci, path in refs)
        sizes = {e.driver.folder: e.driver.size for e in entries if e.driver is not None}
        return BootImageDriverList(package["PackageID"], str(package.get("Architecture") or ""), entries, sum(sizes.values()))

    @staticmethod
    def _notes(driver: Driver, package_id: str, architecture: str) -> list[str]:
        label = f"driver {driver.ci_id} ({driver.name})"
        notes = []
        if architecture and (why := architecture_mismatch(driver.architectures, architecture)):
            notes.append(f"warning: {label} does not match the {architecture} boot image {package_id}: {why}")
        if not is_storage_or_network(driver.driver_class, driver.class_guid):
            notes.append(
                f"warning: {label} is in class {driver.driver_class or '(none)'}, not a storage or network class; "
                "Windows PE usually needs only network and storage drivers"
            )
        if not driver.signed:
            notes.append(f"note: {label} has no catalog file beside its INF (unsigned)")
        return notes


def _ci_id(value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError.single("ReferencedDrivers", f"{value!r} is not a driver CI_ID (a number such as 16777217)") from None
    if not 0 < number <= 0xFFFFFFFF:
        raise ValidationError.single("ReferencedDrivers", f"{number} is not a driver CI_ID (1 to 4294967295)")
    return number
