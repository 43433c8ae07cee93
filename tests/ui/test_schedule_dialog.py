"""The administrator's schedule dialog: every choice shows only its fields, nothing clipped."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel

from console.core.schedules import Occurs, Schedule, to_token
from console.ui.propertysheet.schedule_dialog import ScheduleDialog

VISIBLE = {
    Occurs.ONCE: set(),
    Occurs.HOURS: {"every"},
    Occurs.DAYS: {"every"},
    Occurs.WEEKLY: {"every", "weekday"},
    Occurs.MONTHLY_BY_DATE: {"every", "month_day"},
    Occurs.MONTHLY_BY_WEEKDAY: {"every", "week_order", "weekday"},
}


@pytest.mark.parametrize("kind", list(Occurs))
def test_each_choice_shows_its_fields_unclipped(qtbot, kind):
    dialog = ScheduleDialog(None, None, "Refresh schedule — New Schedule")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.occurs.setCurrentIndex(dialog.occurs.findData(kind))
    dialog.adjustSize()
    qtbot.wait(10)
    shown = {name for name in ("every", "week_order", "weekday", "month_day") if getattr(dialog, name).isVisible()}
    assert shown == VISIBLE[kind]
    widgets = [*dialog.findChildren(QLabel), *dialog.findChildren(QCheckBox), *dialog.findChildren(QComboBox)]
    for widget in widgets:
        if widget.isVisible() and not (isinstance(widget, QLabel) and widget.wordWrap()):
            assert widget.width() >= widget.sizeHint().width(), f"{widget.text() if hasattr(widget, 'text') else widget} is clipped"
    assert dialog.summary.text()
    dialog.grab().save(f"/tmp/schedule-{kind.name.lower()}.png")


def test_editing_shows_the_stored_schedule_and_returns_its_token(qtbot):
    schedule = Schedule(Occurs.MONTHLY_BY_WEEKDAY, datetime(2026, 12, 1, 22, 0), utc=True, every=2, weekday=3, week_order=0)
    dialog = ScheduleDialog(schedule, None)
    qtbot.addWidget(dialog)
    assert dialog.summary.text() == "Every 2 months on the last Tuesday from 2026-12-01 22:00 UTC"
    assert dialog.token() == to_token(schedule)
    dialog.occurs.setCurrentIndex(dialog.occurs.findData(Occurs.HOURS))
    assert dialog.every.maximum() == 23
