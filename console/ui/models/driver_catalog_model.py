"""The Drivers node's table: the driver catalog read page by page, sorted and searched in the
database (100,000 drivers: never every row in memory, a deep page is one index range).

Columns are ``CATALOG_COLUMNS``; clicking a header asks the database for that order
(``SERVER_SORTS``: the columns with an index); the other columns do not sort. Pages are keyset
pages (after the previous page's last CI_ID); the total is counted with the first page only.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from console.core.console_services import ConsoleServices
from console.core.drivers import Driver, DriverQuery
from console.ui.models.driver_columns import CATALOG_COLUMNS
from console.ui.models.paged_model import PagedTableModel, keyset_loader
from console.ui.models.record_table_model import column_data
from console.ui.tasks import TaskRunner

#: column header -> ``DriverQuery.sort``
SERVER_SORTS = {"Name": "name", "CI_ID": "ci_id", "Class": "driver_class", "Provider": "provider",
                "Version": "version", "Date": "date", "Size": "size", "INF file": "inf_file"}
Index = QModelIndex | QPersistentModelIndex


class DriverCatalogModel(PagedTableModel):
    """``total`` (the drivers matching the search) and ``disabled`` arrive with the first page."""

    def __init__(self, console: ConsoleServices, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(tasks, parent=parent)
        self.console = console
        self.columns = CATALOG_COLUMNS
        self.headers = tuple(c.header for c in self.columns)
        self.text = ""
        self.sort_key, self.descending = "name", False
        self.total = 0
        self.disabled = 0

    # -- loading ---------------------------------------------------------------------------

    def load(self, text: str | None = None) -> None:
        """Read from the first page again (a new search text, or the same one)."""
        if text is not None:
            self.text = text
        drivers, query = self.console.drivers, DriverQuery(text=self.text, sort=self.sort_key, descending=self.descending)
        generation = self._generation + 1  # set_loader below starts this generation

        def fetch(after: int | None, limit: int) -> Sequence[Driver]:
            page = drivers.query(DriverQuery(**{**query.__dict__, "after": after, "limit": limit, "count": False}))
            if after is None and generation == self._generation:  # counted once per search, not by walking rows
                self.total, self.disabled = drivers.counts(query)
            return page.items

        self.set_loader(keyset_loader(fetch, lambda d: d.ci_id))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        """Never asked by a view: a QTreeView asks on every layout, which would read every page;
        the page asks ``fetch_next`` when the list is scrolled to its end."""
        return False

    def fetch_next(self) -> bool:
        """Read the next page (False: every row is read, or a page is being read)."""
        if not self._more or self._loading or self._loader is None:
            return False
        self._fetch()
        return True

    @property
    def more(self) -> bool:
        return self._more

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SERVER_SORTS.get(self.headers[column]) if 0 <= column < len(self.headers) else None
        descending = order == Qt.SortOrder.DescendingOrder
        if key is None or (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        if self._loader is not None:
            self.load()

    def sort_column(self) -> int:
        return next(i for i, h in enumerate(self.headers) if SERVER_SORTS.get(h) == self.sort_key)

    # -- rows ------------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.row_at(index)
        if record is None or not 0 <= index.column() < len(self.columns):
            return None
        return column_data(self.columns[index.column()], record, role, muted=not record.is_enabled)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def rows(self) -> list[Driver]:
        return list(self._rows)

    def record(self, row: int) -> Driver:
        return self._rows[row]  # type: ignore[no-any-return]

    def key_of(self, record: Driver) -> Hashable:
        return record.ci_id

    def row_of(self, key: Hashable) -> int | None:
        return next((i for i, r in enumerate(self._rows) if r.ci_id == key), None)
