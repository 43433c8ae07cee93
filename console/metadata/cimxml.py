"""Load CIM-XML (DMTF DSP0201) class definitions into ``console.core.classdef`` objects.

Supports ``CLASS`` with ``QUALIFIER``, ``PROPERTY``, ``PROPERTY.ARRAY``, ``METHOD``,
``PARAMETER`` and ``PARAMETER.ARRAY``; embedded instances via the ``EmbeddedInstance``
qualifier (or WMI's ``CIMTYPE`` = ``object:Class``). Inheritance is resolved, overriding
declarations merge their qualifiers over the inherited ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from console.core.classdef import (
    CIM_TYPES,
    INTEGER_RANGES,
    ClassDef,
    ClassRegistry,
    MethodDef,
    ParameterDef,
    PropertyDef,
    Qualifiers,
    QualifierValue,
)
from console.core.errors import MetadataError
from console.core.values import parse_cim_datetime
from console.metadata.safe_xml import parse_root


@dataclass(frozen=True)
class _RawClass:
    name: str
    superclass: str | None
    qualifiers: Qualifiers
    properties: tuple[PropertyDef, ...]
    methods: tuple[MethodDef, ...]
    source: str
    line: int | None


def load_classes(directory: Path | str, extra_files: Iterable[Path] = ()) -> ClassRegistry:
    """Load every ``*.xml`` in ``directory`` and resolve inheritance."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MetadataError(f"class definition folder {directory} does not exist")
    raw: dict[str, _RawClass] = {}
    for path in [*sorted(directory.glob("*.xml")), *extra_files]:
        for cls in parse_file(path):
            if cls.name.lower() in {k.lower() for k in raw}:
                raise MetadataError(f"class {cls.name} is defined twice", file=str(path), line=cls.line)
            raw[cls.name] = cls
    return ClassRegistry(_resolve_all(raw))


def parse_file(path: Path) -> list[_RawClass]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MetadataError(f"cannot read class definition: {exc.strerror}", file=str(path)) from None
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, source: str = "<memory>") -> list[_RawClass]:
    root = parse_root(data, source)
    if root.tag == "CLASS":
        elements = [root]
    else:
        elements = list(root.iter("CLASS"))
    if not elements:
        raise MetadataError("no CLASS element found (expected CIM-XML, DSP0201)", file=source, line=root.sourceline)
    return [_parse_class(el, source) for el in elements]


def _fail(message: str, source: str, element: Any) -> MetadataError:
    return MetadataError(message, file=source, line=getattr(element, "sourceline", None))


def _name(element: Any, source: str) -> str:
    name = (element.get("NAME") or "").strip()
    if not name:
        raise _fail(f"{element.tag} element has no NAME attribute", source, element)
    return name


def _parse_class(el: Any, source: str) -> _RawClass:
    name = _name(el, source)
    quals = _qualifiers(el, source)
    props: list[PropertyDef] = []
    methods: list[MethodDef] = []
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if child.tag in ("PROPERTY", "PROPERTY.ARRAY"):
            props.append(_parse_property(child, name, source))
        elif child.tag == "METHOD":
            methods.append(_parse_method(child, name, source))
        elif child.tag in ("QUALIFIER", "PROPERTY.REFERENCE"):
            continue
        else:
            raise _fail(f"unexpected element <{child.tag}> in CLASS {name}", source, child)
    seen: set[str] = set()
    for prop in props:
        if prop.name.lower() in seen:
            raise _fail(f"property {prop.name} is declared twice in {name}", source, el)
        seen.add(prop.name.lower())
    return _RawClass(name, el.get("SUPERCLASS") or None, quals, tuple(props), tuple(methods), source, el.sourceline)


def _qualifiers(el: Any, source: str) -> Qualifiers:
    items: dict[str, QualifierValue] = {}
    for q in el.findall("QUALIFIER"):
        qname = _name(q, source)
        qtype = (q.get("TYPE") or "string").lower()
        if qtype not in CIM_TYPES:
            raise _fail(f"qualifier {qname} has unknown TYPE {qtype!r}", source, q)
        array = q.find("VALUE.ARRAY")
        if array is not None:
            values = [_convert_qualifier(v.text or "", qtype, qname, source, v) for v in array.findall("VALUE")]
            if qtype in INTEGER_RANGES:
                items[qname] = tuple(int(v) for v in values)
            else:
                items[qname] = tuple(str(v) for v in values)
            continue
        value = q.find("VALUE")
        items[qname] = _convert_qualifier(value.text or "" if value is not None else "true", qtype, qname, source, q)
    return Qualifiers(items)


def _convert_qualifier(text: str, qtype: str, qname: str, source: str, el: Any) -> bool | int | str:
    if qtype == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise _fail(f"qualifier {qname}: {text!r} is not true or false", source, el)
        return lowered == "true"
    if qtype in INTEGER_RANGES:
        try:
            return int(text.strip(), 0)
        except ValueError:
            raise _fail(f"qualifier {qname}: {text!r} is not a {qtype}", source, el) from None
    return text


def _type_of(el: Any, quals: Qualifiers, source: str) -> tuple[str, str | None]:
    cim_type = (el.get("TYPE") or "").lower()
    embedded = quals.text("EmbeddedInstance") or None
    cimtype_q = quals.text("CIMTYPE")
    if cimtype_q.lower().startswith("object:"):
        embedded = cimtype_q.split(":", 1)[1]
        cim_type = "string"
    if not cim_type:
        raise _fail(f"{el.tag} {el.get('NAME')} has no TYPE attribute", source, el)
    if cim_type not in CIM_TYPES:
        raise _fail(f"{el.tag} {el.get('NAME')} has unknown TYPE {cim_type!r}", source, el)
    if el.get("EmbeddedObject") and not embedded:
        raise _fail(
            f"{el.get('NAME')} is an embedded object but names no class (EmbeddedInstance qualifier)",
            source, el,
        )
    return cim_type, embedded


def _parse_property(el: Any, class_name: str, source: str) -> PropertyDef:
    name = _name(el, source)
    quals = _qualifiers(el, source)
    cim_type, embedded = _type_of(el, quals, source)
    is_array = el.tag == "PROPERTY.ARRAY"
    default = _default(el, cim_type, is_array, embedded, name, source)
    return PropertyDef(
        name=name,
        cim_type=cim_type,
        is_array=is_array,
        qualifiers=quals,
        default=default,
        class_origin=el.get("CLASSORIGIN") or class_name,
        embedded_class=embedded,
        source=f"{source}:{el.sourceline}",
    )


def _default(el: Any, cim_type: str, is_array: bool, embedded: str | None, name: str, source: str) -> Any:
    if embedded:
        return () if is_array else None
    if is_array:
        array = el.find("VALUE.ARRAY")
        if array is None:
            return None
        items = [_scalar_default(v.text or "", cim_type, name, source, v) for v in array.findall("VALUE")]
        if cim_type == "uint8":
            return bytes(items)
        return tuple(items)
    value = el.find("VALUE")
    if value is None:
        return None
    return _scalar_default(value.text or "", cim_type, name, source, value)


def _scalar_default(text: str, cim_type: str, name: str, source: str, el: Any) -> Any:
    try:
        if cim_type == "boolean":
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError(f"{text!r} is not true or false")
            return lowered == "true"
        if cim_type in INTEGER_RANGES:
            number = int(text.strip(), 0)
            low, high = INTEGER_RANGES[cim_type]
            if not low <= number <= high:
                raise ValueError(f"{number} is outside the {cim_type} range")
            return number
        if cim_type == "datetime":
            return parse_cim_datetime(text) if text.strip() else None
        if cim_type in ("real32", "real64"):
            return float(text)
    except ValueError as exc:
        raise _fail(f"default value of {name}: {exc}", source, el) from None
    return text


def _parse_method(el: Any, class_name: str, source: str) -> MethodDef:
    name = _name(el, source)
    quals = _qualifiers(el, source)
    params = []
    for child in el:
        if not isinstance(child.tag, str) or child.tag == "QUALIFIER":
            continue
        if child.tag not in ("PARAMETER", "PARAMETER.ARRAY", "PARAMETER.REFERENCE", "PARAMETER.REFARRAY"):
            raise _fail(f"unexpected element <{child.tag}> in METHOD {name}", source, child)
        pquals = _qualifiers(child, source)
        ptype, embedded = _type_of(child, pquals, source) if child.get("TYPE") else ("string", None)
        if not (pquals.flag("In") or pquals.flag("Out")):
            raise _fail(f"parameter {child.get('NAME')} of {name} is neither In nor Out", source, child)
        params.append(
            ParameterDef(_name(child, source), ptype, child.tag.endswith(".ARRAY"), pquals, embedded)
        )
    return MethodDef(name, (el.get("TYPE") or "sint32").lower(), tuple(params), quals, class_name)


def _resolve_all(raw: dict[str, _RawClass]) -> dict[str, ClassDef]:
    resolved: dict[str, ClassDef] = {}
    lower = {name.lower(): name for name in raw}

    def resolve(name: str, chain: tuple[str, ...]) -> ClassDef:
        if name in resolved:
            return resolved[name]
        cls = raw[name]
        if name in chain:
            raise MetadataError(f"class {name} inherits from itself ({' -> '.join((*chain, name))})", file=cls.source, line=cls.line)
        props: dict[str, PropertyDef] = {}
        methods: dict[str, MethodDef] = {}
        if cls.superclass:
            parent_name = lower.get(cls.superclass.lower())
            if parent_name is None:
                raise MetadataError(f"class {name} derives from unknown class {cls.superclass}", file=cls.source, line=cls.line)
            parent = resolve(parent_name, (*chain, name))
            props.update(parent.properties)
            methods.update(parent.methods)
        for prop in cls.properties:
            inherited = props.get(prop.name)
            if inherited is not None:
                if (inherited.cim_type, inherited.is_array) != (prop.cim_type, prop.is_array):
                    raise MetadataError(
                        f"{name}.{prop.name} overrides {inherited.class_origin}.{prop.name} with another type",
                        file=cls.source, line=int(prop.source.rsplit(":", 1)[1] or 0) or None,
                    )
                prop = replace(
                    prop,
                    qualifiers=inherited.qualifiers.merged(prop.qualifiers),
                    default=prop.default if prop.default is not None else inherited.default,
                    class_origin=inherited.class_origin,
                )
            props[prop.name] = prop
        for method in cls.methods:
            methods[method.name] = method
        for embedded in {p.embedded_class for p in props.values() if p.embedded_class}:
            if embedded and embedded.lower() not in lower:
                raise MetadataError(f"{name} embeds unknown class {embedded}", file=cls.source, line=cls.line)
        ordered = dict(sorted(props.items(), key=lambda item: item[0].lower()))
        result = ClassDef(cls.name, cls.superclass, cls.qualifiers, ordered, dict(sorted(methods.items())), cls.source)
        resolved[name] = result
        return result

    for class_name in raw:
        resolve(class_name, ())
    return resolved
