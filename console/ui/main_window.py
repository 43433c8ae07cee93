"""The console window. It only wires parts together; each part is its own class."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter, QStackedWidget, QToolBar, QWidget

from console.core.console_services import ConsoleServices
from console.core.ports import Site
from console.ui.actions import ConsoleActions
from console.ui.folder_actions import FolderActions
from console.ui.icons import icon
from console.ui.lazy_pages import LazyPages
from console.ui.live_changes import follow_live_changes
from console.ui.models.navigation_model import NavigationModel, NavKind
from console.ui.models.package_details import load_details
from console.ui.models.package_tree_model import PackageTreeModel
from console.ui.models.roles import FolderIdRole
from console.ui.package_controller import PackageController
from console.ui.settings import UiSettings
from console.ui.tasks import TaskRunner
from console.ui.views.jobs_indicator import JobsIndicator
from console.ui.views.navigation_view import NavigationView
from console.ui.views.packages_page import PackagesPage
from console.ui.views.status_bar import ConsoleStatusBar
from console.ui.wiring import WizardLauncher

DETAILS_DELAY_MS = 150


class MainWindow(QMainWindow):
    def __init__(self, console: ConsoleServices, site: Site, settings: UiSettings | None = None) -> None:
        super().__init__()
        self.console = console
        self.settings = settings or UiSettings()
        identity = console.identity  # who is connected, with which roles (session_user on PostgreSQL)
        self.setWindowTitle(f"Boot Image Console — {site.code} ({site.name}) — {identity.login}")
        self.setWindowIcon(icon("app"))
        self.tasks = TaskRunner(self, error_parent=self)
        self.console_actions = ConsoleActions(self)

        self.navigation_model = NavigationModel(f"{site.code} - {site.name}", self)
        self.package_model = PackageTreeModel(
            console.packages, console.packages.cls, self.tasks,
            load_children=lambda pid: load_details(console, pid).nodes(), parent=self,
        )
        self.controller = PackageController(console, self.tasks, self.package_model, self.navigation_model, self)
        self.wizards = WizardLauncher(console, self.tasks, self.controller, self)

        self.navigation = NavigationView(self.navigation_model)
        self.folder_actions = FolderActions(self.controller, self.navigation, self.navigation_model)
        self.packages_page = PackagesPage(self.package_model)
        self.packages_page.details.follow_content_status(self.tasks, console.content.change_token,
                                                         lambda pid: console.content.summary(pid).line())
        self.pages = QStackedWidget()
        self.pages.addWidget(self.packages_page)
        self.extra_pages = self._build_pages()
        self._overviews: dict[str, QWidget] = {}
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.navigation)
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 1140])
        self.setCentralWidget(self.splitter)
        self.status = ConsoleStatusBar(self.tasks, self)
        self.setStatusBar(self.status)
        self.jobs_indicator = JobsIndicator(console, self.tasks, self.status)
        self.status.addPermanentWidget(self.jobs_indicator)
        self.status.show_identity(identity.summary)
        self.jobs_indicator.finished.connect(lambda text: self.status.showMessage(text, 20000))

        self._build_toolbar_and_menus()
        self._details_timer = QTimer(self)
        self._details_timer.setSingleShot(True)
        self._details_timer.setInterval(DETAILS_DELAY_MS)
        self._details_timer.timeout.connect(self._load_details)
        self._connect()
        self._restore()
        self.navigation.setCurrentIndex(self.navigation_model.boot_images.index())
        self.controller.reload_folders()
        if self.package_model.scope.generation == 0:  # the list's first query is not under way yet
            self.package_model.reload()
        self.live_changes = follow_live_changes(self)  # what other consoles and workers commit

    # -- construction ----------------------------------------------------------------------

    def _build_pages(self) -> LazyPages[NavKind]:
        """The pages other than Boot Images, each built (its module imported) on first use."""
        c, w = self.console, self.wizards

        def sites() -> QWidget:
            from console.ui.views.records_page import RecordsPage

            return RecordsPage(
                "Sites", ["Site code", "Name", "Role"],
                lambda: [(s.code, s.name, "This site" if s.is_local else "Other site of the hierarchy") for s in c.sites.all()],
                self.tasks, "No sites.")

        def status_messages() -> QWidget:
            from console.ui.views.status_messages_page import LOAD_LIMIT, StatusMessagesPage

            return StatusMessagesPage(lambda severity: c.status.query(limit=LOAD_LIMIT, severity=severity or None), self.tasks,
                                      changes=lambda message: c.audit.message_changes(message))

        def audit() -> QWidget:
            from console.ui.views.audit_page import AuditPage

            return AuditPage(lambda query: c.audit.query(query), self.tasks, display=lambda r: c.audit.display_changes(r))

        def jobs() -> QWidget:
            from console.ui.views.jobs_page import JobsPage

            return JobsPage(c, self.tasks)

        return LazyPages({
            NavKind.SITES: sites,
            NavKind.STATUS_MESSAGES: status_messages,
            NavKind.AUDIT: audit,
            NavKind.JOBS: jobs,
            NavKind.DISTRIBUTION_POINTS: w.distribution_points_page,
            NavKind.CONTENT_STATUS: w.content_status_page,
            NavKind.DRIVERS: w.drivers_page,
        }, self._page_built)

    def _page_built(self, kind: NavKind, page: QWidget) -> None:
        """Wires a page when it is first built."""
        self.pages.addWidget(page)
        status_changed = getattr(page, "status_changed", None)
        if status_changed is not None:
            status_changed.connect(lambda _text, page=page: self._show_status(page))
        if kind in (NavKind.DRIVERS, NavKind.DISTRIBUTION_POINTS):
            page.actions_changed.connect(self._selection_changed)  # type: ignore[attr-defined]

    def _overview_page(self, index: QModelIndex) -> QWidget:
        """The page of a group node (built when first shown): its child nodes."""
        key = str(index.data())  # group nodes have unique names
        page = self._overviews.get(key)
        if page is None:
            from console.ui.views.overview_page import OverviewPage

            model = self.navigation_model
            children = [model.index(r, 0, index) for r in range(model.rowCount(index))]
            page = OverviewPage(str(index.data()), children)
            page.open_requested.connect(lambda target: self.navigation.setCurrentIndex(QModelIndex(target)))
            self._overviews[key] = page
            self.pages.addWidget(page)
        return page

    def _build_toolbar_and_menus(self) -> None:
        a = self.console_actions
        toolbar = QToolBar("Home", self)
        toolbar.setObjectName("homeToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        toolbar.setMovable(False)
        # Move stays in the Folder and context menus (and Ctrl+M, drag and drop): at 1024 pixels
        # the toolbar has room for Create Boot Media or for it, not for both.
        for action in (a.add_boot_image, a.import_driver, None, a.update_distribution_points, a.distribute_content,
                       a.create_boot_media, None, a.properties, a.reload, a.delete, None, a.new_folder, None, a.refresh):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        self.addToolBar(toolbar)
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([a.add_boot_image, a.import_driver, a.create_samples])
        file_menu.addSeparator()
        file_menu.addAction(a.settings)
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        image_menu = menu.addMenu("&Boot Image")
        image_menu.addActions([a.properties, a.reload, a.optional_components, a.scratch_space, a.drivers])
        image_menu.addSeparator()
        image_menu.addActions([a.update_distribution_points, a.distribute_content, a.create_boot_media])
        image_menu.addSeparator()
        image_menu.addActions([a.security_scopes, a.delete, a.move])
        view_menu = menu.addMenu("&View")
        view_menu.addActions([a.find, a.refresh])
        columns = QMenu("&Columns", self)
        columns.aboutToShow.connect(lambda: self._fill_columns_menu(columns))
        view_menu.addMenu(columns)
        folder_menu = menu.addMenu("F&older")
        folder_menu.addActions([a.new_folder, *self.folder_actions.actions(), a.move])
        help_menu = menu.addMenu("&Help")
        help_menu.addActions([a.guide, a.about])
        view = self.packages_page.view
        view.addActions([a.properties, a.reload, a.optional_components, a.scratch_space, a.drivers])
        view.addAction(self._separator())
        view.addActions([a.update_distribution_points, a.distribute_content, a.create_boot_media])
        view.addAction(self._separator())
        view.addActions([a.security_scopes, a.move, a.delete, a.refresh])
        self.navigation.addActions([a.new_folder, *self.folder_actions.actions(), a.refresh])

    def _separator(self) -> Any:
        from PySide6.QtGui import QAction

        sep = QAction(self)
        sep.setSeparator(True)
        return sep

    def _fill_columns_menu(self, menu: QMenu) -> None:
        menu.clear()
        for action in self.packages_page.view.column_menu().actions():
            action.setParent(menu)
            menu.addAction(action)

    def _connect(self) -> None:
        a, c, view = self.console_actions, self.controller, self.packages_page.view
        a.refresh.triggered.connect(self._refresh)
        a.find.triggered.connect(self._focus_filter)
        a.delete.triggered.connect(self._delete)
        a.new_folder.triggered.connect(c.new_folder)
        a.move.triggered.connect(lambda: c.move(view.selected_package_ids()))
        a.reload.triggered.connect(lambda: self._with_current(c.reload_image))
        a.properties.triggered.connect(self._properties)
        a.add_boot_image.triggered.connect(lambda: self.wizards.add_boot_image())
        a.create_samples.triggered.connect(self._create_samples)
        a.optional_components.triggered.connect(lambda: self._with_current(self.wizards.optional_components))
        a.scratch_space.triggered.connect(lambda: self._with_current(self.wizards.scratch_space))
        a.drivers.triggered.connect(lambda: self._with_current(self.wizards.drivers))
        a.security_scopes.triggered.connect(lambda: self._with_current(self.wizards.security_scopes))
        a.update_distribution_points.triggered.connect(lambda: self._with_current(self.wizards.update_distribution_points))
        a.distribute_content.triggered.connect(lambda: self.wizards.distribute_content(view.selected_package_ids()))
        a.create_boot_media.triggered.connect(lambda: self._with_current(self.wizards.create_boot_media))
        a.import_driver.triggered.connect(self.wizards.import_driver)
        a.settings.triggered.connect(self.wizards.settings)
        a.guide.triggered.connect(self.wizards.guide)
        a.about.triggered.connect(self.wizards.about)
        a.quit.triggered.connect(self.close)
        view.properties_requested.connect(a.properties.trigger)
        view.wim_dropped.connect(self.wizards.add_boot_image)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        view.selectionModel().currentChanged.connect(lambda *_: self._details_timer.start())
        # A reset (search, sort, folder, Refresh, New Folder, Delete) clears the selection
        # without selectionChanged; a row that loads later (Ctrl+End) brings its package.
        proxy = self.packages_page.proxy
        for signal in (proxy.modelReset, proxy.layoutChanged, proxy.rowsRemoved):
            signal.connect(self._list_changed)
        proxy.dataChanged.connect(self._rows_changed)
        c.changed.connect(self.changes_applied)
        self.navigation.selectionModel().currentChanged.connect(self._navigate)
        self.navigation_model.packages_dropped.connect(lambda ids, folder: c.move(ids, folder))
        self.packages_page.include_subfolders_changed.connect(self._include_subfolders)
        self.packages_page.empty.add_requested.connect(a.add_boot_image.trigger)
        self.packages_page.empty.samples_requested.connect(self._create_samples)
        self.package_model.totals_changed.connect(lambda *_: self._show_status(self.packages_page))
        self.package_model.load_failed.connect(lambda exc: self.status.showMessage(f"Loading failed: {exc}", 10000))
        c.message.connect(lambda text: self.status.showMessage(text, 8000))
        self._selection_changed(QItemSelection(), QItemSelection())

    def _restore(self) -> None:
        s = self.settings
        self.resize(1400, 860)
        if (geometry := s.window_geometry()) is not None:
            self.restoreGeometry(geometry)
        if (state := s.window_state()) is not None:
            self.restoreState(state)
        if (main := s.splitter("main")) is not None:
            self.splitter.restoreState(main)
        if (details := s.splitter("details")) is not None:
            self.packages_page.splitter.restoreState(details)
        if (header := s.header("packages")) is not None:
            self.packages_page.view.header().restoreState(header)
        self.packages_page.subfolders.setChecked(s.include_subfolders())

    def closeEvent(self, event: QCloseEvent) -> None:
        s = self.settings
        s.save_window(self.saveGeometry(), self.saveState())
        s.save_splitter("main", self.splitter.saveState())
        s.save_splitter("details", self.packages_page.splitter.saveState())
        s.save_header("packages", self.packages_page.view.header().saveState())
        s.set_include_subfolders(self.packages_page.subfolders.isChecked())
        s.sync()
        self.live_changes.close()
        self.wizards.locks.release_all()  # open sheets' locks go with the window
        self.tasks.cancel_all()
        self.tasks.wait(5000)
        super().closeEvent(event)

    # -- reactions -------------------------------------------------------------------------

    def _with_current(self, fn: Any) -> None:
        pid = self.packages_page.view.current_package_id()
        if pid:
            fn(pid)

    # The window's Delete, Properties and Refresh act on the page that is shown.

    def _delete(self) -> None:
        page = self.pages.currentWidget()
        if page is self.packages_page:
            self.controller.delete(self.packages_page.view.selected_package_ids())
        elif page is not None and page is self.extra_pages.built(NavKind.DRIVERS):
            page.delete_selected()  # type: ignore[attr-defined]
        elif page is not None and page is self.extra_pages.built(NavKind.DISTRIBUTION_POINTS):
            page.ask_remove()  # type: ignore[attr-defined]

    def _properties(self) -> None:
        page = self.pages.currentWidget()
        if page is self.packages_page:
            self._with_current(self.wizards.properties)
        elif page is not None and page is self.extra_pages.built(NavKind.DRIVERS):
            page.show_properties()  # type: ignore[attr-defined]
        elif page is not None and page is self.extra_pages.built(NavKind.DISTRIBUTION_POINTS):
            page.edit_point()  # type: ignore[attr-defined]

    def _refresh(self) -> None:
        page = self.pages.currentWidget()
        if page is self.packages_page:
            self.controller.refresh()
            return
        refresh = getattr(page, "refresh", None)
        if refresh is not None:
            refresh()
        else:
            self.controller.reload_folders()

    def _focus_filter(self) -> None:
        self.navigation.setCurrentIndex(self.navigation_model.find_folder(self.controller.current_folder_id))
        self.packages_page.filter.setFocus()
        self.packages_page.filter.selectAll()

    def _selection_changed(self, *_: Any) -> None:
        page = self.pages.currentWidget()
        a = self.console_actions
        count = len(self.packages_page.view.selected_package_ids()) if page is self.packages_page else 0
        for action in a.package_actions():
            action.setEnabled(count > 0)
        for action in (a.properties, a.reload, a.optional_components, a.scratch_space, a.drivers, a.security_scopes):
            action.setEnabled(count == 1)
        a.new_folder.setEnabled(page is self.packages_page)  # folders of boot images
        if page is not None and page in (self.extra_pages.built(NavKind.DRIVERS), self.extra_pages.built(NavKind.DISTRIBUTION_POINTS)):
            extra: Any = page  # a page with its own Delete and Properties
            a.delete.setEnabled(extra.delete_action.isEnabled())
            a.properties.setEnabled(extra.properties_action.isEnabled())
        self._show_status(page)

    def _list_changed(self, *_: Any) -> None:
        """The list was reset or lost rows: actions and details follow what is selected now."""
        self._selection_changed()
        self._details_timer.start()

    def _rows_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_: Any) -> None:
        current = self.packages_page.view.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row():
            shown = self.packages_page.details.package_id
            if shown != self.packages_page.view.current_package_id():
                self._details_timer.start()  # the current row has just loaded
        self._selection_changed()

    def changes_applied(self, changes: Any) -> None:
        pid = self.packages_page.view.current_package_id()
        if pid is not None and (pid in (changes.updated | changes.removed) or changes.distribution):
            self._details_timer.start()
        self._selection_changed()

    def _load_details(self) -> None:
        view = self.packages_page.view
        pid = view.current_package_id()
        if not pid or not view.selectionModel().isRowSelected(view.currentIndex().row()):
            self.packages_page.details.clear("Select a boot image to see its details.")
            return
        self.tasks.run(lambda ctx: load_details(self.console, pid), on_success=self._show_details,
                       on_error=lambda exc: self.packages_page.details.clear(str(exc)), description="")

    def _show_details(self, details: Any) -> None:
        if details.package["PackageID"] == self.packages_page.view.current_package_id():
            self.packages_page.details.show_details(details)

    def _navigate(self, current: QModelIndex, _previous: QModelIndex) -> None:
        kind = self.navigation_model.kind(current)
        if kind in (NavKind.BOOT_IMAGES, NavKind.FOLDER):
            folder_id = int(current.data(FolderIdRole) or 0)
            self.controller.current_folder_id = folder_id
            self.pages.setCurrentWidget(self.packages_page)
            self.packages_page.set_title("Boot Images" if folder_id == 0 else f"Boot Images › {current.data()}")
            recursive = self.packages_page.subfolders.isChecked()
            scope = self.package_model.scope
            if (scope.folder_id, scope.recursive) != (folder_id, recursive):
                self.package_model.set_scope(folder_id=folder_id, recursive=recursive)
        elif kind is not None and kind in self.extra_pages:
            page = self.extra_pages[kind]
            self.pages.setCurrentWidget(page)
            refresh = getattr(page, "refresh", None)
            if refresh is not None:
                refresh()
        elif current.isValid():
            self.pages.setCurrentWidget(self._overview_page(current))
        self._selection_changed()  # the actions and the status bar follow the page

    def _include_subfolders(self, on: bool) -> None:
        self.package_model.set_scope(recursive=on)

    def _show_status(self, page: Any) -> None:
        """The status bar's text is the shown page's own (boot image counts only on Boot Images)."""
        if page is not self.pages.currentWidget():
            return
        if page is self.packages_page:
            self._update_counts(self.package_model.loaded, self.package_model.total)
        else:
            status_text = getattr(page, "status_text", None)
            self.status.set_counts(status_text() if status_text is not None else "")

    def _update_counts(self, loaded: int, total: int) -> None:
        selected = len(self.packages_page.view.selected_package_ids())
        filtered = " matching the search" if self.package_model.scope.text else ""
        text = f"{total:,} boot image(s){filtered}"
        if loaded < total:
            text += f", {loaded:,} loaded"
        if selected:
            text += f", {selected} selected"
        self.status.set_counts(text)

    def _create_samples(self) -> None:
        self.packages_page.empty.set_busy(True)
        self.controller.create_samples(on_done=lambda _r: self.packages_page.empty.set_busy(False))
