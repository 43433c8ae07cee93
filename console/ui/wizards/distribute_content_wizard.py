"""Distribute Content wizard: General (the content) → Content Destination (Add ▸ Distribution
Point / Distribution Point Group) → Summary → Progress → Completion.

Several packages at once. Distribution points that already hold every selected package are
not offered. Progress assigns each package (``console.content.distribute``: one job per new
(package, DP) that a worker runs); a package that is refused does not stop the others, and
Completion says which were queued and which not, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.distribution import DistributionPoint, DpGroup
from console.core.errors import error_text
from console.ui.tasks import TaskContext, TaskRunner
from console.ui.wizards.destination_chooser import DestinationChooser
from console.ui.wizards.pages import CompletionPage, ProgressPage, SummaryPage, WizardBase

DP, GROUP = "Distribution point", "Distribution point group"


@dataclass
class DistributeInput:
    """What the wizard offers, read before it opens (``load_input``)."""

    packages: list[tuple[str, str]]  # (PackageID, Name)
    points: list[DistributionPoint]
    groups: list[DpGroup]
    holding: dict[str, set[str]] = field(default_factory=dict)  # PackageID -> DP names that have a row


@dataclass
class DistributeOutcome:
    queued: list[Any] = field(default_factory=list)  # console.content Queued results
    failed: list[tuple[str, str]] = field(default_factory=list)  # (PackageID, why)
    changes: Changes = field(default_factory=Changes)


def load_input(console: ConsoleServices, package_ids: list[str]) -> DistributeInput:
    """Runs on a worker thread."""
    packages = [(pid, str(console.packages.get(pid)["Name"])) for pid in package_ids]
    holding = {pid: {r.dp_name for r in console.content.content_status(pid, limit=None).items} for pid in package_ids}
    return DistributeInput(packages, console.distribution_points.list(), console.dp_groups.list(), holding)


def _table(headers: list[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setAccessibleName(name)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTabKeyNavigation(False)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _set_rows(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()


class GeneralPage(QWizardPage):
    def __init__(self, data: DistributeInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("General")
        self.setSubTitle("The content to distribute.")
        self.table = _table(["Package ID", "Name", "Now on"], "Content")
        _set_rows(self.table, [(pid, name, f"{len(data.holding.get(pid, ()))} distribution point(s)")
                               for pid, name in data.packages])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(data.packages)} package(s) will be distributed:"))
        layout.addWidget(self.table, 1)


class DestinationPage(QWizardPage):
    def __init__(self, data: DistributeInput, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.setTitle("Content Destination")
        self.setSubTitle("Add the distribution points or groups that receive the content.")
        self.destinations: list[tuple[str, str]] = []  # (kind, name)
        self.chooser: DestinationChooser | None = None
        self.table = _table(["Name", "Type", "Description"], "Content destinations")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton("&Add")
        self.add_menu = QMenu(self.add_button)
        self.add_dp_action = QAction("&Distribution Point…", self.add_menu)
        self.add_group_action = QAction("Distribution Point &Group…", self.add_menu)
        self.add_menu.addActions([self.add_dp_action, self.add_group_action])
        self.add_button.setMenu(self.add_menu)
        self.add_dp_action.triggered.connect(lambda: self.open_chooser(DP))
        self.add_group_action.triggered.connect(lambda: self.open_chooser(GROUP))
        self.remove_button = QPushButton("&Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.note = QLabel()
        self.note.setObjectName("hint")
        self.note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        self._update_buttons()

    def offered_points(self) -> list[DistributionPoint]:
        """DPs that lack at least one selected package and are not chosen yet."""
        chosen = {n for k, n in self.destinations if k == DP}
        pids = [pid for pid, _name in self.data.packages]
        return [dp for dp in self.data.points if dp.name not in chosen
                and any(dp.name not in self.data.holding.get(pid, set()) for pid in pids)]

    def offered_groups(self) -> list[DpGroup]:
        chosen = {n for k, n in self.destinations if k == GROUP}
        return [g for g in self.data.groups if g.name not in chosen]

    def open_chooser(self, kind: str) -> DestinationChooser:
        if kind == DP:
            points = self.offered_points()
            have_all = len(self.data.points) - len(points) - sum(1 for k, _n in self.destinations if k == DP)
            note = (f"{have_all} distribution point(s) already hold all the selected content and are not listed."
                    if have_all > 0 else "")
            entries = [(dp.name, dp.description or f"{dp.transport.value}: {dp.address}") for dp in points]
            chooser = DestinationChooser("Add Distribution Points", entries, note, self)
        else:
            entries = [(g.name, f"{len(g.members)} member(s)" + (f" — {g.description}" if g.description else ""))
                       for g in self.offered_groups()]
            chooser = DestinationChooser("Add Distribution Point Groups", entries, "", self)
        chooser.accepted.connect(lambda: self.add(kind, chooser.chosen()))
        self.chooser = chooser
        chooser.open()
        return chooser

    def add(self, kind: str, names: list[str]) -> None:
        known = set(self.destinations)
        self.destinations += [(kind, n) for n in names if (kind, n) not in known]
        self._show()

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        self.destinations = [d for i, d in enumerate(self.destinations) if i not in rows]
        self._show()

    def _show(self) -> None:
        descriptions = {dp.name: dp.description or dp.address for dp in self.data.points}
        groups = {g.name: f"{len(g.members)} member(s)" for g in self.data.groups}
        _set_rows(self.table, [(n, k, descriptions.get(n, "") if k == DP else groups.get(n, ""))
                               for k, n in self.destinations])
        self._update_buttons()
        self.completeChanged.emit()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        if not self.data.points:
            self.note.setText("This site has no distribution points yet: add them in Administration › "
                              "Distribution Points.")
        else:
            self.note.setText("")
        self.note.setVisible(bool(self.note.text()))

    def isComplete(self) -> bool:
        return bool(self.destinations)

    def dp_names(self) -> list[str]:
        return [n for k, n in self.destinations if k == DP]

    def group_names(self) -> list[str]:
        return [n for k, n in self.destinations if k == GROUP]


class DistributeContentWizard(WizardBase):
    """``applied(Changes)`` after assignments were queued."""

    applied = Signal(object)

    def __init__(self, console: ConsoleServices, data: DistributeInput, tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__("Distribute Content", parent)
        self.console = console
        self.data = data
        self.general = GeneralPage(data)
        self.destination = DestinationPage(data)
        self.summary = SummaryPage(self._summary)
        self.summary.setSubTitle("Check the content and destinations. Nothing has been changed yet; Next distributes.")
        self.progress = ProgressPage(tasks, self._work, "Distributing content")
        self.completion = CompletionPage(self._completion, self.progress)
        for page in (self.general, self.destination, self.summary, self.progress, self.completion):
            self.addPage(page)
        self.progress.succeeded.connect(self._done)

    def _summary(self) -> str:
        content = "".join(f"<li>{escape(pid)} — {escape(name)}</li>" for pid, name in self.data.packages)
        dps = self.destination.dp_names()
        groups = self.destination.group_names()
        parts = [f"<p>Content ({len(self.data.packages)}):</p><ul>{content}</ul>"]
        if dps:
            parts.append(f"<p>Distribution points ({len(dps)}):</p><ul>"
                         + "".join(f"<li>{escape(n)}</li>" for n in dps) + "</ul>")
        if groups:
            parts.append(f"<p>Distribution point groups ({len(groups)}): every member receives the content, and "
                         "distribution points added to the group later too.</p><ul>"
                         + "".join(f"<li>{escape(n)}</li>" for n in groups) + "</ul>")
        parts.append("<p>Each new (package, distribution point) pair is queued as a job that a worker runs: only "
                     "files the server lacks are sent, each verified by its hash there. Closing the wizard or the "
                     "console does not stop it; follow it in Monitoring › Content Status.</p>")
        return "".join(parts)

    def _work(self, ctx: TaskContext) -> DistributeOutcome:
        outcome = DistributeOutcome()
        dps, groups = self.destination.dp_names(), self.destination.group_names()
        total = len(self.data.packages)
        for done, (pid, _name) in enumerate(self.data.packages):
            ctx.report(done, total, f"Distributing {pid}…")
            try:
                result = self.console.content.distribute(pid, dp_names=dps, group_names=groups)
            except Exception as exc:  # one refused package does not stop the others
                outcome.failed.append((pid, error_text(exc)))
                continue
            outcome.queued.append(result.value)
            outcome.changes = outcome.changes | result.changes
        return outcome

    def _done(self, outcome: DistributeOutcome) -> None:
        if outcome.queued:
            self.applied.emit(outcome.changes)

    def _completion(self, outcome: DistributeOutcome | None) -> str:
        if outcome is None:
            return ""
        parts = []
        for queued in outcome.queued:
            new = ", ".join(queued.dps) or "none (every destination had it already)"
            parts.append(f"<li><b>{escape(queued.package_id)}</b>: {len(queued.context_ids)} job(s) queued; "
                         f"new distribution points: {escape(new)}</li>")
        text = f"<p>Distribution queued for {len(outcome.queued)} package(s):</p><ul>{''.join(parts)}</ul>" if parts else ""
        if outcome.failed:
            self.completion.setSubTitle("Some content was not distributed.")
            text += ("<p style='color:#c0392b'>Not distributed:</p><ul>"
                     + "".join(f"<li><b>{escape(pid)}</b>: {escape(why)}</li>" for pid, why in outcome.failed) + "</ul>")
        text += "<p>A worker process sends the content. Follow it in Monitoring › Distribution Status › Content Status.</p>"
        return text



