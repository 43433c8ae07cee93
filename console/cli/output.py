"""Printing helpers shared by the commands: JSON documents, tables, property lists."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from console.core.console_services import ConsoleServices
from console.core.instance import Instance


def instance_json(console: ConsoleServices, instance: Instance, *, all_properties: bool = True) -> dict[str, Any]:
    """Stable JSON form: every property of the class, in class order; lazy ones that were
    not fetched are ``null`` and listed under ``__notLoaded``."""
    return console.context.validator.coercer.instance_to_json(instance, all_properties=all_properties)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, sort_keys=False)
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def property_list(items: Iterable[tuple[str, str]]) -> None:
    items = list(items)
    width = max((len(k) for k, _ in items), default=0)
    for key, value in items:
        lines = value.splitlines() or [""]
        print(f"{key.ljust(width)} : {lines[0]}")
        for extra in lines[1:]:
            print(f"{' ' * width}   {extra}")
