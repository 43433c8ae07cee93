"""Composing a package change from deltas: optional components and drivers to add or remove.

Pure functions over the stored values, so ``BootImagePackages.apply`` can compose the change
inside the write unit of work that saves it (another console's delta, saved meanwhile, is
then the base of this one and never lost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from console.core.drivers import Driver, DriverPlan, architecture_mismatch, is_storage_or_network
from console.core.errors import NotFoundError, Problem, ValidationError
from console.core.instance import Instance
from console.core.optional_components import OptionalComponentCatalog, Resolution

DETAILS_CLASS = "SMS_Driver_Details"


@dataclass(frozen=True)
class PackageDeltas:
    """What to add to or remove from a package's lists; ``set_components`` replaces the
    chosen optional components instead (UpdateOptionalComponents)."""

    add_components: tuple[str | int, ...] = ()
    remove_components: tuple[str | int, ...] = ()
    set_components: tuple[str | int, ...] | None = None
    add_drivers: tuple[int, ...] = ()
    remove_drivers: tuple[int, ...] = ()

    @property
    def components(self) -> bool:
        return bool(self.add_components or self.remove_components or self.set_components is not None)

    @property
    def drivers(self) -> bool:
        return bool(self.add_drivers or self.remove_drivers)


@dataclass(frozen=True)
class Applied:
    """Outcome of ``BootImagePackages.apply``: the package as stored and what was worked out."""

    package: Instance
    components: Resolution | None = None
    drivers: DriverPlan | None = None
    notes: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # the properties whose value changed


def compose_components(
    catalog: OptionalComponentCatalog,
    values: Mapping[str, Any],
    *,
    add: Sequence[str | int] = (),
    remove: Sequence[str | int] = (),
    replace: Sequence[str | int] | None = None,
) -> Resolution:
    """The new component list: names or ids in, prerequisites added in install order.
    Removing a component that a remaining one needs is refused."""
    arch = values.get("Architecture") or ""
    current = list(values.get("OptionalComponents") or ())
    if replace is not None:
        ids = [catalog.id_for(c, arch) for c in replace]
        removed = [c for c in current if c not in ids]
    else:
        removed = [catalog.id_for(c, arch) for c in remove]
        ids = [c for c in current if c not in removed]
        ids += [i for i in (catalog.id_for(c, arch) for c in add) if i not in ids]
    problems = []
    for rid in removed:
        needing = [catalog.by_id(d).name for d in catalog.dependents(rid, ids)]
        if needing:
            problems.append(Problem(
                "OptionalComponents",
                f"cannot remove {catalog.by_id(rid).name}: {', '.join(needing)} "
                f"{'needs' if len(needing) == 1 else 'need'} it; remove {'it' if len(needing) == 1 else 'them'} as well",
            ))
    if problems:
        raise ValidationError(problems)
    return catalog.resolve(ids, arch)


def describe_unneeded(catalog: OptionalComponentCatalog, values: Mapping[str, Any], *,
                      add: Sequence[str | int] = (), remove: Sequence[str | int] = ()) -> tuple[str, ...]:
    """A note for each component to add that is already in the package (chosen, a prerequisite
    or required by the site) and each to remove that is not: nothing is done for them, and a
    change made of only those saves nothing (no new SedoObjectVersion)."""
    arch = values.get("Architecture") or ""
    pid = values.get("PackageID") or "the boot image"
    current = set(values.get("OptionalComponents") or ())
    notes = [f"{catalog.by_id(i).name} is already in boot image {pid}; nothing to add"
             for i in dict.fromkeys(catalog.id_for(c, arch) for c in add) if i in current]
    notes += [f"{catalog.by_id(i).name} is not in boot image {pid}; nothing to remove"
              for i in dict.fromkeys(catalog.id_for(c, arch) for c in remove) if i not in current]
    return tuple(notes)


def same_value(old: Any, new: Any) -> bool:
    """Stored and new values compare equal; a list and a tuple of the same items are the same value."""
    if isinstance(old, list | tuple) and isinstance(new, list | tuple):
        return tuple(old) == tuple(new)
    return bool(old == new)


def describe_added(catalog: OptionalComponentCatalog, resolution: Resolution) -> tuple[str, ...]:
    """``added as prerequisite: WinPE-NetFx, required by WinPE-PowerShell`` for each prerequisite
    added; one the site always requires is said to be that, not "added"."""
    return tuple(
        f"required by the site: {catalog.by_id(i).name} (also {reason})" if catalog.by_id(i).config_mgr_required
        else f"added as prerequisite: {catalog.by_id(i).name}, {reason}"
        for i, reason in resolution.added)


def driver_ids(values: Sequence[object]) -> list[int]:
    return [ci_id(v) for v in values]


def compose_drivers(
    values: Mapping[str, Any], found: Mapping[int, Driver], *, add: Sequence[int] = (), remove: Sequence[int] = ()
) -> DriverPlan:
    """The new ReferencedDrivers of the package with stored ``values``; ``found`` holds the
    catalog drivers of ``add``. Refuses what cannot be done, notes what is odd."""
    pid = str(values["PackageID"])
    current = [(int(d["ID"]), str(d["SourcePath"])) for d in values.get("ReferencedDrivers") or ()]
    current_ids = {ci for ci, _ in current}
    add_ids = driver_ids(add)
    remove_ids = driver_ids(remove)
    problems: list[Problem] = []
    for ci in sorted({i for i in add_ids if add_ids.count(i) > 1}):
        problems.append(Problem("ReferencedDrivers", f"driver {ci} is listed twice"))
    for ci in sorted(set(add_ids) & set(remove_ids)):
        problems.append(Problem("ReferencedDrivers", f"driver {ci} cannot be added and removed at once"))
    for ci in remove_ids:
        if ci not in current_ids:
            problems.append(Problem("ReferencedDrivers", f"driver {ci} is not in boot image {pid}; nothing to remove"))
    missing = [str(i) for i in dict.fromkeys(add_ids) if i not in found]
    if missing:
        raise NotFoundError(f"no driver with CI_ID {', '.join(missing)} in the driver catalog; import it first (bootimage driver import)")
    added: list[Driver] = []
    for ci in dict.fromkeys(add_ids):
        driver = found[ci]
        if not driver.is_enabled:
            problems.append(Problem("ReferencedDrivers", f"driver {ci} ({driver.name}) is disabled; enable it before adding it to a boot image"))
        elif ci in current_ids:
            problems.append(Problem("ReferencedDrivers", f"driver {ci} ({driver.name}) is already in boot image {pid}"))
        else:
            added.append(driver)
    if problems:
        raise ValidationError(problems)
    architecture = str(values.get("Architecture") or "")
    notes = tuple(note for driver in added for note in driver_notes(driver, pid, architecture))
    if added and not architecture:
        notes += (f"warning: boot image {pid} has no architecture yet (its image was not read), so driver architectures were not checked",)
    kept = [(ci, path) for ci, path in current if ci not in set(remove_ids)]
    referenced = tuple(kept + [(d.ci_id, d.folder) for d in added])
    return DriverPlan(
        package_id=pid, sedo_version=str(values["SedoObjectVersion"]), referenced=referenced,
        added=tuple(added), removed=tuple(dict.fromkeys(remove_ids)), notes=notes,
        unchanged=not added and not remove_ids,
    )


def driver_details(plan: DriverPlan) -> list[Instance]:
    """The plan as SMS_Driver_Details instances (ID, SourcePath)."""
    return [Instance(DETAILS_CLASS, {"ID": ci, "SourcePath": path}) for ci, path in plan.referenced]


def driver_notes(driver: Driver, package_id: str, architecture: str) -> list[str]:
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


def ci_id(value: object) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError.single("ReferencedDrivers", f"{value!r} is not a driver CI_ID (a number such as 16777217)") from None
    if not 0 < number <= 0xFFFFFFFF:
        raise ValidationError.single("ReferencedDrivers", f"{number} is not a driver CI_ID (1 to 4294967295)")
    return number
