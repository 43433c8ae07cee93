"""Everything the details pane and the tree show about one package, loaded off the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.core.classdef import ClassDef
from console.core.console_services import ConsoleServices
from console.core.instance import Instance
from console.core.optional_components import component_groups, component_name
from console.ui.models.package_nodes import Node, children_for


@dataclass(frozen=True)
class PackageDetails:
    package: Instance
    cls: ClassDef  # the package's class, for showing its values
    images: list[Any] = field(default_factory=list)  # ImageInfo-like objects
    components: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, group label
    drivers: list[tuple[int, str, str]] = field(default_factory=list)  # CI_ID, name, source path
    image_error: str = ""
    content_status: str = ""  # ContentSummary.line(): "Installed on 47 of 50 distribution points, ..."

    def nodes(self) -> list[Node]:
        return children_for(self.package, self.images, self.components, self.drivers)


def load_details(console: ConsoleServices, package_id: str) -> PackageDetails:
    """Runs on a worker thread: read the package with its lazy properties and resolve names."""
    package = console.packages.get(package_id, lazy=True)
    images: list[Any] = []
    image_error = ""
    if package.get("ImageProperty"):
        try:
            images = list(console.packages.image_list(package))
        except Exception as exc:  # a damaged ImageProperty must not hide the package
            image_error = str(exc)
    catalog = console.context.catalog
    groups = component_groups(catalog, package.get("OptionalComponents") or (), package.get("Architecture") or "")
    components = [(cid, component_name(catalog, cid), groups.label(cid)) for cid in groups.all_ids()]
    drivers = []
    lookup = getattr(getattr(console, "drivers", None), "get", None)
    for ref in package.get("ReferencedDrivers") or ():
        ci_id, path = ref["ID"], ref["SourcePath"]
        name = f"Driver {ci_id}"
        if lookup is not None:
            try:
                name = lookup(ci_id).name
            except Exception:
                name = f"Driver {ci_id} (not in the catalog)"
        drivers.append((ci_id, name, path))
    try:
        content_status = console.content.summary(package_id).line()
    except Exception as exc:  # the package's details show even when its content status cannot be read
        content_status = f"The content status cannot be read: {exc}"
    return PackageDetails(package, console.registry[package.class_name], images, components, drivers, image_error,
                          content_status)
