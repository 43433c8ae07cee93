"""Reads what the Properties dialog shows. Runs on a worker thread: no widgets here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.core.changes import Changes
from console.core.instance import Instance
from console.core.sheet_layout import SheetLayout
from console.ui.propertysheet.layouts import sheet_layout_for


@dataclass(frozen=True)
class LoadedPackage:
    instance: Instance
    layout: SheetLayout
    images: tuple[Any, ...]
    changes: Changes = field(default_factory=Changes)
    notes: tuple[str, ...] = ()


def images_of(console: Any, instance: Instance) -> tuple[Any, ...]:
    """The images recorded in the package's ImageProperty (parsed by the service layer)."""
    return ()


def read_package(console: Any, package_id: str) -> LoadedPackage:
    """The package with its lazy properties, its sheet layout and its images."""
    instance = console.packages.get(package_id, lazy=True)
    layout = sheet_layout_for(instance.class_name, console.registry)
    return LoadedPackage(instance, layout, images_of(console, instance))


def reload_images(console: Any, package_id: str) -> LoadedPackage:
    """ReloadImageProperties, then read the package again."""
    result = console.packages.reload_image_properties(package_id)
    loaded = read_package(console, package_id)
    return LoadedPackage(loaded.instance, loaded.layout, loaded.images, result.changes, result.changes.notes)
