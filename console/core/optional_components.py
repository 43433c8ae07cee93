"""Windows PE optional components: ids per architecture and their prerequisites."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from console.core.errors import Problem, ValidationError

#: Architectures with Configuration Manager optional-component ids, and their id offset.
ARCH_OFFSETS = {"x86": 0, "x64": 26}


@dataclass(frozen=True)
class OptionalComponent:
    """One component, architecture-neutral (``base_id`` is the x86 id 1-26)."""

    base_id: int
    name: str
    purpose: str = ""
    cab: str = ""
    requires: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    config_mgr_required: bool = False
    has_languages: bool = False


@dataclass(frozen=True)
class ComponentChoice:
    """A component as offered for one architecture."""

    id: int
    architecture: str
    component: OptionalComponent

    @property
    def name(self) -> str:
        return self.component.name


@dataclass(frozen=True)
class Resolution:
    """Result of resolving a selection: the full list and what was added, and why."""

    component_ids: tuple[int, ...]
    added: tuple[tuple[int, str], ...]  # (id, reason)

    def added_names(self, catalog: OptionalComponentCatalog) -> list[str]:
        return [catalog.by_id(i).name for i, _ in self.added]


class OptionalComponentCatalog:
    def __init__(self, components: Iterable[OptionalComponent], x64_offset: int = 26) -> None:
        self._components = {c.base_id: c for c in components}
        self._offset = x64_offset
        self._by_name: dict[str, OptionalComponent] = {}
        for comp in self._components.values():
            self._by_name[comp.name.lower()] = comp
            for alias in comp.aliases:
                self._by_name[alias.lower()] = comp

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._components.values(), key=lambda c: c.base_id))

    def architectures(self) -> tuple[str, ...]:
        return tuple(ARCH_OFFSETS)

    def offset(self, architecture: str) -> int:
        try:
            return ARCH_OFFSETS[architecture]
        except KeyError:
            raise ValidationError.single(
                "OptionalComponents",
                "optional components have Configuration Manager ids only for x86 and x64 boot "
                + (f"images; this image is {architecture}" if architecture else
                   "images; this package's architecture is not known yet (reload its image properties first)"),
            ) from None

    def choices(self, architecture: str) -> list[ComponentChoice]:
        offset = self.offset(architecture)
        return [ComponentChoice(c.base_id + offset, architecture, c) for c in self]

    def by_id(self, component_id: int) -> OptionalComponent:
        base = component_id - self._offset if component_id > self._offset else component_id
        comp = self._components.get(base)
        if comp is None:
            raise KeyError(component_id)
        return comp

    def architecture_of(self, component_id: int) -> str:
        return "x64" if component_id > self._offset else "x86"

    def id_for(self, name_or_id: str | int, architecture: str) -> int:
        """Resolve ``WinPE-PowerShell``, ``WinPE-PowerShell3`` or ``41`` for an architecture."""
        offset = self.offset(architecture)
        if isinstance(name_or_id, int) or str(name_or_id).strip().isdigit():
            number = int(name_or_id)
            self.check_ids([number], architecture)
            return number
        comp = self._by_name.get(str(name_or_id).strip().lower())
        if comp is None:
            names = ", ".join(c.name for c in self)
            raise ValidationError.single(
                "OptionalComponents", f"unknown optional component {name_or_id!r}; known: {names}"
            )
        return comp.base_id + offset

    def check_ids(self, ids: Sequence[int], architecture: str) -> None:
        offset = self.offset(architecture)
        low, high = offset + 1, offset + 26
        problems = []
        for cid in ids:
            base = cid - offset
            if not low <= cid <= high or base not in self._components:
                other = "x64" if architecture == "x86" else "x86"
                hint = (
                    f" ({cid} is an {other} id)"
                    if 1 <= cid <= 52 and (cid - ARCH_OFFSETS[other]) in self._components
                    else ""
                )
                problems.append(
                    Problem(
                        "OptionalComponents",
                        f"optional component id {cid} is not valid for an {architecture} boot image: "
                        f"use {low}-{high} except {offset + 23}{hint}",
                    )
                )
        if problems:
            raise ValidationError(problems)

    def resolve(self, ids: Sequence[int], architecture: str) -> Resolution:
        """Add missing prerequisites (in install order) and say which component needed them."""
        self.check_ids(ids, architecture)
        offset = self.offset(architecture)
        result: list[int] = []
        added: list[tuple[int, str]] = []
        requested = list(dict.fromkeys(ids))

        def visit(cid: int, needed_by: str | None) -> None:
            comp = self.by_id(cid)
            for req_name in comp.requires:
                req = self._by_name[req_name.lower()].base_id + offset
                visit(req, comp.name)
            if cid not in result:
                result.append(cid)
                if cid not in requested and needed_by:
                    added.append((cid, f"required by {needed_by}"))

        for cid in requested:
            visit(cid, None)
        return Resolution(tuple(result), tuple(added))

    def missing_prerequisites(self, ids: Sequence[int], architecture: str) -> list[str]:
        offset = self.offset(architecture)
        present = set(ids)
        messages = []
        for cid in ids:
            comp = self.by_id(cid)
            missing = [r for r in comp.requires if self._by_name[r.lower()].base_id + offset not in present]
            if missing:
                messages.append(f"{comp.name} needs {', '.join(missing)}")
        return messages

    def dependents(self, component_id: int, selected: Sequence[int]) -> list[int]:
        """Selected components that need ``component_id`` (directly or not)."""
        target = self.by_id(component_id).name.lower()
        arch = self.architecture_of(component_id)
        offset = ARCH_OFFSETS[arch]
        result = []
        for cid in selected:
            if cid == component_id:
                continue
            if target in {r.lower() for r in self._closure_names(self.by_id(cid))}:
                result.append(cid)
        return [c for c in result if c - offset in self._components]

    def closure(self, comp: OptionalComponent) -> list[str]:
        """Names of every component ``comp`` needs, directly or not."""
        return self._closure_names(comp)

    def _closure_names(self, comp: OptionalComponent) -> list[str]:
        names: list[str] = []
        for req in comp.requires:
            names.append(req)
            names.extend(self._closure_names(self._by_name[req.lower()]))
        return names

    def required_by_config_mgr(self, architecture: str) -> list[int]:
        offset = self.offset(architecture)
        return [c.base_id + offset for c in self if c.config_mgr_required]


#: How each group is named wherever a package's components are shown (GUI, CLI, JSON keys).
CHOSEN = "Chosen"
PREREQUISITE = "Prerequisite"
SITE_REQUIRED = "Required by the site"


@dataclass(frozen=True)
class ComponentGroups:
    """One package's optional components in the three groups every view shows the same way.

    ``chosen``: what the administrator picked; ``prerequisites``: components that a chosen one
    needs (``needed_by`` names which); ``site_required``: what every boot image of this site
    contains (Scripting, WMI, WDS-Tools, SecureStartup), stored or not. Unknown ids are chosen."""

    chosen: tuple[int, ...] = ()
    prerequisites: tuple[int, ...] = ()
    site_required: tuple[int, ...] = ()
    needed_by: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def all_ids(self) -> tuple[int, ...]:
        return self.chosen + self.prerequisites + self.site_required

    def group_of(self, component_id: int) -> str:
        if component_id in self.site_required:
            return SITE_REQUIRED
        return PREREQUISITE if component_id in self.prerequisites else CHOSEN

    def label(self, component_id: int) -> str:
        """``Chosen``, ``Prerequisite of WinPE-PowerShell`` or ``Required by the site``."""
        group = self.group_of(component_id)
        if group == PREREQUISITE:
            needers = dict(self.needed_by).get(component_id, ())
            return f"{PREREQUISITE} of {', '.join(needers)}" if needers else PREREQUISITE
        return group


def component_groups(catalog: OptionalComponentCatalog, ids: Sequence[int], architecture: str) -> ComponentGroups:
    """The one rule for showing a package's stored ``OptionalComponents``."""
    listed = list(dict.fromkeys(int(i) for i in ids))
    try:
        site = catalog.required_by_config_mgr(architecture)
    except ValidationError:  # architecture not known: nothing can be said about the site's set
        site = []
    others = [i for i in listed if i not in site]
    needed: dict[int, list[str]] = {}
    for cid in others:
        try:
            comp = catalog.by_id(cid)
        except KeyError:
            continue
        for req in catalog.closure(comp):
            for other in others:
                try:
                    if other != cid and catalog.by_id(other).name.lower() == req.lower():
                        needed.setdefault(other, []).append(comp.name)
                except KeyError:
                    continue
    return ComponentGroups(
        chosen=tuple(i for i in others if i not in needed),
        prerequisites=tuple(i for i in others if i in needed),
        site_required=tuple(site),
        needed_by=tuple((i, tuple(dict.fromkeys(n))) for i, n in needed.items()),
    )


def component_name(catalog: OptionalComponentCatalog, component_id: int) -> str:
    try:
        return catalog.by_id(component_id).name
    except KeyError:
        return f"Unknown component {component_id}"
