"""When a package's RefreshSchedule (``SMS_ScheduleToken`` subclasses) last came due (standard
library only). Times are UTC (the site stores StartTime as UTC); ``Day`` 1 is Sunday, as in
ConfigMgr; ``MonthDay`` 0 and ``WeekOrder`` 0 mean the last day / the last such weekday."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

#: how far back a weekly or monthly token is searched (a token that never came due: None)
MAX_PERIODS = 400


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _month_add(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _monthly_day(year: int, month: int, values: Mapping[str, Any], by_weekday: bool) -> int:
    last = calendar.monthrange(year, month)[1]
    if not by_weekday:
        day = int(values.get("MonthDay") or 0)
        return last if day == 0 or day > last else day
    weekday = (int(values.get("Day") or 1) - 2) % 7  # ConfigMgr 1 = Sunday; Python 0 = Monday
    order = int(values.get("WeekOrder") or 0)
    days = [d for d in range(1, last + 1) if calendar.weekday(year, month, d) == weekday]
    return days[-1] if order == 0 or order > len(days) else days[order - 1]


def last_occurrence(class_name: str, values: Mapping[str, Any], now: datetime) -> datetime | None:
    """The latest time at or before ``now`` the token came due (None: not yet, or never)."""
    start_value = values.get("StartTime")
    if not isinstance(start_value, datetime):
        return None
    start, now = _utc(start_value), _utc(now)
    if start > now:
        return None
    if class_name == "SMS_ST_NonRecurring":
        return start
    if class_name == "SMS_ST_RecurInterval":
        span = timedelta(days=int(values.get("DaySpan") or 0), hours=int(values.get("HourSpan") or 0),
                         minutes=int(values.get("MinuteSpan") or 0))
        if span <= timedelta(0):
            return start
        return start + span * ((now - start) // span)
    if class_name == "SMS_ST_RecurWeekly":
        weeks = max(1, int(values.get("ForNumberOfWeeks") or 1))
        weekday = (int(values.get("Day") or 1) - 2) % 7
        first = start + timedelta(days=(weekday - start.weekday()) % 7)
        if first > now:
            return None
        period = timedelta(weeks=weeks)
        return first + period * ((now - first) // period)
    if class_name in ("SMS_ST_RecurMonthlyByDate", "SMS_ST_RecurMonthlyByWeekday"):
        months = max(1, int(values.get("ForNumberOfMonths") or 1))
        by_weekday = class_name == "SMS_ST_RecurMonthlyByWeekday"
        found = None
        for n in range(0, MAX_PERIODS * months, months):
            year, month = _month_add(start.year, start.month, n)
            at = start.replace(year=year, month=month, day=_monthly_day(year, month, values, by_weekday))
            if at > now:
                break
            if at >= start:
                found = at
        return found
    return None
