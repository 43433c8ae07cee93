"""Read property sheet layouts (``resources/propertysheets/<Class>.xml``) with lxml.

Every property a layout names is checked against the class metadata, so a typo or a
property removed from the CIM-XML is reported with the file and line instead of
silently showing an empty tab. The result is the immutable ``console.core.sheet_layout``
model; nothing here knows Qt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.core.classdef import ClassDef, ClassRegistry, PropertyDef
from console.core.errors import MetadataError, ValidationError
from console.core.local_paths import share_example
from console.core.sheet_layout import (
    Binding,
    CheckItem,
    ChoiceLabel,
    FieldItem,
    GroupItem,
    LayoutItem,
    NoteItem,
    PanelItem,
    PanelKind,
    PropertyRef,
    RadioGroupItem,
    RadioOption,
    SheetLayout,
    TabLayout,
    empty_value,
)
from console.core.values import ValueCoercer
from console.metadata.safe_xml import parse_root

_BINDING_ATTRIBUTES = ("property", "on", "off", "presence", "invert")
_ATTRIBUTES: dict[str, frozenset[str]] = {
    "propertysheet": frozenset({"class", "title"}),
    "tab": frozenset({"id", "title", "help"}),
    "group": frozenset({"title", "help"}),
    "field": frozenset({"property", "label", "help", "lines", "placeholder", "share-placeholder", "read-only"}),
    "choice": frozenset({"value", "label"}),
    "check": frozenset({*_BINDING_ATTRIBUTES, "label", "help"}),
    "radio-group": frozenset({"label", "help"}),
    "option": frozenset({*_BINDING_ATTRIBUTES, "label", "help", "unsupported"}),
    "note": frozenset(),
    "panel": frozenset({"kind"}),
}
_CONTENT = ("group", "field", "check", "radio-group", "note", "panel")


def _placeholder(el: Any) -> str:
    """``placeholder``, or ``share-placeholder="prestart"``: a path on a file share as this machine
    opens it (``\\\\server\\share\\prestart`` on Windows, ``/mnt/share/prestart`` elsewhere)."""
    share = el.get("share-placeholder")
    return share_example(share) if share else el.get("placeholder") or ""


def layout_path(directory: Path | str, class_name: str) -> Path:
    return Path(directory) / f"{class_name}.xml"


def find_sheet_layout(directory: Path | str, class_name: str, registry: ClassRegistry) -> SheetLayout | None:
    """The layout of ``class_name`` in ``directory``, or ``None`` when it has no layout file."""
    path = layout_path(directory, class_name)
    return load_sheet_layout(path, registry) if path.is_file() else None


def load_sheet_layout(path: Path | str, registry: ClassRegistry) -> SheetLayout:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MetadataError(f"cannot read property sheet layout: {exc.strerror}", file=str(path)) from None
    return parse_sheet_layout(data, registry, str(path))


def parse_sheet_layout(data: bytes, registry: ClassRegistry, source: str = "<memory>") -> SheetLayout:
    return _LayoutReader(registry, source).sheet(parse_root(data, source))


class _LayoutReader:
    def __init__(self, registry: ClassRegistry, source: str) -> None:
        self._registry = registry
        self._coercer = ValueCoercer(registry)
        self._source = source
        self._cls: ClassDef | None = None

    def fail(self, message: str, element: Any) -> MetadataError:
        return MetadataError(message, file=self._source, line=getattr(element, "sourceline", None))

    # -- structure -------------------------------------------------------------------------

    def sheet(self, root: Any) -> SheetLayout:
        if root.tag != "propertysheet":
            raise self.fail(f"expected a <propertysheet> root element, found <{root.tag}>", root)
        self._check_attributes(root)
        class_name = self._required(root, "class")
        if class_name not in self._registry:
            raise self.fail(f"layout for unknown class {class_name!r}", root)
        self._cls = self._registry[class_name]
        tabs: list[TabLayout] = []
        seen: set[str] = set()
        for child in self._elements(root):
            if child.tag != "tab":
                raise self.fail(f"unexpected <{child.tag}> in <propertysheet>; only <tab> belongs here", child)
            tab = self.tab(child)
            if tab.key in seen:
                raise self.fail(f"tab id {tab.key!r} is used twice", child)
            seen.add(tab.key)
            tabs.append(tab)
        return SheetLayout(self._cls.name, tuple(tabs), root.get("title") or "{Name} Properties", self._source)

    def tab(self, el: Any) -> TabLayout:
        self._check_attributes(el)
        return TabLayout(
            self._required(el, "id"), self._required(el, "title"), self.items(el), el.get("help") or "", el.sourceline
        )

    def items(self, parent: Any) -> tuple[LayoutItem, ...]:
        return tuple(self.item(child) for child in self._elements(parent))

    def item(self, el: Any) -> LayoutItem:
        if el.tag not in _CONTENT:
            raise self.fail(f"unexpected <{el.tag}>; expected one of {', '.join(_CONTENT)}", el)
        self._check_attributes(el)
        if el.tag == "group":
            return GroupItem(el.get("title") or "", self.items(el), el.get("help") or "", el.sourceline)
        if el.tag == "field":
            return self.field(el)
        if el.tag == "check":
            binding = self.binding(el)
            if binding is None:
                raise self.fail("<check> needs a property attribute", el)
            return CheckItem(binding, self._required(el, "label"), el.get("help") or "", self.items(el), el.sourceline)
        if el.tag == "radio-group":
            return self.radio_group(el)
        if el.tag == "note":
            text = " ".join((el.text or "").split())
            if not text:
                raise self.fail("<note> has no text", el)
            return NoteItem(text, el.sourceline)
        kind = self._required(el, "kind")
        try:
            return PanelItem(PanelKind(kind), el.sourceline)
        except ValueError:
            known = ", ".join(k.value for k in PanelKind)
            raise self.fail(f"unknown panel kind {kind!r}; known: {known}", el) from None

    def field(self, el: Any) -> FieldItem:
        ref = PropertyRef.parse(self._required(el, "property"))
        if ref.bit:
            raise self.fail(f"<field> edits a whole property; use <check property=\"{ref}\"> for one bit", el)
        prop = self.property(ref.name, el)
        choices = []
        for child in self._elements(el):
            if child.tag != "choice":
                raise self.fail(f"unexpected <{child.tag}> in <field>; only <choice> belongs here", child)
            self._check_attributes(child)
            value = self._required(child, "value")
            if value not in {c.value for c in prop.choices}:
                raise self.fail(f"{prop.name} has no value {value!r} in its ValueMap", child)
            choices.append(ChoiceLabel(value, self._required(child, "label")))
        lines = el.get("lines") or "0"
        if not lines.isdigit():
            raise self.fail(f"lines must be a whole number, not {lines!r}", el)
        return FieldItem(
            prop.name,
            el.get("label") or "",
            el.get("help") or "",
            int(lines),
            _placeholder(el),
            el.get("read-only") or "",
            tuple(choices),
            el.sourceline,
        )

    def radio_group(self, el: Any) -> RadioGroupItem:
        options = []
        for child in self._elements(el):
            if child.tag != "option":
                raise self.fail(f"unexpected <{child.tag}> in <radio-group>; only <option> belongs here", child)
            self._check_attributes(child)
            unsupported = child.get("unsupported") or ""
            binding = self.binding(child)
            if binding is None and not unsupported:
                raise self.fail("<option> needs a property attribute (or unsupported=\"reason\")", child)
            options.append(
                RadioOption(self._required(child, "label"), binding, child.get("help") or "", unsupported,
                            self.items(child), child.sourceline)
            )
        if len(options) < 2:
            raise self.fail("<radio-group> needs at least two <option> elements", el)
        return RadioGroupItem(el.get("label") or "", tuple(options), el.get("help") or "", el.sourceline)

    # -- properties ------------------------------------------------------------------------

    def property(self, name: str, el: Any) -> PropertyDef:
        assert self._cls is not None
        prop = self._cls.property(name)
        if prop is None:
            raise self.fail(f"{self._cls.name} has no property {name!r}", el)
        return prop

    def binding(self, el: Any) -> Binding | None:
        text = el.get("property")
        if text is None:
            for attribute in ("on", "off", "presence", "invert"):
                if el.get(attribute) is not None:
                    raise self.fail(f"{attribute}= needs a property attribute", el)
            return None
        ref = PropertyRef.parse(text)
        prop = self.property(ref.name, el)
        ref = PropertyRef(prop.name, ref.bit)
        invert = self._flag(el, "invert")
        presence = self._flag(el, "presence")
        on, off = el.get("on"), el.get("off")
        if ref.bit is not None:
            flag = next((f for f in prop.bit_flags if f.name.lower() == ref.bit.lower()), None)
            if not prop.is_bits or flag is None:
                known = ", ".join(f.name for f in prop.bit_flags) or "none"
                raise self.fail(f"{prop.name} has no bit named {ref.bit!r} (documented bits: {known})", el)
            if on is not None or off is not None or presence:
                raise self.fail("a bit binding takes no on=, off= or presence=", el)
            return Binding(PropertyRef(prop.name, flag.name), mask=flag.mask, invert=invert)
        if on is not None:
            if presence:
                raise self.fail("use either on= or presence=, not both", el)
            return Binding(ref, on=self._value(prop, on, el), off=self._value(prop, off, el), invert=invert)
        if off is not None:
            raise self.fail("off= needs on=", el)
        if presence:
            return Binding(ref, presence=True, invert=invert, empty=empty_value(prop))
        if prop.cim_type != "boolean" or prop.is_array:
            raise self.fail(
                f"{prop.name} is {prop.display_type}, not Boolean: bind a check box to one of its bits "
                f"({prop.name}:BIT), to values (on=, off=) or to its presence (presence=\"true\")", el,
            )
        return Binding(ref, invert=invert)

    def _value(self, prop: PropertyDef, text: str | None, el: Any) -> Any:
        if text is None:
            return None
        try:
            value = self._coercer.coerce(prop, text)
        except ValidationError as exc:
            raise self.fail(exc.message, el) from None
        if prop.choices and str(value) not in {c.value for c in prop.choices}:
            raise self.fail(f"{prop.name} has no value {text!r} in its ValueMap", el)
        return value

    # -- helpers ---------------------------------------------------------------------------

    def _elements(self, parent: Any) -> list[Any]:
        return [child for child in parent if isinstance(child.tag, str)]

    def _check_attributes(self, el: Any) -> None:
        allowed = _ATTRIBUTES[el.tag]
        for name in el.attrib:
            if name not in allowed:
                expected = ", ".join(sorted(allowed)) or "none"
                raise self.fail(f"<{el.tag}> has no attribute {name!r} (allowed: {expected})", el)

    def _required(self, el: Any, name: str) -> str:
        value = (el.get(name) or "").strip()
        if not value:
            raise self.fail(f"<{el.tag}> needs a {name} attribute", el)
        return value

    def _flag(self, el: Any, name: str) -> bool:
        value = (el.get(name) or "false").strip().lower()
        if value not in ("true", "false"):
            raise self.fail(f"{name} must be true or false, not {value!r}", el)
        return value == "true"
