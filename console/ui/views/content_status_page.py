"""Monitoring › Distribution Status › Content Status.

By package: each package's counters (targeted, success, in progress, error, unknown) as a
bar; selecting one lists its distribution points, filtered by state (success, in progress,
error, unknown) and searched by name or error, with the error's cause and the next retry.
By distribution point: each DP's counters, and the packages it holds.

The page follows changes live (``LiveRefresh``: a change token polled while it is shown; the
rows shown are read again only when it moved). Everything is read page by page from the counters and an index (``console.content``), never
all rows: the page stays instant at 15,000 DPs × 200 packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.core.console_services import ConsoleServices
from console.core.distribution import ContentSummary, DpState
from console.core.ports import PackageQuery
from console.ui.live import LiveRefresh
from console.ui.models.content_status_model import (
    BAR_COLUMN,
    SHOW_FILTERS,
    PagedRowsModel,
    StatusBarDelegate,
    SummaryModel,
)
from console.ui.models.dp_models import row_details
from console.ui.models.paged_model import RESIZE_PRECISION, keyset_loader
from console.ui.tasks import TaskRunner
from console.ui.views.panes import pane, vertical_split

SEARCH_DELAY_MS = 250
SUMMARY_WIDTHS = (330, 75, 75, 85, 60, 75)
ROW_WIDTHS = (180, 120, 60, 130, 120, 290, 130)
#: the state filter of the lower list: label -> states
STATE_FILTERS: dict[str, tuple[DpState, ...]] = {
    "All states": (),
    "Success": tuple(s for s in DpState if s.bucket == "success"),
    "In progress": tuple(s for s in DpState if s.bucket == "in_progress"),
    "Error": tuple(s for s in DpState if s.bucket == "error"),
    "Unknown": tuple(s for s in DpState if s.bucket == "unknown"),
}
BY_PACKAGE, BY_DP = "package", "dp"


def _table(name: str, model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setResizeContentsPrecision(RESIZE_PRECISION)  # fit columns to the first rows only
    return view


class ContentStatusPage(QWidget):
    status_changed = Signal(str)

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.tasks = tasks
        self._status = ""
        self.title = QLabel("Content Status")
        self.title.setObjectName("pageTitle")
        self.by = QComboBox()
        self.by.setAccessibleName("View by")
        self.by.addItem("Packages", BY_PACKAGE)
        self.by.addItem("Distribution points", BY_DP)
        by_label = QLabel("&View by:")
        by_label.setBuddy(self.by)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search content status")
        self.summaries = SummaryModel(tasks, parent=self)
        self.summary_view = _table("Content status", self.summaries)
        self.show_filter = QComboBox()
        self.show_filter.setAccessibleName("Show")
        self.show_filter.addItems(list(SHOW_FILTERS))
        show_label = QLabel("S&how:")
        show_label.setBuddy(self.show_filter)
        self.summary_view.setItemDelegateForColumn(BAR_COLUMN, StatusBarDelegate(self.summary_view))
        self.state = QComboBox()
        self.state.setAccessibleName("State filter")
        for label in STATE_FILTERS:
            self.state.addItem(label)
        state_label = QLabel("&State:")
        state_label.setBuddy(self.state)
        self.detail_search = QLineEdit()
        self.detail_search.setClearButtonEnabled(True)
        self.detail_search.setAccessibleName("Search the list below")
        self.rows = PagedRowsModel(tasks, "dp", self)
        self.rows_view = _table("Content status details", self.rows)
        self.detail_title = QLabel()
        self.detail_title.setObjectName("sectionTitle")
        self.detail_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long names elide
        for edit in (self.search, self.detail_search):
            edit.setMinimumWidth(60)
        for combo in (self.by, self.show_filter, self.state):  # as wide as their texts, narrower when the page is
            combo.setMinimumWidth(90)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setAccessibleName("Content status detail")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel()
        self.message.setStyleSheet("color: #c0392b;")
        self.message.setWordWrap(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(SEARCH_DELAY_MS)
        self._detail_timer.timeout.connect(self._load_rows)

        top_bar = QHBoxLayout()
        top_bar.addWidget(by_label)
        top_bar.addWidget(self.by)
        top_bar.addWidget(show_label)
        top_bar.addWidget(self.show_filter)
        top_bar.addStretch(1)
        top_bar.addWidget(self.search, 1)
        lower_bar = QHBoxLayout()
        lower_bar.addWidget(self.detail_title, 1)
        lower_bar.addWidget(state_label)
        lower_bar.addWidget(self.state)
        lower_bar.addWidget(self.detail_search, 1)
        self.splitter = vertical_split([pane(top_bar, (self.summary_view, 1)),
                                        pane(lower_bar, (self.rows_view, 1), self.detail)], [360, 360])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.message)

        self.by.currentIndexChanged.connect(lambda _i: self._by_changed())
        self.show_filter.currentTextChanged.connect(lambda _t: self.refresh())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.detail_search.textChanged.connect(lambda _t: self._detail_timer.start())
        self.state.currentIndexChanged.connect(lambda _i: self._load_rows())
        self.summary_view.selectionModel().currentRowChanged.connect(lambda *_: self._load_rows())
        self.rows_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.summaries.page_loaded.connect(self._summaries_loaded)
        self.summaries.load_failed.connect(self.message.setText)
        self.rows.load_failed.connect(self.message.setText)
        self.rows.page_loaded.connect(self._rows_loaded)
        self.rows.rows_refreshed.connect(self._show_detail)
        self.live = LiveRefresh(self, tasks, console.content.change_token, self.follow_changes)
        self._by_changed(load=False)
        # Fixed widths: fitting columns to a page's contents cost more than the page itself.
        for view, widths in ((self.summary_view, SUMMARY_WIDTHS), (self.rows_view, ROW_WIDTHS)):
            for column, width in enumerate(widths):
                view.setColumnWidth(column, width)

    # -- what is shown ---------------------------------------------------------------------

    def mode(self) -> str:
        return str(self.by.currentData())

    def status_text(self) -> str:
        return self._status

    def _by_changed(self, load: bool = True) -> None:
        by_package = self.mode() == BY_PACKAGE
        self.summaries.headers = ("Package" if by_package else "Distribution point", *self.summaries.headers[1:])
        self.rows.key = "dp" if by_package else "package"
        self.rows.headers = ("Distribution point" if by_package else "Package", *self.rows.headers[1:])
        self.search.setPlaceholderText("Search packages by ID or name" if by_package
                                       else "Search distribution points by name")
        self.detail_search.setPlaceholderText("Search distribution points or errors" if by_package
                                              else "Search packages or errors")
        if load:
            self.refresh()

    def refresh(self) -> None:
        self.message.setText("")
        self.rows.set_loader(None)
        self.detail_title.setText("Select a package to see its distribution points." if self.mode() == BY_PACKAGE
                                  else "Select a distribution point to see its packages.")
        self.summaries.set_loader(self._package_loader() if self.mode() == BY_PACKAGE else self._dp_loader())

    def _package_loader(self) -> Any:
        console, text, show = self.console, self.search.text().strip(), SHOW_FILTERS[self.show_filter.currentText()]
        names: dict[str, str] = {}

        def fetch(after: str | None, limit: int) -> Sequence[tuple[ContentSummary, str]]:
            if after is None:  # names for the rows (and the search), read once per refresh
                page = console.packages.query(PackageQuery(text=text), lazy=False, count=False)
                names.update({str(p["PackageID"]): str(p["Name"]) for p in page.items})
                if text and not names:
                    return []
            ids = sorted(names) if text else None
            return [(s, names.get(s.key, "")) for s in console.content.summaries(ids, show=show, after=after, limit=limit)]

        return keyset_loader(fetch, lambda row: row[0].key)

    def _dp_loader(self) -> Any:
        content, text, show = self.console.content, self.search.text().strip(), SHOW_FILTERS[self.show_filter.currentText()]

        def fetch(after: str | None, limit: int) -> Sequence[tuple[ContentSummary, str]]:
            # one page of the per-DP counters, in the DP name index's order (never all 15,000)
            return [(s, "") for s in content.dp_summary_page(text=text, show=show, after=after, limit=limit).items]

        return keyset_loader(fetch, lambda row: row[0].key)

    def follow_changes(self) -> None:
        """Something changed (the live poll): the rows shown are read again and updated in
        place; filters, selection and scroll position stay."""
        self.summaries.refresh_rows(lambda row: row[0].key)
        self.rows.refresh_rows(lambda row: (row.package_id, row.dp_name))

    def _summaries_loaded(self, _count: int) -> None:
        total = self.summaries.rowCount()
        what = "package(s)" if self.mode() == BY_PACKAGE else "distribution point(s)"
        self._status = f"Content status: {total:,} {what}" + ("" if self.summaries.complete else " loaded")
        self.status_changed.emit(self._status)

    def selected_key(self) -> str | None:
        index = self.summary_view.currentIndex()
        summary = self.summaries.summary(index.row()) if index.isValid() else None
        return summary.key if summary is not None else None

    def select(self, key: str) -> bool:
        for row in range(self.summaries.rowCount()):
            summary = self.summaries.summary(row)
            if summary is not None and summary.key == key:
                self.summary_view.selectRow(row)
                return True
        return False

    def _load_rows(self) -> None:
        key = self.selected_key()
        if key is None:
            self.rows.set_loader(None)
            return
        states = STATE_FILTERS[self.state.currentText()]
        text = self.detail_search.text().strip()
        content = self.console.content
        if self.mode() == BY_PACKAGE:
            name = self.summaries.name(self.summary_view.currentIndex().row())
            self.detail_title.setText(f"Distribution points of {key}" + (f" — {name}" if name else ""))

            def fetch(after: str | None, limit: int) -> Sequence[Any]:
                return content.content_status(key, states=states, text=text, after=after, limit=limit).items

            self.rows.set_loader(keyset_loader(fetch, lambda row: row.dp_name))
        else:
            self.detail_title.setText(f"Packages on {key}")

            def fetch(after: str | None, limit: int) -> Sequence[Any]:
                return content.packages_on_dp(key, states=states, text=text, after=after, limit=limit).items

            self.rows.set_loader(keyset_loader(fetch, lambda row: row.package_id))

    def _rows_loaded(self, count: int) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        index = self.rows_view.currentIndex()
        row = self.rows.entry(index.row()) if index.isValid() else None
        if row is None:
            self.detail.setText("")
            self.detail.setVisible(False)
            return
        text = row_details(row)
        self.detail.setText(text)
        self.detail.setVisible(True)

    def current_index(self) -> QModelIndex:
        return self.summary_view.currentIndex()
