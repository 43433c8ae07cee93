"""Schedules as an administrator states them, and their stored form, the SMS_ScheduleToken
subclasses (SMS_ST_NonRecurring, SMS_ST_RecurInterval, SMS_ST_RecurWeekly,
SMS_ST_RecurMonthlyByDate, SMS_ST_RecurMonthlyByWeekday).

``StartTime`` holds the wall-clock time with a UTC tzinfo; ``IsGMT`` says whether that clock
is UTC or the local time of the site server (WMI's convention)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum

from console.core.errors import ValidationError
from console.core.instance import Instance
from console.core.values import as_utc

WEEKDAYS = {1: "Sunday", 2: "Monday", 3: "Tuesday", 4: "Wednesday", 5: "Thursday", 6: "Friday", 7: "Saturday"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 0: "last"}


class Occurs(Enum):
    ONCE = "Once"
    HOURS = "Every N hours"
    DAYS = "Every N days"
    WEEKLY = "Weekly"
    MONTHLY_BY_DATE = "Monthly on a day"
    MONTHLY_BY_WEEKDAY = "Monthly on a weekday"


#: Largest "every N" per kind, from the token classes' Range qualifiers.
EVERY_LIMITS = {Occurs.HOURS: 23, Occurs.DAYS: 31, Occurs.WEEKLY: 4,
                Occurs.MONTHLY_BY_DATE: 12, Occurs.MONTHLY_BY_WEEKDAY: 12, Occurs.ONCE: 1}


@dataclass(frozen=True)
class Schedule:
    """``start`` is a naive wall-clock time; ``utc`` says whose clock. ``weekday`` 1-7 is
    Sunday-Saturday; ``month_day`` 0 is the last day; ``week_order`` 0 is the last."""

    occurs: Occurs
    start: datetime
    utc: bool = False
    every: int = 1
    weekday: int = 1
    month_day: int = 1
    week_order: int = 1

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None:
            object.__setattr__(self, "start", as_utc(self.start).replace(tzinfo=None))
        low = 1
        if not low <= self.every <= EVERY_LIMITS[self.occurs]:
            raise ValidationError.single(
                "RefreshSchedule", f"{self.occurs.value}: N must be 1-{EVERY_LIMITS[self.occurs]}; got {self.every}")
        if not 1 <= self.weekday <= 7:
            raise ValidationError.single("RefreshSchedule", f"weekday must be 1 (Sunday) to 7 (Saturday); got {self.weekday}")
        if not 0 <= self.month_day <= 31:
            raise ValidationError.single("RefreshSchedule", f"day of the month must be 1-31 or last; got {self.month_day}")
        if self.week_order not in ORDINALS:
            raise ValidationError.single("RefreshSchedule", f"week must be first to fourth or last; got {self.week_order}")


def default_schedule(now: datetime | None = None) -> Schedule:
    """What a new schedule starts as: every day from now (this minute, local clock)."""
    start = (now or datetime.now()).replace(second=0, microsecond=0)
    return Schedule(Occurs.DAYS, start)


def to_token(schedule: Schedule) -> Instance:
    """The stored form of ``schedule``."""
    values: dict[str, object] = {
        "StartTime": schedule.start.replace(tzinfo=UTC), "IsGMT": schedule.utc,
        "DayDuration": 0, "HourDuration": 0, "MinuteDuration": 0,
    }
    kind = schedule.occurs
    if kind is Occurs.ONCE:
        return Instance("SMS_ST_NonRecurring", values)
    if kind in (Occurs.HOURS, Occurs.DAYS):
        values.update(DaySpan=schedule.every if kind is Occurs.DAYS else 0,
                      HourSpan=schedule.every if kind is Occurs.HOURS else 0, MinuteSpan=0)
        return Instance("SMS_ST_RecurInterval", values)
    if kind is Occurs.WEEKLY:
        values.update(Day=schedule.weekday, ForNumberOfWeeks=schedule.every)
        return Instance("SMS_ST_RecurWeekly", values)
    if kind is Occurs.MONTHLY_BY_DATE:
        values.update(MonthDay=schedule.month_day, ForNumberOfMonths=schedule.every)
        return Instance("SMS_ST_RecurMonthlyByDate", values)
    values.update(Day=schedule.weekday, WeekOrder=schedule.week_order, ForNumberOfMonths=schedule.every)
    return Instance("SMS_ST_RecurMonthlyByWeekday", values)


def _int(token: Instance, name: str, default: int) -> int:
    value = token.values.get(name)
    return int(value) if value is not None else default


def from_token(token: Instance) -> Schedule | None:
    """The schedule a token states; ``None`` for a token this form cannot show exactly (an
    interval in minutes or mixing days and hours, a duration) — edit those as raw values."""
    start_value = token.values.get("StartTime")
    start = as_utc(start_value).replace(tzinfo=None) if isinstance(start_value, datetime) else datetime(1970, 2, 1)
    utc = bool(token.values.get("IsGMT"))
    if any(_int(token, n, 0) for n in ("DayDuration", "HourDuration", "MinuteDuration")):
        return None
    base = Schedule(Occurs.ONCE, start, utc)
    try:
        match token.class_name:
            case "SMS_ST_NonRecurring":
                return base
            case "SMS_ST_RecurInterval":
                days, hours, minutes = (_int(token, n, 0) for n in ("DaySpan", "HourSpan", "MinuteSpan"))
                if minutes or (days and hours) or not (days or hours):
                    return None
                return replace(base, occurs=Occurs.DAYS if days else Occurs.HOURS, every=days or hours)
            case "SMS_ST_RecurWeekly":
                return replace(base, occurs=Occurs.WEEKLY, weekday=_int(token, "Day", 1),
                               every=_int(token, "ForNumberOfWeeks", 1))
            case "SMS_ST_RecurMonthlyByDate":
                return replace(base, occurs=Occurs.MONTHLY_BY_DATE, month_day=_int(token, "MonthDay", 0),
                               every=_int(token, "ForNumberOfMonths", 1))
            case "SMS_ST_RecurMonthlyByWeekday":
                return replace(base, occurs=Occurs.MONTHLY_BY_WEEKDAY, weekday=_int(token, "Day", 1),
                               week_order=_int(token, "WeekOrder", 1), every=_int(token, "ForNumberOfMonths", 1))
    except ValidationError:
        return None
    return None


def _every(count: int, unit: str) -> str:
    return f"every {unit}" if count <= 1 else f"every {count} {unit}s"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _start_text(start: datetime, utc: bool) -> str:
    return start.strftime("%Y-%m-%d %H:%M") + (" UTC" if utc else " (local time)")


def _day_of_month(day: int) -> str:
    return "the last day" if day == 0 else f"day {day}"


def describe(schedule: Schedule) -> str:
    """``Every 2 days from 2026-12-01 22:00 UTC``."""
    start, kind, n = _start_text(schedule.start, schedule.utc), schedule.occurs, schedule.every
    if kind is Occurs.ONCE:
        return f"Once, at {start}"
    if kind is Occurs.HOURS:
        text = _every(n, "hour")
    elif kind is Occurs.DAYS:
        text = _every(n, "day")
    elif kind is Occurs.WEEKLY:
        text = f"{_every(n, 'week')} on {WEEKDAYS[schedule.weekday]}"
    elif kind is Occurs.MONTHLY_BY_DATE:
        text = f"{_every(n, 'month')} on {_day_of_month(schedule.month_day)}"
    else:
        text = f"{_every(n, 'month')} on the {ORDINALS[schedule.week_order]} {WEEKDAYS[schedule.weekday]}"
    return f"{text[:1].upper()}{text[1:]} from {start}"


def _duration(token: Instance) -> str:
    parts = [_plural(_int(token, name, 0), unit)
             for name, unit in (("DayDuration", "day"), ("HourDuration", "hour"), ("MinuteDuration", "minute"))
             if _int(token, name, 0)]
    return f", lasting {' '.join(parts)}" if parts else ""


def describe_schedule(token: Instance) -> str | None:
    """A sentence for any schedule token (``None`` for anything else), exact tokens through
    ``describe``; the rest (minutes, durations) spelled out from their values."""
    schedule = from_token(token)
    if schedule is not None:
        return describe(schedule)
    if not token.class_name.startswith("SMS_ST_"):
        return None
    start_value = token.values.get("StartTime")
    start = as_utc(start_value).replace(tzinfo=None) if isinstance(start_value, datetime) else datetime(1970, 2, 1)
    start_text = _start_text(start, bool(token.values.get("IsGMT")))
    if token.class_name == "SMS_ST_RecurInterval":
        spans = [_plural(_int(token, n, 0), u) for n, u in (("DaySpan", "day"), ("HourSpan", "hour"), ("MinuteSpan", "minute"))
                 if _int(token, n, 0)]
        text = f"Every {' '.join(spans)}" if spans else "Every interval of 0 (never repeats)"
    else:
        relaxed = from_token(Instance(token.class_name, {**token.values, "DayDuration": 0, "HourDuration": 0,
                                                         "MinuteDuration": 0}))
        if relaxed is None:
            return f"{token.class_name} from {start_text}{_duration(token)}"
        return describe(relaxed) + _duration(token)
    return f"{text} from {start_text}{_duration(token)}"
