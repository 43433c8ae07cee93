"""Property sheet layouts: which tabs a Properties dialog shows and what each tab edits.

A layout is presentation only. It names properties of a class (``Name``) or single bits
of a bit field (``PkgFlags:PERSIST_IN_CACHE``) and gives them labels and help; the class
metadata still decides the editor, the type, the range and whether a value may be
written. ``console.metadata.propertysheet_layout`` reads layouts from
``resources/propertysheets/<Class>.xml``; classes without a layout file get
``default_layout`` (a General tab with every writable scalar property).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from console.core.classdef import ClassDef, PropertyDef


class PanelKind(Enum):
    """Tab contents that are more than a list of fields (they need services)."""

    IMAGES = "images"
    DRIVERS = "drivers"
    OPTIONAL_COMPONENTS = "optional-components"
    REVISIONS = "revisions"
    CONTENT_LOCATIONS = "content-locations"


#: Properties each panel shows and edits (service errors about them belong to its tab).
PANEL_PROPERTIES: dict[PanelKind, tuple[str, ...]] = {
    PanelKind.IMAGES: ("ImageProperty",),
    PanelKind.DRIVERS: ("ReferencedDrivers",),
    PanelKind.OPTIONAL_COMPONENTS: ("OptionalComponents",),
    PanelKind.REVISIONS: (),  # the content library's revisions, not property values
    PanelKind.CONTENT_LOCATIONS: (),  # the package's (package, DP) rows, not property values
}


@dataclass(frozen=True)
class PropertyRef:
    """A property, or one named bit of a ``bits`` property (``PkgFlags:PERSIST_IN_CACHE``)."""

    name: str
    bit: str | None = None

    @classmethod
    def parse(cls, text: str) -> PropertyRef:
        name, sep, bit = text.strip().partition(":")
        return cls(name.strip(), bit.strip() if sep else None)

    def __str__(self) -> str:
        return f"{self.name}:{self.bit}" if self.bit else self.name


def empty_value(prop: PropertyDef) -> Any:
    """The value a property has when "nothing is set": ``""``, ``()``, ``0`` or ``None``."""
    if prop.is_array:
        return None if prop.cim_type == "uint8" and not prop.is_embedded else ()
    if prop.cim_type == "string":
        return ""
    if prop.cim_type == "boolean":
        return False
    if prop.integer_range is not None:
        return 0
    return None


@dataclass(frozen=True)
class Binding:
    """How a check box or a radio option maps onto a property value.

    Exactly one mode applies: a bit (``mask``), a value (``on``, written when checked, and
    ``off``, written when cleared), presence (checked while the property is not empty;
    clearing empties it) or a Boolean property. ``invert`` flips the meaning.
    """

    ref: PropertyRef
    mask: int | None = None
    on: Any = None
    off: Any = None
    presence: bool = False
    invert: bool = False
    empty: Any = None

    @property
    def property(self) -> str:
        return self.ref.name

    def is_on(self, value: Any) -> bool:
        if self.mask is not None:
            state = bool((value or 0) & self.mask)
        elif self.on is not None:
            state = value == self.on
        else:
            state = bool(value)
        return state != self.invert

    def apply(self, value: Any, checked: bool) -> Any:
        """The property value after the user checks (``True``) or clears the control."""
        wanted = checked != self.invert
        if self.mask is not None:
            current = value or 0
            return current | self.mask if wanted else current & ~self.mask
        if self.on is not None:
            if wanted:
                return self.on
            return self.off if self.off is not None else value
        if self.presence:
            return value if wanted else self.empty
        return wanted


@dataclass(frozen=True)
class ChoiceLabel:
    """Display text for one ``ValueMap`` value (``1`` shown as ``High``)."""

    value: str
    label: str


@dataclass(frozen=True)
class FieldItem:
    """One property edited with the editor its metadata calls for."""

    property: str
    label: str = ""
    help: str = ""
    lines: int = 0
    placeholder: str = ""
    read_only: str = ""
    choices: tuple[ChoiceLabel, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class CheckItem:
    """A check box bound to a property; its children are enabled only while it is checked."""

    binding: Binding
    label: str
    help: str = ""
    children: tuple[LayoutItem, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class RadioOption:
    """One radio button; ``binding`` is ``None`` for an option the console cannot record."""

    label: str
    binding: Binding | None = None
    help: str = ""
    unsupported: str = ""
    children: tuple[LayoutItem, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class RadioGroupItem:
    """Mutually exclusive options; the first option whose binding holds is selected."""

    label: str
    options: tuple[RadioOption, ...]
    help: str = ""
    line: int | None = None


@dataclass(frozen=True)
class GroupItem:
    """A titled group box."""

    title: str
    children: tuple[LayoutItem, ...] = ()
    help: str = ""
    line: int | None = None


@dataclass(frozen=True)
class NoteItem:
    """Explanatory text shown on the tab."""

    text: str
    line: int | None = None


@dataclass(frozen=True)
class PanelItem:
    """A special part of a tab (image list, driver list, optional components)."""

    kind: PanelKind
    line: int | None = None


LayoutItem = FieldItem | CheckItem | RadioGroupItem | GroupItem | NoteItem | PanelItem


def iter_items(items: tuple[LayoutItem, ...]) -> Iterator[LayoutItem]:
    """Every item, depth first, including those nested in groups, checks and options."""
    for item in items:
        yield item
        if isinstance(item, (GroupItem, CheckItem)):
            yield from iter_items(item.children)
        elif isinstance(item, RadioGroupItem):
            for option in item.options:
                yield from iter_items(option.children)


def item_properties(item: LayoutItem) -> tuple[str, ...]:
    """Property names a single item (not its children) edits or shows."""
    if isinstance(item, FieldItem):
        return (item.property,)
    if isinstance(item, CheckItem):
        return (item.binding.property,)
    if isinstance(item, RadioGroupItem):
        return tuple(dict.fromkeys(o.binding.property for o in item.options if o.binding))
    if isinstance(item, PanelItem):
        return PANEL_PROPERTIES[item.kind]
    return ()


@dataclass(frozen=True)
class TabLayout:
    key: str
    title: str
    items: tuple[LayoutItem, ...] = ()
    help: str = ""
    line: int | None = None

    @property
    def properties(self) -> tuple[str, ...]:
        """Every property the tab shows, in layout order, each once."""
        names: dict[str, None] = {}
        for item in iter_items(self.items):
            names.update(dict.fromkeys(item_properties(item)))
        return tuple(names)

    @property
    def panels(self) -> tuple[PanelKind, ...]:
        return tuple(i.kind for i in iter_items(self.items) if isinstance(i, PanelItem))


@dataclass(frozen=True)
class SheetLayout:
    """The tabs of a class's property sheet, in order (All Properties is always added)."""

    class_name: str
    tabs: tuple[TabLayout, ...]
    title: str = "{Name} Properties"
    source: str = ""

    def tab_for(self, property_name: str) -> TabLayout | None:
        """The first tab showing ``property_name`` (case-insensitive)."""
        lowered = property_name.lower()
        for tab in self.tabs:
            if any(name.lower() == lowered for name in tab.properties):
                return tab
        return None

    def window_title(self, values: Mapping[str, Any]) -> str:
        """``title`` with ``{Property}`` placeholders filled from the object's values."""

        def fill(match: re.Match[str]) -> str:
            value = values.get(match.group(1))
            return str(value) if value not in (None, "") else match.group(1)

        return re.sub(r"\{(\w+)\}", fill, self.title)


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+")
_ACRONYMS = {"id", "gmt", "isv", "mif", "pxe", "os", "unc"}


def humanize(name: str) -> str:
    """``ForcedDisconnectDelay`` → ``Forced disconnect delay``; ``IsGMT`` → ``Is GMT``."""
    words = _WORD.findall(name) or [name]
    shown = []
    for index, word in enumerate(words):
        if word.lower() in _ACRONYMS or (word.isupper() and len(word) > 1):
            shown.append(word.upper())
        elif index == 0:
            shown.append(word[:1].upper() + word[1:])
        else:
            shown.append(word.lower())
    return " ".join(shown)


def is_form_scalar(prop: PropertyDef) -> bool:
    """A writable, single-valued property: what the generated General tab edits."""
    return not prop.is_array and not prop.is_embedded and not prop.is_read_only


def class_title(class_name: str) -> str:
    """``SMS_ST_RecurWeekly`` → ``Recur weekly``; ``SMS_ScheduleToken`` → ``Schedule token``."""
    return humanize(class_name.rsplit("_", 1)[-1])


def default_layout(cls: ClassDef) -> SheetLayout:
    """Layout for a class without a layout file: a General tab with every writable scalar.

    The class's own properties come first; inherited ones follow, grouped by the class
    that declares them (so a schedule type's own settings lead its form).
    """
    by_origin: dict[str, list[FieldItem]] = {}
    for prop in cls.properties.values():
        if is_form_scalar(prop):
            origin = prop.class_origin or cls.name
            by_origin.setdefault(origin, []).append(FieldItem(prop.name, label=humanize(prop.name) + ":"))
    origins = sorted(by_origin, key=lambda origin: origin != cls.name)
    items: tuple[LayoutItem, ...]
    if len(origins) == 1:
        items = (GroupItem("", tuple(by_origin[origins[0]])),)
    else:
        items = tuple(GroupItem(class_title(origin), tuple(by_origin[origin])) for origin in origins)
    tabs = (TabLayout("general", "General", items),) if by_origin else ()
    title = "{Name} Properties" if cls.property("Name") is not None else f"{cls.name} Properties"
    return SheetLayout(cls.name, tabs, title=title, source="<generated>")
