"""Schedules as an administrator states them <-> SMS_ScheduleToken subclasses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.core.errors import ValidationError
from console.core.instance import Instance
from console.core.schedules import Occurs, Schedule, default_schedule, describe, describe_schedule, from_token, to_token

START = datetime(2026, 12, 1, 22, 0)

CASES = [
    (Schedule(Occurs.ONCE, START, utc=True), "SMS_ST_NonRecurring", {}, "Once, at 2026-12-01 22:00 UTC"),
    (Schedule(Occurs.HOURS, START, every=6), "SMS_ST_RecurInterval", {"HourSpan": 6, "DaySpan": 0},
     "Every 6 hours from 2026-12-01 22:00 (local time)"),
    (Schedule(Occurs.DAYS, START, utc=True, every=2), "SMS_ST_RecurInterval", {"DaySpan": 2, "HourSpan": 0},
     "Every 2 days from 2026-12-01 22:00 UTC"),
    (Schedule(Occurs.WEEKLY, START, every=2, weekday=7), "SMS_ST_RecurWeekly", {"Day": 7, "ForNumberOfWeeks": 2},
     "Every 2 weeks on Saturday from 2026-12-01 22:00 (local time)"),
    (Schedule(Occurs.MONTHLY_BY_DATE, START, month_day=0), "SMS_ST_RecurMonthlyByDate",
     {"MonthDay": 0, "ForNumberOfMonths": 1}, "Every month on the last day from 2026-12-01 22:00 (local time)"),
    (Schedule(Occurs.MONTHLY_BY_DATE, START, month_day=15, every=3), "SMS_ST_RecurMonthlyByDate",
     {"MonthDay": 15, "ForNumberOfMonths": 3}, "Every 3 months on day 15 from 2026-12-01 22:00 (local time)"),
    (Schedule(Occurs.MONTHLY_BY_WEEKDAY, START, weekday=2, week_order=0), "SMS_ST_RecurMonthlyByWeekday",
     {"Day": 2, "WeekOrder": 0, "ForNumberOfMonths": 1}, "Every month on the last Monday from 2026-12-01 22:00 (local time)"),
]


@pytest.mark.parametrize(("schedule", "cls", "fields", "text"), CASES)
def test_schedule_token_round_trip_and_description(schedule, cls, fields, text):
    token = to_token(schedule)
    assert token.class_name == cls
    assert {k: token[k] for k in fields} == fields
    assert token["StartTime"] == START.replace(tzinfo=UTC) and token["IsGMT"] is schedule.utc
    assert from_token(token) == schedule
    assert describe(schedule) == text == describe_schedule(token)


def test_tokens_the_form_cannot_state_exactly_are_described_from_their_values():
    minutes = Instance("SMS_ST_RecurInterval", {"MinuteSpan": 30, "StartTime": START.replace(tzinfo=UTC), "IsGMT": True})
    assert from_token(minutes) is None
    assert describe_schedule(minutes) == "Every 30 minutes from 2026-12-01 22:00 UTC"
    lasting = Instance("SMS_ST_NonRecurring", {"StartTime": START.replace(tzinfo=UTC), "HourDuration": 2})
    assert from_token(lasting) is None
    assert describe_schedule(lasting) == "Once, at 2026-12-01 22:00 (local time), lasting 2 hours"
    assert describe_schedule(Instance("SMS_Other", {})) is None


def test_default_schedule_starts_now_not_in_1970():
    now = datetime(2026, 12, 1, 22, 17, 45)
    schedule = default_schedule(now)
    assert schedule.start == datetime(2026, 12, 1, 22, 17) and schedule.occurs is Occurs.DAYS and schedule.every == 1


def test_out_of_range_values_are_refused():
    with pytest.raises(ValidationError, match="Every N hours: N must be 1-23; got 24"):
        Schedule(Occurs.HOURS, START, every=24)
    with pytest.raises(ValidationError, match="weekday"):
        Schedule(Occurs.WEEKLY, START, weekday=8)
