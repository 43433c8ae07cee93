"""An administrator's schedule dialog (Occurs: once, every N hours/days, weekly, monthly on a
day, monthly on the Nth weekday; start; UTC). The stored form is the schedule token; the
conversion and the sentence come from console.core.schedules."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.core.errors import ConsoleError
from console.core.instance import Instance
from console.core.schedules import (
    EVERY_LIMITS,
    ORDINALS,
    WEEKDAYS,
    Occurs,
    Schedule,
    default_schedule,
    describe,
    from_token,
    to_token,
)

UNITS = {Occurs.HOURS: "hour(s)", Occurs.DAYS: "day(s)", Occurs.WEEKLY: "week(s)",
         Occurs.MONTHLY_BY_DATE: "month(s)", Occurs.MONTHLY_BY_WEEKDAY: "month(s)"}


class ScheduleDialog(QDialog):
    def __init__(self, schedule: Schedule | None = None, parent: QWidget | None = None, title: str = "Schedule") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.occurs = QComboBox(self)
        for kind in Occurs:
            self.occurs.addItem(kind.value, kind)
        self.every = QSpinBox(self)
        self.every_unit = QLabel(self)
        every_row = QWidget(self)
        every_layout = QHBoxLayout(every_row)
        every_layout.setContentsMargins(0, 0, 0, 0)
        every_layout.addWidget(self.every)
        every_layout.addWidget(self.every_unit, 1)
        self.week_order = QComboBox(self)
        for value in (1, 2, 3, 4, 0):
            self.week_order.addItem(ORDINALS[value].capitalize(), value)
        self.weekday = QComboBox(self)
        for value, name in WEEKDAYS.items():
            self.weekday.addItem(name, value)
        self.month_day = QComboBox(self)
        for day in range(1, 32):
            self.month_day.addItem(str(day), day)
        self.month_day.addItem("Last day of the month", 0)
        self.start = QDateTimeEdit(self)
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.utc = QCheckBox("Times are in &UTC (otherwise the site server's local time)", self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Schedule summary")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow("&Occurs:", self.occurs)
        self.form.addRow("&Every:", every_row)
        self.form.addRow("&On the:", self.week_order)
        self.form.addRow("&Weekday:", self.weekday)
        self.form.addRow("&Day of the month:", self.month_day)
        self.form.addRow("&Start:", self.start)
        self.form.addRow("", self.utc)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.set_schedule(schedule or default_schedule())
        for combo in (self.occurs, self.week_order, self.weekday, self.month_day):
            combo.currentIndexChanged.connect(self._update)
        self.every.valueChanged.connect(self._update)
        self.start.dateTimeChanged.connect(self._update)
        self.utc.toggled.connect(self._update)
        self._update()
        self.setMinimumWidth(self._widest() + 40)

    def _widest(self) -> int:
        """The widest the dialog needs to be over every Occurs choice (so none is clipped)."""
        saved = self.schedule()
        widest = 0
        for row in range(self.occurs.count()):
            self.occurs.setCurrentIndex(row)
            widest = max(widest, self.sizeHint().width())
        self.set_schedule(saved)  # switching choices clamps "every N": put the values back
        self._update()
        return widest

    # -- value ------------------------------------------------------------------------------

    def set_schedule(self, schedule: Schedule) -> None:
        self.occurs.setCurrentIndex(self.occurs.findData(schedule.occurs))
        self._set_limits()
        self.every.setValue(schedule.every)
        self.weekday.setCurrentIndex(self.weekday.findData(schedule.weekday))
        self.week_order.setCurrentIndex(self.week_order.findData(schedule.week_order))
        self.month_day.setCurrentIndex(self.month_day.findData(schedule.month_day))
        s = schedule.start
        self.start.setDateTime(QDateTime(QDate(s.year, s.month, s.day), QTime(s.hour, s.minute)))
        self.utc.setChecked(schedule.utc)

    def schedule(self) -> Schedule:
        """Raises ValidationError for values out of range."""
        kind: Occurs = self.occurs.currentData()
        qdt = self.start.dateTime()
        d, t = qdt.date(), qdt.time()
        start = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())
        return Schedule(kind, start, self.utc.isChecked(), every=self.every.value() if kind is not Occurs.ONCE else 1,
                        weekday=int(self.weekday.currentData()), month_day=int(self.month_day.currentData()),
                        week_order=int(self.week_order.currentData()))

    def token(self) -> Instance:
        return to_token(self.schedule())

    # -- reactions ----------------------------------------------------------------------------

    def _set_limits(self) -> None:
        kind: Occurs = self.occurs.currentData()
        self.every.setRange(1, EVERY_LIMITS[kind])
        self.every_unit.setText(UNITS.get(kind, ""))

    def _update(self, *_args: object) -> None:
        kind: Occurs = self.occurs.currentData()
        self._set_limits()
        self.form.setRowVisible(1, kind is not Occurs.ONCE)
        self.form.setRowVisible(2, kind is Occurs.MONTHLY_BY_WEEKDAY)
        self.form.setRowVisible(3, kind in (Occurs.WEEKLY, Occurs.MONTHLY_BY_WEEKDAY))
        self.form.setRowVisible(4, kind is Occurs.MONTHLY_BY_DATE)
        try:
            self.summary.setText(describe(self.schedule()))
            self.error.setText("")
            ok = True
        except ConsoleError as exc:
            self.summary.setText("")
            self.error.setText(exc.message)
            ok = False
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        button.setEnabled(ok)

    @classmethod
    def can_edit(cls, token: Instance | None) -> bool:
        """False for a token this dialog cannot state exactly (edit it as raw values)."""
        return token is None or from_token(token) is not None

    @classmethod
    def ask(cls, parent: QWidget | None, token: Instance | None, title: str) -> Instance | None:
        dialog = cls(from_token(token) if token is not None else None, parent, title)
        return dialog.token() if dialog.exec() == QDialog.DialogCode.Accepted else None
