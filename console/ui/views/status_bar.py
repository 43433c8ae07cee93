"""Status bar: item counts, background-task progress and a cancel button."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QStatusBar, QToolButton, QWidget

from console.ui.icons import icon
from console.ui.tasks import Task, TaskRunner


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than ``max_width``: longer text is
    elided in the middle (paths keep their start and end) and shown whole in the tooltip."""

    def __init__(self, max_width: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._max_width = max_width
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text if self.fontMetrics().horizontalAdvance(text) > max(self.width(), 1) else "")

    def displayed_text(self, width: int) -> str:
        return self.fontMetrics().elidedText(super().text(), Qt.TextElideMode.ElideMiddle, max(width, 0))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(min(hint.width(), self._max_width), hint.height()) if self._max_width else hint

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.setText(self.text())  # re-decide the tooltip

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), self.displayed_text(rect.width()))


class ConsoleStatusBar(QStatusBar):
    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.counts = ElidedLabel()
        self.counts.setAccessibleName("Item count")
        self.activity = ElidedLabel(max_width=420)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.cancel = QToolButton()
        self.cancel.setIcon(icon("cancel"))
        self.cancel.setToolTip("Cancel the running task")
        self.cancel.setAccessibleName("Cancel task")
        self.cancel.clicked.connect(self._cancel)
        self.addWidget(self.counts, 1)
        self.addPermanentWidget(self.activity)
        self.addPermanentWidget(self.progress)
        self.addPermanentWidget(self.cancel)
        tasks.started.connect(self._changed)
        tasks.finished.connect(self._changed)
        tasks.progress.connect(self._progress)
        self._changed(None)

    def set_counts(self, text: str) -> None:
        self.counts.setText(text)

    def _visible_tasks(self) -> list[Task]:
        return [t for t in self._tasks.running if t.description]

    def _changed(self, _task: object) -> None:
        running = self._visible_tasks()
        busy = bool(running)
        self.progress.setVisible(busy)
        self.activity.setVisible(busy)
        self.cancel.setVisible(any(t.cancellable for t in running))
        if busy:
            current = running[-1]
            more = f" (+{len(running) - 1} more)" if len(running) > 1 else ""
            self.activity.setText(f"{current.description}…{more}")
            self.progress.setRange(0, 0)

    def _progress(self, task: Task, value: int, maximum: int, text: str) -> None:
        if maximum > 0:
            self.progress.setRange(0, maximum)
            self.progress.setValue(value)
        if text:
            self.activity.setText(f"{task.description}: {text}")

    def _cancel(self) -> None:
        for task in self._visible_tasks():
            if task.cancellable:
                task.cancel()

    def show_identity(self, text: str) -> None:
        """Who is connected, with which roles and scopes, on which site (right-hand side)."""
        self.identity = QLabel(text)
        self.identity.setAccessibleName("Connected as")
        self.identity.setToolTip(f"Connected as {text}")
        self.addPermanentWidget(self.identity)
