"""Administration › Distribution Points: the site's distribution points (transport, address,
PXE, content installed / in progress / failed, free space, last contact) and the distribution
point groups, with Add, Properties, Remove (saying what content it holds), Test Connection,
and Create / Edit / Remove Group. Every service call runs through ``TaskRunner``."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from console.core.console_services import ConsoleServices
from console.core.distribution import ContentSummary, DistributionPoint, DpGroup, ProbeReport
from console.core.errors import error_text
from console.core.services.content_distribution import Page
from console.core.services.distribution_points import CREDENTIAL_PREFIX, EDITABLE
from console.core.services.network_boot import PxeStatus
from console.core.sizes import human_bytes
from console.ui.icons import icon
from console.ui.live import LiveRefresh
from console.ui.models.dp_models import DistributionPointsModel, DpGroupsModel, SortRole
from console.ui.models.paged_model import RESIZE_PRECISION
from console.ui.tasks import TaskRunner
from console.ui.views.dp_remove import SHOWN, remove_question
from console.ui.views.panes import pane, vertical_split

EMPTY_TEXT = ("No distribution points yet. Add Distribution Point adds a server that keeps the site's content "
              "library: a folder (local or mounted), a Windows share (SMB) or a Linux server (SSH).")
ERROR_STYLE = "color: #c0392b;"
OK_STYLE = "color: #1e7b34;"
MAX_COLUMN = 260


def _table(name: str, model: Any) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    view = QTableView()
    view.setModel(proxy)
    view.setAccessibleName(name)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setResizeContentsPrecision(RESIZE_PRECISION)  # fit columns to the first rows only
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
    return view, proxy


class DistributionPointsPage(QWidget):
    """``changed`` after anything was added, edited or removed (the window refreshes what
    shows content status)."""

    status_changed = Signal(str)
    changed = Signal()
    loaded = Signal()
    actions_changed = Signal()

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self._status = ""
        self.dialog: QWidget | None = None
        self.confirmation: QMessageBox | None = None
        self.title = QLabel("Distribution Points")
        self.title.setObjectName("pageTitle")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search distribution points and groups")
        self.search.setAccessibleName("Search distribution points")
        self.search.setClearButtonEnabled(True)
        self.model = DistributionPointsModel(self)
        self.view, self.proxy = _table("Distribution points", self.model)
        self.groups_model = DpGroupsModel(self)
        self.groups_view, self.groups_proxy = _table("Distribution point groups", self.groups_model)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.search.textChanged.connect(self.groups_proxy.setFilterFixedString)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Distribution points message")
        self.message.setTextFormat(Qt.TextFormat.RichText)

        self.add_action = self._action("&Add Distribution Point…", "add", "Add a server that keeps content", self.add_point)
        self.properties_action = self._action("&Properties", "properties", "Edit the selected distribution point",
                                              self.edit_point)
        self.remove_action = self._action("&Remove…", "delete", "Remove the selected distribution point", self.ask_remove)
        self.delete_action = self.remove_action  # the window's Delete
        self.test_action = self._action("&Test Connection", "refresh",
                                        "Write, read back and delete a probe file; report free space", self.test_point)
        self.add_group_action = self._action("&Create Group…", "new-folder", "Create a distribution point group",
                                             self.add_group)
        self.edit_group_action = self._action("&Edit Group…", "properties", "Edit the selected group", self.edit_group)
        self.remove_group_action = self._action("Remo&ve Group…", "delete", "Remove the selected group",
                                                self.ask_remove_group)
        self.scopes_action = self._action("&Set Security Scopes…", "administration",
                                          "Choose the security scopes of the distribution point", self.set_scopes)
        self.view.addActions([self.add_action, self.properties_action, self.test_action, self.scopes_action,
                              self.remove_action])
        self.groups_view.addActions([self.add_group_action, self.edit_group_action, self.remove_group_action])
        self.view.activated.connect(lambda _i: self.edit_point())
        self.groups_view.activated.connect(lambda _i: self.edit_group())
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self.groups_view.selectionModel().selectionChanged.connect(self._update_actions)

        bar = QHBoxLayout()
        bar.addWidget(self._toolbar("Distribution point actions", [self.add_action, self.properties_action,
                                                                   self.test_action, self.remove_action]), 1)
        bar.addWidget(self.search, 1)
        group_bar = QHBoxLayout()
        groups_title = QLabel("Distribution Point Groups")
        groups_title.setObjectName("sectionTitle")
        group_bar.addWidget(groups_title)
        group_bar.addStretch(1)
        group_bar.addWidget(self._toolbar("Group actions", [self.add_group_action, self.edit_group_action,
                                                            self.remove_group_action]))
        self.splitter = vertical_split([pane(bar, self.empty, (self.view, 1)), pane(group_bar, (self.groups_view, 1))],
                                       [460, 220])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)
        self.empty.hide()
        self._update_actions()
        # live: content states, free space, last contact and edits from other consoles follow
        self.live = LiveRefresh(self, tasks, console.content.change_token, lambda: self.refresh(live=True))

    def _action(self, text: str, icon_name: str, tip: str, slot: Callable[[], None]) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setObjectName(text.replace("&", "").replace("…", "").replace(" ", "_").lower())
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _toolbar(self, name: str, actions: list[QAction]) -> QToolBar:
        """Buttons that fold into the toolbar's » menu when the page is narrow."""
        toolbar = QToolBar(name, self)
        toolbar.setAccessibleName(name)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(toolbar.iconSize() * 0.75)
        toolbar.addActions(actions)
        return toolbar

    # -- loading ---------------------------------------------------------------------------

    def status_text(self) -> str:
        return self._status

    def refresh(self, live: bool = False) -> None:
        """Read the list again; ``live`` (the change poll): rows are updated in place (the
        selection, the current row and the scroll position stay; columns keep their widths)."""
        console = self.console

        def read(_ctx: Any) -> tuple[list[tuple[DistributionPoint, ContentSummary]], list[DpGroup]]:
            summaries = console.content.dp_summaries()
            points = [(dp, summaries.get(dp.name) or ContentSummary(dp.name)) for dp in console.distribution_points.list()]
            return points, console.dp_groups.list()

        self.tasks.run(read, on_success=lambda r: self._loaded(*r, live=live) if isValid(self) else None,
                       on_error=lambda exc: self._say(f"The distribution points cannot be read: {error_text(exc)}", ERROR_STYLE)
                       if isValid(self) else None,
                       description="" if live else "Reading distribution points")

    def _loaded(self, points: list[tuple[DistributionPoint, ContentSummary]], groups: list[DpGroup], *,
                live: bool = False) -> None:
        if live:
            self.model.replace_rows(points, lambda row: row[0].name)
            self.groups_model.replace_rows(groups, lambda group: group.name)
        else:
            self.model.set_points(points)
            self.groups_model.set_groups(groups)
        for view in (self.view, self.groups_view) if not live else ():
            view.resizeColumnsToContents()
            for column in range(view.model().columnCount() - 1):
                view.setColumnWidth(column, min(view.columnWidth(column), MAX_COLUMN))
        self.empty.setVisible(not points)
        self._status = f"{len(points):,} distribution point(s), {len(groups):,} group(s)"
        self.status_changed.emit(self._status)
        self._update_actions()
        self.loaded.emit()

    def selected_point(self) -> DistributionPoint | None:
        index = self.proxy.mapToSource(self.view.currentIndex())
        if not index.isValid() or not self.view.selectionModel().hasSelection():
            return None
        return self.model.point(index.row())

    def selected_group(self) -> DpGroup | None:
        index = self.groups_proxy.mapToSource(self.groups_view.currentIndex())
        if not index.isValid() or not self.groups_view.selectionModel().hasSelection():
            return None
        return self.groups_model.group(index.row())

    def select_point(self, name: str) -> None:
        for row in range(self.proxy.rowCount()):
            if self.model.point(self.proxy.mapToSource(self.proxy.index(row, 0)).row()).name == name:  # type: ignore[union-attr]
                self.view.selectRow(row)
                return

    def set_scopes(self) -> None:
        """Set Security Scopes… of the selected distribution point."""
        from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog

        point = self.selected_point()
        if point is not None:
            dialog = SecurityScopesDialog(self.console, point.name, point.name, self.tasks, self, kind="distribution point")
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

    def _update_actions(self, *_: Any) -> None:
        point = self.selected_point() is not None
        for action in (self.properties_action, self.remove_action, self.test_action, self.scopes_action):
            action.setEnabled(point)
        group = self.selected_group() is not None
        self.edit_group_action.setEnabled(group)
        self.remove_group_action.setEnabled(group)
        self.actions_changed.emit()

    def _say(self, text: str, style: str = "") -> None:
        self.message.setStyleSheet(style)
        self.message.setText(text)

    def _done(self, text: str) -> None:
        self._say(html.escape(text), OK_STYLE)
        self.changed.emit()
        self.refresh()

    # -- distribution points ---------------------------------------------------------------

    def add_point(self) -> None:
        sites = self.console.sites
        self.tasks.run(lambda _ctx: sites.local().code,
                       on_success=lambda code: self._open_point(None, False, code) if isValid(self) else None,
                       description="Reading the site")

    def edit_point(self) -> None:
        dp = self.selected_point()
        if dp is None:
            return
        service = self.console.distribution_points
        self.tasks.run(lambda _ctx: service.get(dp.name),
                       on_success=lambda fresh: self._open_point(fresh, fresh.credential.startswith(CREDENTIAL_PREFIX))
                       if isValid(self) else None,
                       description=f"Reading {dp.name}")

    def _open_point(self, dp: DistributionPoint | None, password_set: bool, site_code: str = "") -> None:
        from console.ui.dialogs.dp_dialog import DistributionPointDialog

        service = self.console.distribution_points
        site = site_code if dp is None else dp.site_code

        def save(point: DistributionPoint, password: str | None) -> DistributionPoint:
            if dp is None:
                return service.add(point, password=password).value
            changes = {name: getattr(point, name) for name in EDITABLE if getattr(point, name) != getattr(dp, name)}
            return service.edit(dp.name, expected_version=dp.version, password=password, **changes).value

        dialog = DistributionPointDialog(self.tasks, site, save, lambda point, pw: service.test(point, password=pw),
                                         existing=dp, password_set=password_set, parent=self,
                                         network_boot=self._network_boot(dp))
        dialog.saved.connect(lambda saved: self._done(f"Distribution point {saved.name} saved."))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def _network_boot(self, dp: DistributionPoint | None) -> Callable[[], PxeStatus] | None:
        console = self.console  # the service is reached on the worker thread
        return None if dp is None else lambda: console.network_boot.status(dp.name)

    def ask_remove(self) -> None:
        dp = self.selected_point()
        if dp is None:
            return
        content = self.console.content
        self.tasks.run(lambda _ctx: content.packages_on_dp(dp.name, limit=SHOWN),
                       on_success=lambda page: self._confirm_remove(dp, page) if isValid(self) else None,
                       description=f"Reading the content of {dp.name}")

    def _confirm_remove(self, dp: DistributionPoint, page: Page) -> None:
        box, confirm = remove_question(self, dp, page.items, page.total)

        def answered(_result: int) -> None:
            self.confirmation = None
            if box.clickedButton() is confirm and isValid(self):
                self.remove_point(dp.name)

        box.finished.connect(answered)
        self.confirmation = box
        box.open()

    def remove_point(self, name: str) -> None:
        service = self.console.distribution_points
        self.tasks.run(lambda _ctx: service.remove(name, force=True),
                       on_success=lambda _r: self._done(f"Distribution point {name} removed.") if isValid(self) else None,
                       on_error=lambda exc: self._say(html.escape(f"{name} was not removed: {error_text(exc)}"), ERROR_STYLE)
                       if isValid(self) else None,
                       description=f"Removing distribution point {name}")

    def test_point(self) -> None:
        dp = self.selected_point()
        if dp is None:
            return
        self._say(html.escape(f"Testing {dp.name} ({dp.address})…"))
        service = self.console.distribution_points
        self.tasks.run(lambda _ctx: service.test(dp.name),
                       on_success=lambda report: self._tested(dp, report) if isValid(self) else None,
                       on_error=lambda exc: self._say(html.escape(f"{dp.name}: {error_text(exc)}"), ERROR_STYLE)
                       if isValid(self) else None,
                       description=f"Testing {dp.name}")

    def _tested(self, dp: DistributionPoint, report: ProbeReport) -> None:
        if report.ok:
            free = human_bytes(report.free_bytes, unknown="unknown")
            self._say(html.escape(f"{dp.name}: {report.message}; free space {free}."), OK_STYLE)
            self.refresh()  # free space and last contact changed
        else:
            self._say(html.escape(f"{dp.name}: {report.message}"), ERROR_STYLE)

    # -- groups ----------------------------------------------------------------------------

    def add_group(self) -> None:
        self._open_group(None)

    def edit_group(self) -> None:
        group = self.selected_group()
        if group is not None:
            self._open_group(group)

    def _open_group(self, group: DpGroup | None) -> None:
        from console.ui.dialogs.dp_group_dialog import DpGroupDialog

        service = self.console.dp_groups
        points = [self.model.point(row) for row in range(self.model.rowCount())]

        def save(value: DpGroup) -> DpGroup:
            if group is None:
                return service.add(value.name, value.description, value.members).value
            saved = service.edit(group.name, expected_version=group.version, new_name=value.name,
                                 description=value.description).value
            added = [m for m in value.members if m not in group.members]
            gone = [m for m in group.members if m not in value.members]
            if added:
                service.add_members(saved.name, added)
            if gone:
                service.remove_members(saved.name, gone)
            return service.get(saved.name)

        dialog = DpGroupDialog(self.tasks, [p for p in points if p is not None], save, existing=group, parent=self)
        dialog.saved.connect(lambda saved: self._done(f"Distribution point group {saved.name} saved."))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()

    def ask_remove_group(self) -> None:
        group = self.selected_group()
        if group is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Group", f"Remove the group {group.name}?", parent=self)
        box.setInformativeText(f"Its {len(group.members)} member(s) stay, with the content they hold; the group's "
                               "content is no longer sent to distribution points added later.")
        confirm = box.addButton("&Remove", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        service = self.console.dp_groups

        def answered(_result: int) -> None:
            self.confirmation = None
            if box.clickedButton() is confirm and isValid(self):
                self.tasks.run(lambda _ctx: service.remove(group.name, expected_version=group.version),
                               on_success=lambda _r: self._done(f"Group {group.name} removed.") if isValid(self) else None,
                               on_error=lambda exc: self._say(html.escape(error_text(exc)), ERROR_STYLE),
                               description=f"Removing group {group.name}")

        box.finished.connect(answered)
        self.confirmation = box
        box.open()
