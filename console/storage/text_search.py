"""A text-search index over one text column of a table: substring search without a scan.

Usage (stable API, reused for packages, drivers, status messages and Content Status)::

    PACKAGE_SEARCH = TextSearch("boot_image_package", "search_text")

    # in a migration (SQLite and PostgreSQL; fills the index from the existing rows):
    PACKAGE_SEARCH.create(op.get_bind())          # downgrade: PACKAGE_SEARCH.drop(op.get_bind())

    # in a repository: a WHERE condition on the table, and a cheap count of the matches
    stmt = select(...).where(PACKAGE_SEARCH.matches(session, "x64"))
    total = session.scalar(PACKAGE_SEARCH.count(session, "x64"))
    # rows walked in another index's order (a sort index): the matches are read once and
    # each walked row is looked up among them (the walk stops at the page's end)
    stmt = select(...).where(PACKAGE_SEARCH.matches(session, "x64", walk=True))
    # rows already narrowed down to a few (a folder): the column itself is tested row by row
    stmt = select(...).where(folder_condition, PACKAGE_SEARCH.matches_each(session, "x64"))

The indexed column holds text the writer already case-folded (``str.casefold``); ``matches``
folds the search text the same way and finds rows whose column *contains* it (a substring, as
``LIKE '%text%'`` does; ``%``, ``_`` and ``\\`` are plain characters).

- **SQLite**: an FTS5 table ``<table>_<column>_fts`` with the ``trigram`` tokenizer, holding
  its own copy of the text under the table's ``rowid`` (it needs an integer key; a table
  without ``INTEGER PRIMARY KEY`` keeps stable rowids as long as nobody runs ``VACUUM``;
  ``rebuild`` refills it). Three triggers on the table keep it in sync with every INSERT,
  UPDATE of the column and DELETE, whoever writes (ORM, Core, other consoles). Text of
  ``MIN_INDEXED`` (3) characters or more is a trigram phrase query; 1–2 characters cannot use
  trigrams and are an ``instr`` scan of the FTS table's own content table ``<fts>_content``
  (``id``, ``c0``: the narrowest copy of the text; read directly, as a plain table, it scans
  twice as fast as through the FTS table, and faster than any index of the wide table). With
  ``short_scan_on_table`` a WHERE condition for 1–2 characters tests the table's column
  instead (the caller keeps it in a covering index it walks anyway); counts always scan the
  content table.
- **PostgreSQL**: the ``pg_trgm`` extension and a GIN index ``ix_<table>_<column>_trgm``
  (``gin_trgm_ops``); ``LIKE '%text%'`` uses it from 3 characters on; 1–2 characters are
  ``strpos`` on the column.
- Other databases: a plain ``LIKE`` scan.

``owns(name)`` tells schema comparisons (``alembic`` autogenerate) which tables and indexes
are this index's (they are not in the ORM metadata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

MIN_INDEXED = 3  # trigrams: shorter text cannot use the index
_FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phrase(value: str) -> str:
    """An FTS5 phrase: the whole text as one string (quotes doubled), so any character is literal."""
    return '"' + value.replace('"', '""') + '"'


@dataclass(frozen=True)
class TextSearch:
    """The text-search index of ``table_name.column_name`` (names are plain SQL identifiers)."""

    table_name: str
    column_name: str
    #: 1-2 characters: scan the table's column (True: the caller keeps a covering index that
    #: holds the column, a narrower scan than the FTS content) instead of the FTS content
    short_scan_on_table: bool = False

    def __post_init__(self) -> None:
        for name in (self.table_name, self.column_name):
            if not _NAME.match(name):
                raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")

    # -- names ---------------------------------------------------------------------------------

    @property
    def fts_table(self) -> str:
        """The SQLite FTS5 table."""
        return f"{self.table_name}_{self.column_name}_fts"

    @property
    def trigram_index(self) -> str:
        """The PostgreSQL GIN index."""
        return f"ix_{self.table_name}_{self.column_name}_trgm"

    def owns(self, name: str) -> bool:
        """Whether ``name`` is a table, trigger or index this text index made (for schema diffs)."""
        fts = self.fts_table
        return name == self.trigram_index or name == fts or any(name == fts + s for s in _FTS_SHADOWS) \
            or name in (f"{fts}_ai", f"{fts}_ad", f"{fts}_au")

    # -- schema (migrations) ---------------------------------------------------------------------

    def create(self, conn: Connection) -> None:
        """Create the index and fill it from the rows already in the table."""
        t, c, fts = self.table_name, self.column_name, self.fts_table
        dialect = conn.dialect.name
        if dialect == "sqlite":
            conn.exec_driver_sql(f"CREATE VIRTUAL TABLE {fts} USING fts5({c}, tokenize='trigram')")
            self._fill(conn)
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {t} BEGIN "
                f"INSERT INTO {fts}(rowid, {c}) VALUES (new.rowid, new.{c}); END")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {t} BEGIN "
                f"DELETE FROM {fts} WHERE rowid = old.rowid; END")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {c} ON {t} BEGIN "
                f"UPDATE {fts} SET {c} = new.{c} WHERE rowid = old.rowid; END")
        elif dialect == "postgresql":
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.exec_driver_sql(f"CREATE INDEX {self.trigram_index} ON {t} USING gin ({c} gin_trgm_ops)")

    def drop(self, conn: Connection) -> None:
        fts = self.fts_table
        if conn.dialect.name == "sqlite":
            for suffix in ("_ai", "_ad", "_au"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}{suffix}")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {self.trigram_index}")

    def rebuild(self, conn: Connection) -> None:
        """Refill the index from the table (SQLite; PostgreSQL's index needs nothing)."""
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DELETE FROM {self.fts_table}")
            self._fill(conn)

    def _fill(self, conn: Connection) -> None:
        """Index every row, then merge the index into one segment (FTS5 ``optimize``): a bulk
        insert leaves a dozen segments, and a query merges them term by term (a common
        7-character text counted at 1M rows: 0.12 s over 14 segments, 0.065 s over one)."""
        t, c, fts = self.table_name, self.column_name, self.fts_table
        conn.exec_driver_sql(f"INSERT INTO {fts}(rowid, {c}) SELECT rowid, {c} FROM {t}")
        conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")

    # -- queries -------------------------------------------------------------------------------

    @staticmethod
    def uses_index(text_: str) -> bool:
        """Whether a search for ``text_`` is answered by the index (else a narrow scan)."""
        return len(text_.strip().casefold()) >= MIN_INDEXED

    def matches(self, bind: Session | Connection, text_: str, *, walk: bool = False) -> ColumnElement[bool]:
        """A WHERE condition on ``table_name``: rows whose column contains ``text_`` (folded).
        SQLite reads the matching rows by rowid from the index's matches; with ``walk`` the
        rows come from another index (a sort index walked in order, the caller names it) and
        each is looked up among the matches, read once (``+rowid``: not a way in)."""
        needle = text_.strip().casefold()
        dialect = _dialect(bind)
        if dialect == "sqlite" and (self.uses_index(needle) or not self.short_scan_on_table):
            rowid: ColumnElement[int] = literal_column(f"{'+' if walk else ''}{self.table_name}.rowid")
            return rowid.in_(self._fts_rowids(needle))
        if dialect == "sqlite":
            return self.contains(text_)
        if dialect == "postgresql" and not self.uses_index(needle):
            return func.strpos(literal_column(f"{self.table_name}.{self.column_name}"), needle) > 0
        return literal_column(f"{self.table_name}.{self.column_name}").like(f"%{_like_escaped(needle)}%", escape="\\")

    def matches_each(self, bind: Session | Connection, text_: str) -> ColumnElement[bool]:
        """As ``matches``, but tested on each row's own column (SQLite ``instr``, PostgreSQL as
        ``matches``): for rows already narrowed down by another condition (a folder), where
        reading every match of a common text from the index would cost more than the rows."""
        if _dialect(bind) != "sqlite":
            return self.matches(bind, text_)
        return self.contains(text_)

    def contains(self, text_: str) -> ColumnElement[bool]:
        """The plain substring test on the table's column (no index): to check rows one by one."""
        return func.instr(literal_column(f"{self.table_name}.{self.column_name}"), text_.strip().casefold()) > 0

    def count(self, bind: Session | Connection, text_: str) -> Select[Any]:
        """``SELECT count(*)`` of the rows that match ``text_`` (no other condition), read from
        the index alone where there is one (SQLite: the FTS index, or for 1–2 characters a scan
        of its content table)."""
        needle = text_.strip().casefold()
        if _dialect(bind) == "sqlite":
            return select(func.count()).select_from(self._fts_rowids(needle).subquery())
        return select(func.count()).select_from(table(self.table_name)).where(self.matches(bind, text_))

    def _fts_rowids(self, needle: str) -> Select[Any]:
        if self.uses_index(needle):
            fts = table(self.fts_table, column("rowid"))
            return select(fts.c.rowid).where(literal_column(self.fts_table).match(_phrase(needle)))
        content = table(f"{self.fts_table}_content", column("id"), column("c0"))
        return select(content.c.id).where(func.instr(content.c.c0, needle) > 0)


def _dialect(bind: Session | Connection) -> str:
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name
