"""The site's text-search indexes, and what schema comparisons leave to them."""

from __future__ import annotations

from console.storage.driver_schema import DRIVER_SEARCH
from console.storage.schema import PACKAGE_SEARCH

TEXT_SEARCHES = (PACKAGE_SEARCH, DRIVER_SEARCH)


def not_text_search(name: str | None, type_: object = None, parent_names: object = None) -> bool:
    """Alembic's ``include_name``: the text-search indexes (SQLite FTS5 tables and triggers,
    PostgreSQL pg_trgm indexes) are no ORM metadata; autogenerate and comparisons skip them."""
    return name is None or not any(search.owns(name) for search in TEXT_SEARCHES)
