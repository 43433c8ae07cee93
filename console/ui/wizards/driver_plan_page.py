"""Drivers wizard: the summary. The service plans the change in the background (what is added
and removed, the size afterwards, warnings such as an architecture mismatch); nothing is saved."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget, QWizardPage

from console.core.console_services import ConsoleServices
from console.core.drivers import Driver
from console.core.errors import ValidationError, error_text
from console.ui.models.driver_columns import architectures_text, size_text
from console.ui.models.driver_plan import DriverPlanView, load_plan
from console.ui.tasks import TaskRunner

Change = tuple[list[int], list[int]]  # CI_IDs to add, CI_IDs to remove


def _driver_line(driver: Driver) -> str:
    signed = "signed" if driver.signed else "not signed"
    return (f"<li><b>{escape(driver.name)}</b> — {escape(driver.driver_class)}, {escape(driver.provider)}, "
            f"version {escape(driver.version)}, {escape(architectures_text(driver.architectures))}, {signed}, "
            f"{size_text(driver.size)} <span style='color: gray'>(CI_ID {driver.ci_id})</span></li>")


def note_item(note: str) -> str:
    """A service note (``warning: ...`` / ``note: ...``) as an HTML list item; warnings in orange."""
    warning = note.startswith("warning:")
    text = escape(note.split(":", 1)[1].strip() if note.startswith(("warning:", "note:")) else note)
    text = text[:1].upper() + text[1:]
    return f"<li style='color: #b35900'>{text}</li>" if warning else f"<li>{text}</li>"


class DriverPlanPage(QWizardPage):
    def __init__(self, console: ConsoleServices, tasks: TaskRunner, package: Any, change: Callable[[], Change],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Summary")
        self._console = console
        self._tasks = tasks
        self._package = package
        self._change = change
        self._token: object | None = None
        self.view: DriverPlanView | None = None
        self.error: BaseException | None = None
        self.text = QTextBrowser()
        self.text.setAccessibleName("Summary")
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)

    def initializePage(self) -> None:
        add, remove = self._change()
        self.view = None
        self.error = None
        self.setSubTitle("Check the change. Nothing has been changed yet; Next saves it.")
        self.text.setHtml("<p>Working out the change…</p>")
        token = object()
        self._token = token
        pid = self._package["PackageID"]
        self._tasks.run(lambda ctx: load_plan(self._console, pid, add, remove),
                        on_success=lambda view: self._planned(token, view), on_error=lambda exc: self._failed(token, exc),
                        description="Planning the driver change")
        self.completeChanged.emit()

    def cleanupPage(self) -> None:
        self._token = None

    def isComplete(self) -> bool:
        return self.view is not None

    def _planned(self, token: object, view: DriverPlanView) -> None:
        if token is not self._token:
            return
        self.view = view
        self.text.setHtml(self.describe(view))
        self.completeChanged.emit()

    def _failed(self, token: object, exc: BaseException) -> None:
        if token is not self._token:
            return
        self.error = exc
        if isinstance(exc, ValidationError):
            items = "".join(f"<li>{escape(p.message)}</li>" for p in exc.problems)
        else:
            items = f"<li>{escape(error_text(exc))}</li>"
        self.setSubTitle("The change cannot be made. Nothing was changed; go Back to correct it, or Cancel.")
        self.text.setHtml(f"<p style='color: #c0392b'><b>The change was refused:</b></p><ul style='color: #c0392b'>{items}</ul>")

    def describe(self, view: DriverPlanView) -> str:
        plan, pkg = view.plan, self._package
        arch = pkg.get("Architecture") or "architecture not known yet"
        parts = [f"<p>Boot image: <b>{escape(pkg['Name'])}</b> ({escape(plan.package_id)}, {escape(arch)})</p>"]
        if plan.added:
            parts.append(f"<p><b>Drivers to add ({len(plan.added)}):</b></p><ul>{''.join(_driver_line(d) for d in plan.added)}</ul>")
        if view.removed:
            lines = "".join(_driver_line(d) if d is not None else f"<li>Driver {ci_id} (not in the catalog)</li>"
                            for ci_id, d in view.removed)
            parts.append(f"<p><b>Drivers to remove ({len(view.removed)}):</b></p><ul>{lines}</ul>")
        count = len(plan.referenced)
        parts.append(f"<p><b>After the change:</b> {count} driver(s), {size_text(view.size_after)} of driver files "
                     f"(now {view.count_before}, {size_text(view.size_before)}).</p>")
        if plan.notes:
            parts.append(f"<p><b>Check before you continue:</b></p><ul>{''.join(note_item(n) for n in plan.notes)}</ul>")
        parts.append("<p>The drivers are recorded with the boot image; they are added to the WIM file when "
                     "customized boot images are built (not available in this console yet).</p>")
        return "".join(parts)
