"""The Pre-flight page of the Update Distribution Points wizard: every check of a build, run in
the background; failures block Next, and each problem has a button that opens where it is fixed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.servicing import BuildSpec, Check
from console.ui.tasks import TaskRunner

SEVERITY_TEXT = {"failure": "Failure", "warning": "Warning", "pass": "Passed"}
SEVERITY_ICON = {"failure": QStyle.StandardPixmap.SP_MessageBoxCritical,
                 "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
                 "pass": QStyle.StandardPixmap.SP_DialogApplyButton}
_ORDER = {"failure": 0, "warning": 1, "pass": 2}


def fix_label(fix: str) -> str:
    """The button text for a check's ``fix`` hint."""
    kind, _sep, where = fix.partition(":")
    if kind == "properties":
        return f"Open Properties › {where}"
    if kind == "wizard":
        return {"drivers": "Open Drivers…", "optional-components": "Open Optional Components…"}.get(
            where, f"Open {where.replace('-', ' ').title()}…")
    if kind == "settings":
        return "Open Settings…"
    return ""


class CheckRow(QFrame):
    """One check: severity icon, what was found and what to do, and a fix button."""

    fix_clicked = Signal(str)

    def __init__(self, check: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setObjectName(f"check-{check.severity}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(SEVERITY_ICON[check.severity]).pixmap(20, 20))
        icon.setAccessibleName(SEVERITY_TEXT[check.severity])
        icon.setToolTip(SEVERITY_TEXT[check.severity])
        self.text = QLabel(f"<b>{SEVERITY_TEXT[check.severity]}</b> — {escape(check.message)}")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.text, 1)
        self.fix_button: QPushButton | None = None
        label = fix_label(check.fix) if check.severity != "pass" else ""
        if label:
            self.fix_button = QPushButton(label)
            self.fix_button.setAccessibleName(f"{label} ({check.id})")
            self.fix_button.clicked.connect(lambda: self.fix_clicked.emit(check.fix))
            row.addWidget(self.fix_button, 0, Qt.AlignmentFlag.AlignTop)


class PreflightPage(QWizardPage):
    """``fix_requested(fix)`` when a fix button is clicked; ``checked`` after each run."""

    fix_requested = Signal(str)
    checked = Signal()

    def __init__(self, console: ConsoleServices, package_id: str, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.package_id = package_id
        self.tasks = tasks
        self.checks: list[Check] | None = None
        self.spec: BuildSpec | None = None
        self.error = ""
        self.runs = 0
        self.check_rows: list[CheckRow] = []
        self._running = False
        self.setTitle("Pre-flight checks")
        self.setSubTitle("Everything that would make the build fail or surprise you, checked first. "
                         "Failures must be fixed before the build can start.")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Pre-flight result")
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(12)
        self.again = QPushButton("Check &again")
        self.again.setToolTip("Run every pre-flight check again (after fixing something)")
        self.again.clicked.connect(self.run_checks)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.again, 0, Qt.AlignmentFlag.AlignTop)
        self.list = QWidget()
        self.list.setAccessibleName("Pre-flight checks")
        self.rows = QVBoxLayout(self.list)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(4)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.busy)
        layout.addWidget(scroll, 1)

    def initializePage(self) -> None:
        if self.checks is None and not self._running:
            self.run_checks()

    def isComplete(self) -> bool:
        return not self._running and self.checks is not None and not any(c.failed for c in self.checks)

    def run_checks(self) -> None:
        if self._running:
            return
        self._running = True
        self.checks = None
        self.runs += 1
        self.again.setEnabled(False)
        self.busy.show()
        self.summary.setText(f"Running the pre-flight checks of {self.package_id}…")
        self.completeChanged.emit()
        pid = self.package_id

        def work(_ctx: Any) -> tuple[BuildSpec, list[Check]]:
            return self.console.builds.spec_for(pid), self.console.builds.preflight(pid)

        # The wizard may be closed while the checks run: a late result is then dropped.
        self.tasks.run(work, on_success=lambda result: self._done(result) if isValid(self) else None,
                       on_error=lambda exc: self._failed(exc) if isValid(self) else None,
                       description=f"Pre-flight checks of {pid}")

    def _done(self, result: tuple[BuildSpec, list[Check]]) -> None:
        self.spec, checks = result
        self._show(checks, "")

    def _failed(self, exc: BaseException) -> None:
        message = exc.message if isinstance(exc, ConsoleError) else f"{type(exc).__name__}: {exc}"
        self._show([], message)

    def _show(self, checks: Sequence[Check], error: str) -> None:
        self._running = False
        self.error = error
        self.checks = list(checks) if not error else None
        self.busy.hide()
        self.again.setEnabled(True)
        while (item := self.rows.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()
        self.check_rows = []
        for check in sorted(checks, key=lambda c: _ORDER[c.severity]):
            row = CheckRow(check, self.list)
            row.fix_clicked.connect(self.fix_requested.emit)
            self.rows.addWidget(row)
            self.check_rows.append(row)
        self.rows.addStretch(1)
        failures = sum(1 for c in checks if c.failed)
        warnings = sum(1 for c in checks if c.severity == "warning")
        if error:
            self.summary.setText(f"<b>The checks could not run:</b> {escape(error)}")
        elif failures:
            self.summary.setText(f"<b>{failures} failure(s)</b>, {warnings} warning(s), {len(checks) - failures - warnings} "
                                 "passed. Fix the failures (each has a button that opens the right place), then "
                                 "click Check again.")
        else:
            self.summary.setText(f"No failures: {warnings} warning(s), {len(checks) - warnings} passed. "
                                 "The boot image can be built.")
        self.completeChanged.emit()
        self.checked.emit()
