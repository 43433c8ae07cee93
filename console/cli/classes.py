"""``bootimage classes`` / ``bootimage class NAME``: the class metadata."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json, property_list, table


def register(sub: Any) -> None:
    lst = sub.add_parser("classes", help="list the classes the console knows")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_classes)
    one = sub.add_parser("class", help="show one class: properties, qualifiers, methods")
    one.add_argument("name")
    fmt = one.add_mutually_exclusive_group()
    fmt.add_argument("--mof", action="store_true", help="render as MOF text")
    fmt.add_argument("--json", action="store_true")
    one.add_argument("--own", action="store_true", help="with --mof: only what the class itself declares")
    one.set_defaults(func=cmd_class)


def _registry() -> Any:
    from console.app import load_registry

    return load_registry()


def cmd_classes(args: argparse.Namespace) -> None:
    registry = _registry()
    if args.json:
        emit_json([{"Name": c.name, "Superclass": c.superclass, "Properties": len(c.properties),
                    "Methods": len(c.methods), "Abstract": c.is_abstract} for c in registry.values()])
        return
    table(["Class", "Superclass", "Properties", "Methods", "Kind"],
          [(c.name, c.superclass or "", len(c.properties), len(c.methods),
            "abstract" if c.is_abstract else "embedded" if c.is_embedded else "") for c in registry.values()])


def class_json(cls: Any) -> dict[str, Any]:
    from console.core.values import ValueCoercer

    coercer = ValueCoercer(_registry())
    return {
        "Name": cls.name,
        "Superclass": cls.superclass,
        "Description": cls.description,
        "Qualifiers": {k: list(v) if isinstance(v, tuple) else v for k, v in cls.qualifiers.items()},
        "Properties": [
            {
                "Name": p.name, "Type": p.type_name, "IsArray": p.is_array, "Access": p.access_text(),
                "Lazy": p.is_lazy, "Large": p.is_large, "ClassOrigin": p.class_origin,
                "Default": coercer.to_json(p, p.default),
                "Qualifiers": {k: list(v) if isinstance(v, tuple) else v for k, v in p.qualifiers.items()},
            }
            for p in cls.properties.values()
        ],
        "Methods": [
            {"Name": m.name, "Static": m.is_static, "Description": m.description,
             "Parameters": [{"Name": x.name, "Type": x.type_name, "IsArray": x.is_array,
                             "In": x.is_in, "Out": x.is_out} for x in m.parameters]}
            for m in cls.methods.values()
        ],
    }


def cmd_class(args: argparse.Namespace) -> None:
    from console.core.errors import NotFoundError
    from console.core.mof import render_mof
    from console.core.values import format_value

    registry = _registry()
    if args.name not in registry:
        raise NotFoundError(f"no class named {args.name!r}; `bootimage classes` lists them")
    cls = registry[args.name]
    if args.mof:
        print(render_mof(cls, include_inherited=not args.own), end="")
        return
    if args.json:
        emit_json(class_json(cls))
        return
    property_list([("Class", cls.name), ("Superclass", cls.superclass or ""), ("Description", cls.description)])
    print()
    table(["Property", "Type", "Access", "Qualifiers", "Default"],
          [(p.name, p.display_type, p.access_text(), p.qualifier_summary(),
            format_value(p, p.default) if not p.is_embedded else "") for p in cls.properties.values()])
    if cls.methods:
        print()
        table(["Method", "Parameters"],
              [(m.name, ", ".join(f"[{'in' if x.is_in else ''}{'/' if x.is_in and x.is_out else ''}{'out' if x.is_out else ''}] "
                                  f"{x.type_name}{'[]' if x.is_array else ''} {x.name}" for x in m.parameters))
               for m in cls.methods.values()])
