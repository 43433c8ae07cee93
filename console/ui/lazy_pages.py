"""The main window's pages other than Boot Images, each built (and its module imported) the
first time it is asked for, so start-up builds only the page it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from PySide6.QtWidgets import QWidget

K = TypeVar("K")


class LazyPages(Mapping[K, QWidget]):
    """A mapping of page kind → page whose values are built on first access: ``pages[kind]``
    builds the page once (``build``), then ``on_built(kind, page)`` wires it; ``built(kind)``
    answers without building. ``kind in pages`` and iteration cover every kind, built or not."""

    def __init__(self, builders: Mapping[K, Callable[[], QWidget]],
                 on_built: Callable[[K, QWidget], None]) -> None:
        self._builders = dict(builders)
        self._on_built = on_built
        self._pages: dict[K, QWidget] = {}

    def __getitem__(self, kind: K) -> QWidget:
        page = self._pages.get(kind)
        if page is None:
            page = self._builders[kind]()  # KeyError for a kind that has no page
            self._pages[kind] = page
            self._on_built(kind, page)
        return page

    def built(self, kind: K) -> QWidget | None:
        """The page of ``kind`` if it has been built, else None (never builds)."""
        return self._pages.get(kind)

    def built_pages(self) -> list[QWidget]:
        return list(self._pages.values())

    def __contains__(self, kind: object) -> bool:
        return kind in self._builders

    def __iter__(self) -> Iterator[K]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)
