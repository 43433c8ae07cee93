"""What the Drivers wizard's summary shows, worked out off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.core.console_services import ConsoleServices
from console.core.drivers import Driver, DriverPlan


@dataclass(frozen=True)
class DriverPlanView:
    plan: DriverPlan
    removed: tuple[tuple[int, Driver | None], ...]  # CI_ID and its catalog driver (None: not in the catalog)
    count_before: int
    size_before: int  # bytes; a folder shared by several drivers counts once
    size_after: int


def load_plan(console: ConsoleServices, package_id: str, add: Sequence[int], remove: Sequence[int]) -> DriverPlanView:
    """Runs on a worker thread: the service's plan plus the sizes before and after the change."""
    plan = console.drivers.plan_boot_image_drivers(package_id, add=add, remove=remove)
    current = console.drivers.drivers_of(package_id)
    catalog = {entry.ci_id: entry.driver for entry in current.drivers}
    gone = set(plan.removed)
    folders = {d.folder: d.size for ci_id, d in catalog.items() if d is not None and ci_id not in gone}
    folders.update({d.folder: d.size for d in plan.added})
    removed = tuple((ci_id, catalog.get(ci_id)) for ci_id in plan.removed)
    return DriverPlanView(plan, removed, len(current.drivers), current.total_size, sum(folders.values()))
