"""Finds the layout of a class's property sheet (cached; read on a worker thread).

Front ends ask ``ConsoleServices.sheet_layout``; ``console.app.Console`` answers from here."""

from __future__ import annotations

import threading

from console.core.classdef import ClassRegistry
from console.core.sheet_layout import SheetLayout, default_layout
from console.metadata.propertysheet_layout import find_sheet_layout
from console.paths import resources_dir

_cache: dict[tuple[str, int], SheetLayout] = {}
_lock = threading.Lock()


def sheet_layout_for(class_name: str, registry: ClassRegistry) -> SheetLayout:
    """``resources/propertysheets/<Class>.xml`` checked against ``registry``, else the
    generated default. Raises ``MetadataError`` (file and line) for a broken layout."""
    key = (class_name.lower(), id(registry))
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    cls = registry[class_name]
    layout = find_sheet_layout(resources_dir() / "propertysheets", cls.name, registry) or default_layout(cls)
    with _lock:
        _cache[key] = layout
    return layout
