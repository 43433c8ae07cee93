"""What a "Properties changed" status message records for each value."""

from __future__ import annotations

from datetime import UTC, datetime

from console.core.instance import Instance
from console.core.services.status_messages import change_details, display_value


def test_change_details_use_readable_forms_and_summarise_long_and_binary_values(registry):
    cls = registry["SMS_BootImagePackage"]
    token = Instance("SMS_ST_RecurInterval", {"DaySpan": 2, "StartTime": datetime(2026, 12, 1, 22, 0, tzinfo=UTC),
                                              "IsGMT": True})
    details = change_details(
        cls,
        {"Priority": 2, "ImageProperty": "<WIM>" + "x" * 500, "RefreshSchedule": ()},
        {"Priority": 1, "ImageProperty": "<WIM/>", "RefreshSchedule": (token,)},
    )
    by_name = {c["property"]: c for c in details["changes"]}
    assert list(by_name) == ["ImageProperty", "Priority", "RefreshSchedule"]
    assert by_name["Priority"] == {"property": "Priority", "old": "2 (NORMAL)", "new": "1 (HIGH)"}
    assert by_name["ImageProperty"]["old"].endswith("… (505 characters)") and len(by_name["ImageProperty"]["old"]) < 230
    assert by_name["RefreshSchedule"] == {"property": "RefreshSchedule", "old": "(empty)",
                                          "new": "Every 2 days from 2026-12-01 22:00 UTC"}
    assert display_value(None, b"\x00" * 4096) == "4,096 bytes of binary data"
