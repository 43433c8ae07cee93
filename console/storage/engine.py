"""Database engine, default location and schema migrations (Alembic, applied at start-up).

Start-up reads the schema revision with one query (``alembic_version``, SQLAlchemy Core)
and compares it with the newest migration file's revision id; Alembic (and Mako) are
imported only when the site is behind and must be migrated.

SQLite runs in WAL mode: readers never wait for a writer. A unit of work opened for reading
starts with a plain (deferred) ``BEGIN`` and ``PRAGMA query_only``; one opened for writing
(``uow(write=True)``, and any other transaction, such as a migration) takes the write lock at
its start with ``BEGIN IMMEDIATE`` and leaves a note of who holds it (``writer_note``). How
long to wait for another console's write lock: ``BOOTIMAGE_DB_TIMEOUT`` seconds (default 30).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from console.core.errors import AccessDeniedError
from console.paths import DATABASE_ENV_VAR, default_database_url
from console.storage.audit_repository import (
    begin_write_postgresql,
    begin_write_sqlite,
    end_write_sqlite,
    refused_statement,
)
from console.storage.db_errors import DatabaseError, Target, os_user, refusal, translate
from console.storage.writer_note import WriterNote

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["DatabaseError", "create_site_engine", "default_database_url", "upgrade"]

MIGRATIONS = Path(__file__).with_name("migrations")
ENV_VAR = DATABASE_ENV_VAR
TIMEOUT_ENV_VAR = "BOOTIMAGE_DB_TIMEOUT"
DEFAULT_TIMEOUT = 30.0
#: Execution option of a connection whose transaction only reads (set by the unit of work).
READ_ONLY = "bootimage_read_only"


def busy_timeout() -> float:
    """Seconds to wait for another console's write lock (``BOOTIMAGE_DB_TIMEOUT``, 0-3600)."""
    text = os.environ.get(TIMEOUT_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise DatabaseError(f"{TIMEOUT_ENV_VAR}={text!r} is not a number of seconds (for example 30)") from None
    if not 0 <= value <= 3600:
        raise DatabaseError(f"{TIMEOUT_ENV_VAR}={text!r} must be between 0 and 3600 seconds")
    return value


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory ones)."""
    parsed = _parse(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseError(f"{url!r} is not a database URL (e.g. sqlite:///path/site.db or postgresql+psycopg://user@host/db)") from None


def create_site_engine(url: str, *, user: str = "", create: bool = True) -> Engine:
    """An engine for ``url``. With ``create`` False a SQLite file that does not exist is an
    error (a read command must not create an empty site somewhere unexpected)."""
    parsed = _parse(url)
    timeout = busy_timeout()
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if not create and not path.exists():
                raise DatabaseError(
                    f"there is no site database at {path}; check --db (or BOOTIMAGE_DB), "
                    "or create one with `bootimage site init --site-code PS1`"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"cannot create the folder for the site database {path.parent}: {exc.strerror}") from None
        engine = create_engine(parsed, connect_args={"timeout": timeout, "check_same_thread": False})
        note = WriterNote(str(path), user) if path is not None else None
        target = Target(f"the site database {path or parsed.database or '(in memory)'}", str(path) if path else None, timeout, note)
        _sqlite_events(engine, timeout, note, user or os_user())
        _translate_errors(engine, target)
        return engine
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # missing driver and the like
        raise DatabaseError(f"cannot open {parsed.render_as_string(hide_password=True)}: {exc}") from None
    _translate_errors(engine, Target(f"the site database {parsed.render_as_string(hide_password=True)}", timeout=timeout))

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:  # who the audit triggers name (audit_repository)
        if not conn.get_execution_options().get(READ_ONLY, False):
            begin_write_postgresql(conn)

    return engine


def _sqlite_events(engine: Engine, timeout: float, note: WriterNote | None, login: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY, False):
            # Under WAL a deferred transaction reads a snapshot and waits for nobody.
            conn.exec_driver_sql("PRAGMA query_only=1")
            conn.exec_driver_sql("BEGIN")
            return
        # A writing unit of work takes the write lock at its start: its read-check-write can
        # then never fail half-way because another console wrote in between.
        conn.exec_driver_sql("PRAGMA query_only=0")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        begin_write_sqlite(conn.connection.dbapi_connection, login)  # who the audit triggers name
        conn.info["bootimage_audit_context"] = True
        if note is not None:
            note.write()
            conn.info["bootimage_writer_note"] = True

    def on_commit(conn: Any) -> None:
        if conn.info.pop("bootimage_audit_context", False):
            end_write_sqlite(conn.connection.dbapi_connection)
        on_end(conn)

    def on_end(conn: Any) -> None:
        conn.info.pop("bootimage_audit_context", None)
        if conn.info.pop("bootimage_writer_note", False) and note is not None:
            note.remove()

    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_end)


def _translate_errors(engine: Engine, target: Target) -> None:
    @event.listens_for(engine, "handle_error")
    def on_error(context: Any) -> None:
        conn = context.connection
        reading = bool(conn is not None and not conn.closed and conn.get_execution_options().get(READ_ONLY, False))
        error = refusal(context.original_exception, context.engine, context.statement, context.parameters) \
            or translate(context.original_exception, target, in_read_transaction=reading)
        if isinstance(error, AccessDeniedError) and not error.action:  # what was refused, for the audit
            error.action, error.object_id = refused_statement(context.statement or "", context.parameters)
        if error is not None:
            raise error from None


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def known_revisions() -> list[str]:
    """Revision ids of the migration files, oldest first, without importing Alembic: each
    file is named ``<revision>_<slug>.py`` with a zero-padded number (a test checks that
    this agrees with Alembic's own view of the chain)."""
    names = (p.name for p in (MIGRATIONS / "versions").iterdir() if p.suffix == ".py")
    return sorted(name.split("_", 1)[0] for name in names if name[:1].isdigit())


def head_revision() -> str:
    """The newest schema revision this console knows."""
    return known_revisions()[-1]


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty database): one query."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{READ_ONLY: True})
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in place (data kept). The revision is read first
    (no write lock): an up-to-date database is left alone without importing Alembic; one
    from a newer console is refused."""
    known = known_revisions()
    current = current_revision(engine)
    head = known[-1]
    if current is not None and current not in known:
        raise DatabaseError(
            f"the site database has schema version {current}, newer than this console knows (its newest is {head}); "
            "this console is older than the one that last upgraded the site: use a newer Boot Image Console"
        )
    if current == (head if revision == "head" else revision):
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.dialect.name == "postgresql":  # tables a migration added get the site's grants and policies
            from console.storage.security_sql import reapply_after_migration

            reapply_after_migration(conn)
