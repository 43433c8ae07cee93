"""The Drivers node (Software Library › Operating Systems › Drivers): the driver catalog.

Lists the catalog (read page by page in the background, searched and sorted in the database:
``DriverCatalogModel``) and
runs Import Driver…, Enable, Disable, Delete and Properties through the driver service.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from console.core.changes import Changes
from console.core.console_services import ConsoleServices
from console.core.drivers import Driver
from console.core.errors import ConsoleError, error_text
from console.ui.dialogs.folder_dialogs import confirm_delete
from console.ui.icons import icon
from console.ui.models.driver_catalog_model import SERVER_SORTS, DriverCatalogModel
from console.ui.models.driver_columns import CATALOG_COLUMNS
from console.ui.record_views import DRIVER_SEARCH_HINT, record_view, search_field, size_columns
from console.ui.tasks import TaskRunner

FILTER_DELAY_MS = 200
#: the next page is read when the list is scrolled to within this many rows of its end
FETCH_MARGIN_ROWS = 20
ERROR_STYLE = "color: #c0392b;"


class ConfirmDriverDelete:
    @classmethod
    def ask(cls, parent: QWidget | None, drivers: Sequence[tuple[int, str]]) -> bool:
        """``drivers``: (CI_ID, name). Lists exactly what will be deleted."""
        return confirm_delete(
            parent, "Delete Drivers" if len(drivers) > 1 else "Delete Driver",
            f"Delete {len(drivers)} driver(s) from the driver catalog?", drivers,
            "The driver files in their source folders are not touched. A driver that a boot "
            "image uses is not deleted: remove it from the boot image first.",
        )


def _action(parent: QWidget, text: str, icon_name: str, tip: str, shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:
    action = QAction(icon(icon_name), text, parent)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return action


class DriversPage(QWidget):
    import_requested = Signal()
    status_changed = Signal(str)  # the page's status-bar text
    actions_changed = Signal()  # which actions apply changed (selection, reload)
    changed = Signal(object)  # Changes of enable/disable/delete
    message = Signal(str)  # one-line outcome for the status bar

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self._generation = 0
        self.loading = False
        self._read_once = False
        self.total = 0
        self.title = QLabel("Drivers")
        self.title.setObjectName("pageTitle")
        self.filter = search_field(DRIVER_SEARCH_HINT, "Search drivers")
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.filter, 2)

        # The window's own Delete, Properties and Refresh (toolbar, menus, Delete/Alt+Enter/F5)
        # act on this page while it is shown; these actions are the list's context menu.
        self.import_action = _action(self, "&Import Driver…", "driver", "Scan a folder for driver INF files and import them")
        self.enable_action = _action(self, "&Enable", "enable", "Enable the selected drivers (only enabled drivers can be added to boot images)")
        self.disable_action = _action(self, "Disa&ble", "disable", "Disable the selected drivers (boot images that use them keep them)")
        self.delete_action = _action(self, "&Delete", "delete", "Delete the selected drivers from the catalog")
        self.properties_action = _action(self, "&Properties", "properties", "Show the driver's INF, folder and hardware IDs")
        self.refresh_action = _action(self, "Re&fresh", "refresh", "Read the driver catalog again")

        self.model = DriverCatalogModel(console, tasks, self)
        self._keep_selected: list[int] = []
        self.view = record_view("Driver catalog", extended_selection=True)
        self.view.setModel(self.model)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.scopes_action = _action(self, "&Set Security Scopes…", "administration",
                                     "Choose the security scopes of the driver (who may see and change it)")
        self.scopes_action.triggered.connect(self.set_scopes)
        self.view.addActions([self.properties_action, self.enable_action, self.disable_action, self.delete_action,
                              self.scopes_action, self.import_action, self.refresh_action])
        self.view.header().setSectionsMovable(True)
        size_columns(self.view, CATALOG_COLUMNS)
        self.view.header().sortIndicatorChanged.connect(self._sort_indicator_changed)
        self.model.modelAboutToBeReset.connect(self._reading)
        scroll = self.view.verticalScrollBar()
        scroll.valueChanged.connect(self._scrolled)
        scroll.rangeChanged.connect(lambda _low, _high: self._scrolled())
        self.model.page_loaded.connect(self._page_loaded)
        self.model.load_failed.connect(self._load_failed)
        self.model.rows_refreshed.connect(self._rows_refreshed)
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Message")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.counts = QLabel(self)  # the page's status text, shown in the window's status bar
        self.counts.setAccessibleName("Driver count")
        self.counts.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.banner)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(FILTER_DELAY_MS)
        self._debounce.timeout.connect(self.refresh)
        self.filter.textChanged.connect(lambda _text: self._debounce.start())
        self.filter.returnPressed.connect(self.apply_filter_now)
        self.import_action.triggered.connect(self.import_requested)
        self.enable_action.triggered.connect(lambda: self.set_enabled(True))
        self.disable_action.triggered.connect(lambda: self.set_enabled(False))
        self.delete_action.triggered.connect(self.delete_selected)
        self.properties_action.triggered.connect(self.show_properties)
        self.refresh_action.triggered.connect(self.refresh)
        self.view.doubleClicked.connect(lambda _index: self.show_properties())
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self.view.installEventFilter(self)
        self._update_actions()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the list opens the driver's properties (Delete, Alt+Enter and F5 are the
        window's shortcuts, which act on the current page)."""
        if (watched is self.view and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            if self.properties_action.isEnabled():
                self.properties_action.trigger()
            return True
        return super().eventFilter(watched, event)

    def status_text(self) -> str:
        return self.counts.text()

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the catalog again from its first page (in the background), keeping the selection."""
        self._debounce.stop()
        self.model.load(self.filter.text().strip())

    def _reading(self) -> None:
        """The model starts again from the first page (refresh, search or a new sort order)."""
        if not self.loading:
            self._keep_selected = self.selected_ids()
        self.loading = True
        self._set_status("Reading the driver catalog…")

    def apply_filter_now(self) -> None:
        self.refresh()

    def _sort_indicator_changed(self, column: int, order: Qt.SortOrder) -> None:
        """Columns the database cannot sort by (no index) keep the current order and arrow."""
        if SERVER_SORTS.get(self.model.headers[column]) is None:
            header = self.view.header()
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column(),
                                    Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)

    def _scrolled(self, *_args: object) -> None:
        """The list is scrolled (or Ctrl+End went) to the last rows read: read the next page."""
        scroll = self.view.verticalScrollBar()
        if scroll.value() >= scroll.maximum() - FETCH_MARGIN_ROWS:
            self.model.fetch_next()

    def _page_loaded(self, _count: int) -> None:
        if self.loading:  # the first page of a new read
            self.loading = False
            self._read_once = True
            self.total = self.model.total
            self.select_ids(self._keep_selected)
        self._update_counts()
        self._update_actions()

    def _rows_refreshed(self) -> None:
        self.total = self.model.total
        self._update_counts()
        self._update_actions()

    def _load_failed(self, text: str) -> None:
        self.loading = False
        self._set_status("")
        self.show_message(f"The driver catalog cannot be read: {text}", error=True)

    # -- selection -------------------------------------------------------------------------

    def selected_drivers(self) -> list[Driver]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.record(r) for r in rows]

    def selected_ids(self) -> list[int]:
        return [d.ci_id for d in self.selected_drivers()]

    def select_ids(self, ci_ids: Sequence[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        first = True
        for ci_id in ci_ids:
            row = self.model.row_of(ci_id)
            if row is None:
                continue
            flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
            if first:
                selection.setCurrentIndex(self.model.index(row, 0), flags)
                first = False
            else:
                selection.select(self.model.index(row, 0), flags)

    def _update_actions(self, *_args: object) -> None:
        drivers = self.selected_drivers()
        self.enable_action.setEnabled(any(not d.is_enabled for d in drivers))
        self.disable_action.setEnabled(any(d.is_enabled for d in drivers))
        self.delete_action.setEnabled(bool(drivers))
        self.properties_action.setEnabled(len(drivers) == 1)
        self.scopes_action.setEnabled(len(drivers) == 1)
        self._update_counts()
        self.actions_changed.emit()

    def _update_counts(self) -> None:
        if self.loading or not self._read_once:
            return
        disabled = self.model.disabled
        text = f"{self.total:,} driver(s)" + (" matching the search" if self.filter.text().strip() else "")
        if disabled:
            text += f", {disabled} disabled"
        selected = len(self.view.selectionModel().selectedRows())
        if selected:
            text += f", {selected} selected"
        if not self.total and not self.filter.text().strip():
            text = "The driver catalog is empty. Import Driver… reads the INF files of a folder into it."
        self._set_status(text)

    def _set_status(self, text: str) -> None:
        self.counts.setText(text)
        self.status_changed.emit(text)

    # -- actions ---------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(ERROR_STYLE if error else "")
        self.banner.setVisible(bool(text))

    def _run(self, description: str, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def failed(exc: BaseException) -> None:
            self.show_message(error_text(exc), error=True)
            self.refresh()

        self.show_message("")
        self.tasks.run(lambda ctx: fn(), on_success=done, on_error=failed, description=description)

    def set_enabled(self, enabled: bool) -> None:
        ids = [d.ci_id for d in self.selected_drivers() if d.is_enabled != enabled]
        if not ids:
            return
        word = "Enabled" if enabled else "Disabled"

        def done(result: Any) -> None:
            self._changed(f"{word} {len(ids)} driver(s): {', '.join(str(i) for i in ids)}", result.changes)

        self._run(f"{word[:-1]}ing drivers", lambda: self.console.drivers.set_enabled(ids, enabled), done)

    def delete_selected(self) -> None:
        """Check first which selected drivers boot images use (those cannot be deleted, and the
        page says which boot images use them), then ask about the others."""
        drivers = self.selected_drivers()
        if not drivers:
            return
        ids = [d.ci_id for d in drivers]
        self.tasks.run(lambda ctx: self.console.drivers.referencing_packages(ids),
                       on_success=lambda users: self._ask_delete(drivers, users),
                       on_error=lambda exc: self.show_message(error_text(exc), error=True),
                       description="Checking which boot images use the drivers")

    def _ask_delete(self, drivers: list[Driver], users: dict[int, list[tuple[str, str]]]) -> None:
        refused = [
            f"Driver {d.ci_id} ({d.name}) is used by boot image(s) "
            f"{', '.join(f'{pid} ({name})' for pid, name in users[d.ci_id])}: remove it from them first; it is not deleted."
            for d in drivers if d.ci_id in users
        ]
        free = [d for d in drivers if d.ci_id not in users]
        self.show_message(" ".join(refused), error=True)
        if not free or not ConfirmDriverDelete.ask(self, [(d.ci_id, d.name) for d in free]):
            return
        ids = [d.ci_id for d in free]
        self._run("Deleting drivers", lambda: _delete_each(self.console, ids),
                  lambda outcome: self._deleted(outcome, refused))

    def _deleted(self, outcome: tuple[list[int], list[str], Changes], refused_before: list[str]) -> None:
        deleted, refused, changes = outcome
        text = f"Deleted {len(deleted)} driver(s): {', '.join(str(i) for i in deleted)}." if deleted else ""
        self._changed(text, changes)
        if refused or refused_before:
            self.show_message(" ".join([text, *refused_before, *refused]).strip(), error=True)

    def _changed(self, text: str, changes: Changes) -> None:
        self.show_message(text)
        if text:
            self.message.emit(text)
        self.changed.emit(changes)
        self.model.refresh_rows(self.model.key_of)  # in place: the selection and scroll position stay

    def show_properties(self) -> None:
        from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog

        drivers = self.selected_drivers()
        if len(drivers) != 1:
            return
        dialog = DriverPropertiesDialog(self.console, self.tasks, drivers[0].ci_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def set_scopes(self) -> None:
        """Set Security Scopes… of the selected driver."""
        from console.ui.dialogs.security_scopes_dialog import SecurityScopesDialog

        drivers = self.selected_drivers()
        if len(drivers) == 1:
            dialog = SecurityScopesDialog(self.console, str(drivers[0].ci_id), f"{drivers[0].name} ({drivers[0].ci_id})",
                                          self.tasks, self, kind="driver")
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()


def _delete_each(console: ConsoleServices, ci_ids: Sequence[int]) -> tuple[list[int], list[str], Changes]:
    """Runs on a worker thread: delete one by one; refusals (a boot image uses it) are collected."""
    deleted: list[int] = []
    refused: list[str] = []
    changes = Changes()
    for ci_id in ci_ids:
        try:
            changes |= console.drivers.delete(ci_id).changes
            deleted.append(ci_id)
        except ConsoleError as exc:
            refused.append(exc.message[:1].upper() + exc.message[1:])
    return deleted, refused, changes
