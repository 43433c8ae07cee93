"""Status bar: item counts, background-task progress and a cancel button."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from console.ui.icons import icon
from console.ui.tasks import Task, TaskRunner


class ConsoleStatusBar(QStatusBar):
    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.counts = QLabel()
        self.counts.setAccessibleName("Item count")
        self.activity = QLabel()
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
