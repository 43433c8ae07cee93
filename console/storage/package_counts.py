"""How many packages a list query matches, read the cheapest way the data allows.

- **Everywhere** (all packages): the text index's count alone (SQLite: the FTS5 doclist of
  a 3+ character text, or for 1–2 characters a scan of the index's narrow content table),
  never the wide table.
- **Top of the node** (packages in no folder, the list's default): every match less the
  matches inside folders, when folders hold few packages (``COMPLEMENT_LIMIT``); the ones
  inside are tested on their own text, read from the covering folder index.
- **A folder** (or a folder and its sub-folders), SQLite: a small folder (``FOLDER_SCAN_LIMIT``
  packages, a bounded index count) tests its rows' text one by one instead of reading every
  match of the text from the index; a large one reads the index's matches.

Every count is kept while the rows are unchanged (``count_cache``): typing a text again,
another sort of the same search, the list read again all reuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.core.ports import PackageQuery
from console.storage.count_cache import counted
from console.storage.schema import PACKAGE_SEARCH, PackageRow

#: the top-of-node count subtracts the matches inside folders when folders hold at most this many
COMPLEMENT_LIMIT = 50_000
#: a folder (with its sub-folders) of at most this many packages tests each one's text
FOLDER_SCAN_LIMIT = 20_000

#: which packages a query lists: None (all), "top" (in no folder) or these folders
Folders = None | Literal["top"] | tuple[int, ...]


def folders_of(query: PackageQuery, subtree: Any) -> Folders:
    """The folders ``query`` lists (``subtree(folder_id)``: a folder and its sub-folders)."""
    if query.folder_id is None or (query.folder_id == 0 and query.recursive):
        return None
    if query.folder_id == 0:
        return "top"
    return tuple(sorted(subtree(query.folder_id))) if query.recursive else (query.folder_id,)


def small_folders(session: Session, folders: Folders) -> bool:
    """Whether ``folders`` (ids) hold at most FOLDER_SCAN_LIMIT packages (counted in the
    folder index, stopping past the limit). SQLite only: PostgreSQL's planner makes this
    choice itself (``matches_each`` is ``matches`` there)."""
    if not isinstance(folders, tuple) or session.get_bind().dialect.name != "sqlite":
        return False
    inside = select(PackageRow.package_id).where(PackageRow.folder_id.in_(folders)).limit(FOLDER_SCAN_LIMIT + 1)
    return int(session.scalar(select(func.count()).select_from(inside.subquery())) or 0) <= FOLDER_SCAN_LIMIT


def count_packages(session: Session, query: PackageQuery, folders: Folders, conditions: Callable[[], list[Any]]) -> int:
    """How many packages ``query`` matches (``conditions()``: its WHERE, as the page reads it)."""
    key = (query.text.strip().casefold(), tuple(sorted((k, repr(v)) for k, v in query.where.items())), folders)
    return counted(session, PackageRow.__tablename__, key, lambda: _count(session, query, folders, conditions))


def _count(session: Session, query: PackageQuery, folders: Folders, conditions: Callable[[], list[Any]]) -> int:
    text = query.text.strip()
    if text and not query.where and folders is None:
        return _scalar(session, PACKAGE_SEARCH.count(session, text))  # the index alone
    if text and not query.where and folders == "top":
        in_folders = PackageRow.folder_id.is_not(None)
        if _scalar(session, select(func.count()).where(in_folders)) <= COMPLEMENT_LIMIT:
            inside = select(func.count()).select_from(PackageRow).where(
                in_folders, PACKAGE_SEARCH.matches_each(session, text))
            return _scalar(session, PACKAGE_SEARCH.count(session, text)) - _scalar(session, inside)
    return _scalar(session, select(func.count()).select_from(PackageRow).where(*conditions()))


def _scalar(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)
