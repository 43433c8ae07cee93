"""Reads what the Properties dialog shows. Runs on a worker thread: no widgets here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.instance import Instance
from console.core.sheet_layout import SheetLayout
from console.core.source_check import source_image_problem


@dataclass(frozen=True)
class LoadedPackage:
    instance: Instance
    layout: SheetLayout
    images: tuple[Any, ...] = ()  # console.core.images.ImageInfo from the package's ImageProperty
    drivers: Mapping[int, Any] = field(default_factory=dict)  # CI_ID -> console.core.drivers.Driver
    changes: Changes = field(default_factory=Changes)
    notes: tuple[str, ...] = ()
    image_error: str = ""
    source_problem: str | None = None  # the source WIM is missing or unreadable (checked here, off the GUI)
    boot_index: int | None = None  # the source WIM header's boot index (0 = none), None when not readable


def read_package(console: ConsoleServices, package_id: str) -> LoadedPackage:
    """The package with its lazy properties, its sheet layout, its images and the catalog
    entries of its drivers."""
    instance = console.packages.get(package_id, lazy=True)
    layout = console.sheet_layout(instance.class_name)
    images: tuple[Any, ...] = ()
    image_error = ""
    try:
        images = tuple(console.packages.image_list(instance))
    except ConsoleError as exc:  # a damaged ImageProperty must not keep the dialog closed
        image_error = exc.message
    listing = console.drivers.drivers_of(instance["PackageID"])
    drivers = {entry.ci_id: entry.driver for entry in listing.drivers if entry.driver is not None}
    path = instance.get("ImagePath") or ""
    problem = source_image_problem(path)
    boot_index: int | None = None
    if path and problem is None:
        try:  # the header is a few hundred bytes; the recorded ImageProperty does not carry it
            boot_index = console.packages.get_image_properties(path).boot_index
        except ConsoleError:
            boot_index = None
    return LoadedPackage(instance, layout, images, drivers, image_error=image_error, source_problem=problem,
                         boot_index=boot_index)


def reload_images(console: ConsoleServices, package_id: str, expected_version: str | None) -> LoadedPackage:
    """ReloadImageProperties on the version the dialog shows, then read the package again."""
    result = console.packages.reload_image_properties(package_id, expected_version=expected_version)
    loaded = read_package(console, package_id)
    return LoadedPackage(loaded.instance, loaded.layout, loaded.images, loaded.drivers, result.changes,
                         result.changes.notes, loaded.image_error, loaded.source_problem, loaded.boot_index)
