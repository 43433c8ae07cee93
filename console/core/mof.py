"""Render class metadata as MOF text (what `mofcomp` reads and the SDK pages print)."""

from __future__ import annotations

from typing import Any

from console.core.classdef import ClassDef, MethodDef, PropertyDef, Qualifiers

_BOOLEAN_DEFAULT_TRUE = {"read", "write", "key", "lazy", "large", "bits", "not_null", "abstract", "secured",
                         "embedded", "in", "out", "static", "realworld", "override"}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (tuple, list)):
        return "{" + ", ".join(_literal(v) for v in value) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _qualifiers(quals: Qualifiers, skip: tuple[str, ...] = ()) -> str:
    parts = []
    for name, value in quals.items():
        if name.lower() in skip:
            continue
        if value is True and name.lower() in _BOOLEAN_DEFAULT_TRUE:
            parts.append(name)
        elif isinstance(value, (tuple, list)):
            parts.append(f"{name}{_literal(value)}")
        else:
            parts.append(f"{name}({_literal(value)})")
    return "[" + ", ".join(parts) + "]" if parts else ""


def _property(prop: PropertyDef) -> str:
    quals = _qualifiers(prop.qualifiers)
    head = f"    {quals}\n" if quals else ""
    array = "[]" if prop.is_array else ""
    default = ""
    if prop.default not in (None, (), b"") and not prop.is_embedded and prop.cim_type != "datetime":
        default = f" = {_literal(list(prop.default) if isinstance(prop.default, bytes) else prop.default)}"
    return f"{head}    {prop.type_name} {prop.name}{array}{default};"


def _method(method: MethodDef) -> str:
    quals = _qualifiers(method.qualifiers)
    head = f"    {quals}\n" if quals else ""
    params = []
    for p in method.parameters:
        pq = _qualifiers(p.qualifiers, skip=("description",))
        params.append(f"{pq + ' ' if pq else ''}{p.type_name} {p.name}{'[]' if p.is_array else ''}")
    ret = {"sint32": "SInt32", "uint32": "UInt32"}.get(method.return_type, method.return_type)
    return f"{head}    {ret} {method.name}({', '.join(params)});"


def render_mof(cls: ClassDef, *, include_inherited: bool = True) -> str:
    quals = _qualifiers(cls.qualifiers)
    sup = f" : {cls.superclass}" if cls.superclass else ""
    lines = [quals] if quals else []
    lines.append(f"class {cls.name}{sup}")
    lines.append("{")
    for prop in cls.properties.values():
        if include_inherited or prop.class_origin == cls.name:
            lines.append(_property(prop))
            lines.append("")
    for method in cls.methods.values():
        if include_inherited or method.class_origin == cls.name:
            lines.append(_method(method))
            lines.append("")
    if lines[-1] == "":
        lines.pop()
    lines.append("};")
    return "\n".join(lines) + "\n"
