"""One-line descriptions of embedded instances (schedule tokens, driver references)."""

from __future__ import annotations

from datetime import datetime

from console.core.classdef import ClassRegistry
from console.core.instance import Instance
from console.core.sheet_layout import humanize
from console.core.values import as_utc, format_value

ORDINALS = {0: "last", 1: "first", 2: "second", 3: "third", 4: "fourth"}
WEEKDAYS = {1: "Sunday", 2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday", 7: "Saturday"}


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _every(count: int, unit: str) -> str:
    return f"every {unit}" if count <= 1 else f"every {count} {unit}s"


def _start(token: Instance) -> str:
    start = token.get("StartTime")
    if not isinstance(start, datetime):
        return ""
    return as_utc(start).strftime("%Y-%m-%d %H:%M") + (" UTC" if token.get("IsGMT") else "")


def _duration(token: Instance) -> str:
    parts = [
        _plural(int(token.get(name) or 0), unit)
        for name, unit in (("DayDuration", "day"), ("HourDuration", "hour"), ("MinuteDuration", "minute"))
        if token.get(name)
    ]
    return f", lasting {' '.join(parts)}" if parts else ""


def describe_schedule(token: Instance) -> str | None:
    """``Every 2 weeks on Saturday, starting 2026-05-02 22:00`` (local time unless ``UTC``
    follows); ``None`` for anything that is not a schedule token."""
    kind = token.class_name
    start = _start(token)
    if kind == "SMS_ST_NonRecurring":
        return f"Once, at {start}" + _duration(token)
    if kind == "SMS_ST_RecurInterval":
        spans = [(int(token.get(n) or 0), u) for n, u in (("DaySpan", "day"), ("HourSpan", "hour"), ("MinuteSpan", "minute"))]
        count, unit = next(((c, u) for c, u in spans if c), (0, "day"))
        text = _every(count, unit) if count else "every interval of 0 (never repeats)"
    elif kind == "SMS_ST_RecurWeekly":
        day = WEEKDAYS.get(int(token.get("Day") or 1), "?")
        text = f"{_every(int(token.get('ForNumberOfWeeks') or 1), 'week')} on {day}"
    elif kind == "SMS_ST_RecurMonthlyByDate":
        month_day = int(token.get("MonthDay") or 0)
        shown = "the last day" if month_day == 0 else f"day {month_day}"
        text = f"{shown} of {_every(int(token.get('ForNumberOfMonths') or 1), 'month')}"
    elif kind == "SMS_ST_RecurMonthlyByWeekday":
        order = ORDINALS.get(int(token.get("WeekOrder") or 0), "?")
        day = WEEKDAYS.get(int(token.get("Day") or 1), "?")
        text = f"the {order} {day} of {_every(int(token.get('ForNumberOfMonths') or 1), 'month')}"
    else:
        return None
    return text[:1].upper() + text[1:] + (f", starting {start}" if start else "") + _duration(token)


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
