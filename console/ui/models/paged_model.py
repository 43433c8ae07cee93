"""A table filled page by page from the service (never all rows: Content Status has millions).

``loader(offset, limit)`` runs on a worker thread (``TaskRunner``); a page shorter than
``page_size`` means the end. ``fetchMore`` (asked by the view as it scrolls) loads the next
page; ``reload`` starts again from the first page (a new filter); ``refresh_rows`` reads the rows
loaded so far again and updates them in place (live pages). Results of an older
generation (a reload happened meanwhile) are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Signal
from shiboken6 import isValid

from console.core.errors import error_text
from console.ui.models.headed_table_model import HeadedTableModel
from console.ui.tasks import TaskRunner

PAGE_SIZE = 200
#: rows a view looks at to fit its columns (resizing to every row of a page took 250 ms)
RESIZE_PRECISION = 30
Loader = Callable[[int, int], Sequence[Any]]
#: ``fetch(after, limit)``: the rows after the row whose key is ``after`` (None: from the start)
KeysetFetch = Callable[[Any, int], Sequence[Any]]


def keyset_loader(fetch: KeysetFetch, key: Callable[[Any], Any]) -> Loader:
    """A ``Loader`` that reads each page after the previous page's last row (keyset paging: one
    index range, never OFFSET re-sorting the rows before a deep page). It remembers the key of
    the last row it returned at each offset; an offset it has not reached (never asked by the
    model, which reads pages in order or again from 0) is read from the start."""
    cursors: dict[int, Any] = {0: None}

    def load(offset: int, limit: int) -> Sequence[Any]:
        if offset in cursors:
            rows = list(fetch(cursors[offset], limit))
        else:
            rows = list(fetch(None, offset + limit))[offset:]
        if rows:
            cursors[offset + len(rows)] = key(rows[-1])
        return rows

    return load


class PagedTableModel(HeadedTableModel):
    """``page_loaded(count)`` after each page; ``load_failed(text)`` when a page cannot be read."""

    page_loaded = Signal(int)
    load_failed = Signal(str)
    rows_refreshed = Signal()

    def __init__(self, tasks: TaskRunner, page_size: int = PAGE_SIZE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.page_size = page_size
        self._loader: Loader | None = None
        self._more = False
        self._loading = False
        self._generation = 0
        self._refreshing = False

    def set_loader(self, loader: Loader | None) -> None:
        """Start again with ``loader`` (None: empty)."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._loader = loader
        self._more = loader is not None
        self._loading = False
        self.endResetModel()
        if loader is not None and not self._loading:  # a view may have asked (fetchMore) during the reset
            self._fetch()

    def reload(self) -> None:
        self.set_loader(self._loader)

    def refresh_rows(self, key: Callable[[Any], object]) -> None:
        """A live refresh: the rows loaded so far are read again (one read in the background)
        and replaced in place (``replace_rows``: selection and scroll position stay)."""
        loader, generation, count = self._loader, self._generation, len(self._rows)
        if loader is None or self._loading or self._refreshing:
            return
        limit = max(count, self.page_size)
        self._refreshing = True

        def arrived(rows: list[Any]) -> None:
            self._refreshing = False
            if generation != self._generation or count != len(self._rows) or self._loading:
                return  # a new filter or a page arrived meanwhile: the next refresh reads again
            self._more = len(rows) >= limit
            self.replace_rows(rows, key)
            self.rows_refreshed.emit()

        def failed(exc: BaseException) -> None:
            self._refreshing = False
            if generation == self._generation:
                self.load_failed.emit(error_text(exc))

        self._tasks.run(lambda _ctx: list(loader(0, limit)),
                        on_success=lambda rows: arrived(rows) if isValid(self) else None,
                        on_error=lambda exc: failed(exc) if isValid(self) else None, description="")

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def complete(self) -> bool:
        return not self._more and not self._loading

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if self.canFetchMore(parent):
            self._fetch()

    def _fetch(self) -> None:
        loader, offset, limit, generation = self._loader, len(self._rows), self.page_size, self._generation
        if loader is None:
            return
        self._loading = True
        self._tasks.run(lambda _ctx: list(loader(offset, limit)),
                        on_success=lambda rows: self._arrived(generation, rows) if isValid(self) else None,
                        on_error=lambda exc: self._failed(generation, exc) if isValid(self) else None,
                        description="")

    def _arrived(self, generation: int, rows: list[Any]) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._more = len(rows) >= self.page_size
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        self.page_loaded.emit(len(rows))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._more = False
        self.load_failed.emit(error_text(exc))
