"""When a RefreshSchedule token last came due (ConfigMgr's schedule tokens, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from console.core.schedule_tokens import last_occurrence
from console.core.services.refresh_job import due_refreshes

NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # a Wednesday


def test_non_recurring_and_interval_tokens():
    start = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert last_occurrence("SMS_ST_NonRecurring", {"StartTime": start}, NOW) == start
    assert last_occurrence("SMS_ST_NonRecurring", {"StartTime": datetime(2026, 12, 3, tzinfo=UTC)}, NOW) is None
    every_4h = {"StartTime": start, "HourSpan": 4}
    assert last_occurrence("SMS_ST_RecurInterval", every_4h, NOW) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    daily = {"StartTime": start, "DaySpan": 1}
    assert last_occurrence("SMS_ST_RecurInterval", daily, NOW) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    naive = {"StartTime": datetime(2026, 12, 2, 10, 0), "MinuteSpan": 20}  # stored without a zone: UTC
    assert last_occurrence("SMS_ST_RecurInterval", naive, NOW) == datetime(2026, 12, 2, 10, 20, tzinfo=UTC)


def test_weekly_and_monthly_tokens():
    start = datetime(2026, 1, 1, 22, 0, tzinfo=UTC)
    # every 2 weeks on Sunday (Day 1): the first Sunday after the start is 4 January
    sunday = last_occurrence("SMS_ST_RecurWeekly", {"StartTime": start, "Day": 1, "ForNumberOfWeeks": 2}, NOW)
    assert sunday is not None and sunday.weekday() == 6 and (sunday - datetime(2026, 1, 4, 22, tzinfo=UTC)).days % 14 == 0
    assert sunday <= NOW and (NOW - sunday).days < 14
    # the last day of each month, and the second Tuesday of each month
    last_day = last_occurrence("SMS_ST_RecurMonthlyByDate", {"StartTime": start, "MonthDay": 0}, NOW)
    assert last_day == datetime(2026, 11, 30, 22, tzinfo=UTC)
    second_tuesday = last_occurrence("SMS_ST_RecurMonthlyByWeekday", {"StartTime": start, "Day": 3, "WeekOrder": 2}, NOW)
    assert second_tuesday == datetime(2026, 11, 10, 22, tzinfo=UTC)
    assert last_occurrence("SMS_ST_RecurMonthlyByDate", {"StartTime": NOW, "MonthDay": 15}, NOW) is None


def test_a_package_is_due_when_its_schedule_came_due_after_its_last_refresh():
    start = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    schedules = {"PS100001": [("SMS_ST_RecurInterval", {"StartTime": start, "HourSpan": 2})],
                 "PS100002": [("SMS_ST_NonRecurring", {"StartTime": datetime(2027, 1, 1, tzinfo=UTC)})]}
    last = {"PS100001": datetime(2026, 12, 2, 9, 0, tzinfo=UTC)}
    assert due_refreshes(schedules, last.get, NOW) == ["PS100001"]  # due at 10:00, last refreshed at 9:00
    last["PS100001"] = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)
    assert due_refreshes(schedules, last.get, NOW) == []
