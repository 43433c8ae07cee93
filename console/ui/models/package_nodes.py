"""Plain tree nodes behind the package tree model (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from console.core.instance import Instance
from console.core.sizes import size_in


class NodeKind(Enum):
    ROOT = "root"
    PACKAGE = "package"
    GROUP = "group"
    IMAGE = "image"
    COMPONENT = "component"
    DRIVER = "driver"


@dataclass(eq=False)
class Node:
    kind: NodeKind
    label: str
    package: Instance | None = None
    icon: str = ""
    tooltip: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    parent: Node | None = None
    row: int = 0
    children: list[Node] = field(default_factory=list)
    children_loaded: bool = False
    texts: list[str] | None = None  # display text per column, computed once when painted

    @property
    def package_id(self) -> str | None:
        return self.package["PackageID"] if self.package is not None else None

    def ancestor_package_id(self) -> str | None:
        node: Node | None = self
        while node is not None:
            if node.package is not None:
                return node.package_id
            node = node.parent
        return None

    def append(self, child: Node) -> None:
        child.parent = self
        child.row = len(self.children)
        self.children.append(child)

    def remove(self, child: Node) -> None:
        self.children.remove(child)
        for row, node in enumerate(self.children):
            node.row = row


def group(label: str, icon: str, items: list[Node]) -> Node:
    node = Node(NodeKind.GROUP, f"{label} ({len(items)})", icon=icon, children_loaded=True)
    for item in items:
        node.append(item)
    return node


def children_for(package: Instance, images: list[Any], components: list[tuple[int, str, str]], drivers: list[tuple[int, str, str]]) -> list[Node]:
    """Group nodes under a package: its images, optional components and drivers.

    ``images``: ImageInfo-like objects (index, name, architecture, os_version,
    default_language, total_bytes); ``components``: (id, name, group label: chosen, prerequisite of …, required by the site);
    ``drivers``: (CI_ID, display name, source path).
    """
    image_nodes = []
    for info in images:
        node = Node(
            NodeKind.IMAGE, f"{info.index}: {info.name or '(no name)'}", icon="image",
            tooltip=getattr(info, "description", "") or "",
            columns={
                "arch": info.architecture or "", "os": info.os_version or "",
                "language": info.default_language or "", "size": size_in("KiloBytes", info.total_bytes),
                "id": f"index {info.index}",
            },
            children_loaded=True,
        )
        image_nodes.append(node)
    component_nodes = [
        Node(NodeKind.COMPONENT, name, icon="optional-component", columns={"id": str(cid), "comment": label},
             tooltip=label, children_loaded=True)
        for cid, name, label in components
    ]
    driver_nodes = [
        Node(NodeKind.DRIVER, name, icon="driver", columns={"id": str(ci_id), "comment": path}, tooltip=path, children_loaded=True)
        for ci_id, name, path in drivers
    ]
    return [
        group("Images", "image", image_nodes),
        group("Optional components", "optional-component", component_nodes),
        group("Drivers", "driver", driver_nodes),
    ]
