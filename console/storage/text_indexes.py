"""The site's text-search indexes, and what schema comparisons leave to them."""

from __future__ import annotations

import re

from console.storage.driver_schema import DRIVER_SEARCH
from console.storage.schema import PACKAGE_SEARCH

TEXT_SEARCHES = (PACKAGE_SEARCH, DRIVER_SEARCH)
#: PostgreSQL-only GIN indexes on SecuredScopeNames (migration 0013): the row-level security
#: policies' scope condition, no ORM metadata either.
SCOPE_INDEX = re.compile(r"^ix_\w+_scopes$")


def not_text_search(name: str | None, type_: object = None, parent_names: object = None) -> bool:
    """Alembic's ``include_name``: the text-search indexes (SQLite FTS5 tables and triggers,
    PostgreSQL pg_trgm indexes) and the scope indexes are no ORM metadata; autogenerate and
    comparisons skip them."""
    return name is None or not (any(search.owns(name) for search in TEXT_SEARCHES) or SCOPE_INDEX.match(name))
