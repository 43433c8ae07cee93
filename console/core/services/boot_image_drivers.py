"""A boot image's drivers: ReferencedDrivers (SMS_Driver_Details) against the catalog.

Adding checks that each driver exists, is enabled and is not already referenced; it warns
(``Changes.notes``) when a driver does not match the boot image's architecture, is not in a
storage or network class, or has no catalog file. One ``BootImagePackages.apply`` saves it.
"""

from __future__ import annotations

from collections.abc import Sequence

from console.core.changes import Result
from console.core.drivers import BootImageDriverList, DriverChange, DriverPlan, ReferencedDriver
from console.core.errors import ValidationError
from console.core.instance import Instance
from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext
from console.core.services.package_changes import DETAILS_CLASS, compose_drivers, driver_details, driver_ids

__all__ = ["DETAILS_CLASS", "BootImageDrivers"]


class BootImageDrivers:
    def __init__(self, ctx: ServiceContext, packages: BootImagePackages) -> None:
        self._ctx = ctx
        self._packages = packages

    def architecture_of(self, package_id: str) -> str:
        return str(self._packages.get(package_id).get("Architecture") or "")

    def plan(self, package_id: str, *, add: Sequence[int] = (), remove: Sequence[int] = ()) -> DriverPlan:
        """Work out the new ReferencedDrivers; refuse what cannot be done, note what is odd
        (a preview: ``apply`` works it out again inside the save)."""
        package = self._packages.get(package_id, lazy=True)
        with self._ctx.uow() as uow:
            found = uow.drivers.get_many(list(dict.fromkeys(driver_ids(add))))
        return compose_drivers(package.values, found, add=add, remove=remove)

    def apply(
        self,
        package_id: str,
        *,
        add: Sequence[int] = (),
        remove: Sequence[int] = (),
        expected_version: str | None = None,
    ) -> Result[DriverChange]:
        """Add and remove drivers in one save (``BootImagePackages.apply``): refused if the
        package changed since ``expected_version``; without one, composed on what is stored."""
        if not (add or remove):
            raise ValidationError.single("ReferencedDrivers", "no drivers given to add or remove")
        result = self._packages.apply(package_id, add_drivers=add, remove_drivers=remove, expected_version=expected_version)
        plan = result.value.drivers
        assert plan is not None
        change = DriverChange(plan.package_id, tuple(d.ci_id for d in plan.added), plan.removed, plan.notes)
        return Result(change, result.changes)

    @staticmethod
    def details(plan: DriverPlan) -> list[Instance]:
        """The plan as SMS_Driver_Details instances (ID, SourcePath)."""
        return driver_details(plan)

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
