"""The 24-hour schedule of a distribution point: one toggle per hour, open (content may be sent)
or closed (``DistributionPoint.schedule``: 24 letters, ``o``/``c``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from console.core.distribution import ALWAYS_OPEN, check_schedule

STYLE = ("QToolButton { min-width: 22px; min-height: 22px; border: 1px solid palette(mid); background: #e8e8e8; "
         "color: #555; } QToolButton:checked { background: #4caf50; color: white; } "
         "QToolButton:focus { border: 2px solid palette(highlight); }")


class ScheduleGrid(QWidget):
    """``changed(schedule)`` after every toggle. Hours are buttons (Space toggles the focused one)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Schedule")
        self.hours: list[QToolButton] = []
        grid = QGridLayout()
        grid.setSpacing(2)
        for hour in range(24):
            button = QToolButton(self)
            button.setCheckable(True)
            button.setChecked(True)
            button.setText(f"{hour:02d}")
            button.setAccessibleName(f"{hour:02d}:00 to {(hour + 1) % 24:02d}:00")
            button.setStyleSheet(STYLE)
            button.toggled.connect(self._toggled)
            grid.addWidget(button, hour // 12, hour % 12)
            self.hours.append(button)
        self.legend = QLabel(self)
        self.legend.setObjectName("hint")
        self.legend.setAccessibleName("Schedule summary")
        self.open_all = QPushButton("Open a&ll hours", self)
        self.open_all.clicked.connect(lambda: self.set_schedule(ALWAYS_OPEN))
        self.close_all = QPushButton("Close all hou&rs", self)
        self.close_all.clicked.connect(lambda: self.set_schedule("c" * 24))
        buttons = QHBoxLayout()
        buttons.addWidget(self.legend, 1)
        buttons.addWidget(self.open_all)
        buttons.addWidget(self.close_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addLayout(buttons)
        self._describe()

    def schedule(self) -> str:
        return "".join("o" if b.isChecked() else "c" for b in self.hours)

    def set_schedule(self, schedule: str) -> None:
        value = check_schedule(schedule)
        for button, letter in zip(self.hours, value, strict=True):
            button.blockSignals(True)
            button.setChecked(letter == "o")
            button.blockSignals(False)
        self._toggled()

    def _toggled(self, *_: object) -> None:
        self._describe()
        self.changed.emit(self.schedule())

    def _describe(self) -> None:
        self.legend.setText(describe_schedule(self.schedule()))


def describe_schedule(schedule: str) -> str:
    """"Open all day", "Closed all day" or the open hours as ranges ("Open 00:00–06:00, 22:00–24:00")."""
    if schedule == ALWAYS_OPEN:
        return "Open all day (green hours: content may be sent)"
    if "o" not in schedule:
        return "Closed all day: nothing is sent until an hour is opened"
    ranges: list[str] = []
    hour = 0
    while hour < 24:
        if schedule[hour] == "o":
            end = hour
            while end < 24 and schedule[end] == "o":
                end += 1
            ranges.append(f"{hour:02d}:00–{end:02d}:00")
            hour = end
        else:
            hour += 1
    return "Open " + ", ".join(ranges) + " (green); closed otherwise"
