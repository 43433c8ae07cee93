"""One-line descriptions of embedded instances (schedule tokens, driver references)."""

from __future__ import annotations

from console.core.classdef import ClassRegistry
from console.core.instance import Instance
from console.core.schedules import describe_schedule
from console.core.sheet_layout import humanize
from console.core.values import format_value


def describe_instance(instance: Instance, registry: ClassRegistry) -> str:
    """A schedule sentence for tokens, ``Name = value, …`` for anything else."""
    schedule = describe_schedule(instance)
    if schedule is not None:
        return schedule
    if instance.class_name not in registry:
        return instance.class_name
    cls = registry[instance.class_name]
    parts = []
    for name, prop in cls.properties.items():
        value = instance.get(name)
        if value not in (None, "", ()) and value != prop.default:
            parts.append(f"{humanize(name)} = {format_value(prop, value)}")
    return ", ".join(parts) or "(all defaults)"
