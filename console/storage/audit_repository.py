"""Reading audit records; telling the database who a write transaction acts as; refusals.

``begin_write`` runs at the start of every write transaction (the engine's ``begin`` event, so a
unit of work and any other writer alike): on PostgreSQL it sets ``bootimage.client`` and
``bootimage.on_behalf_of`` with ``set_config(..., true)`` (transaction-local; the login is the
server's ``session_user``), on SQLite it writes the ``audit_context`` row the triggers read,
which ``end_write`` removes before the commit (``audit_sql`` says why).
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, bindparam, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.core.audit import AuditQuery, AuditRecord, client_name, on_behalf_of
from console.core.errors import AccessDeniedError, ConsoleError
from console.storage.audit_schema import AUDITED, AuditRecordRow
from console.storage.audit_sql import refusal_sql
from console.storage.statements import bound_value, statement_target

log = logging.getLogger(__name__)
_TYPES = {spec.table: spec for spec in AUDITED}
PACKAGE_ID = re.compile(r"[A-Z0-9]{3}[0-9A-F]{5}")


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- who is acting ------------------------------------------------------------------------------

def begin_write_postgresql(conn: Any) -> None:
    conn.exec_driver_sql("SELECT set_config('bootimage.client', %(client)s, true), "
                         "set_config('bootimage.on_behalf_of', %(behalf)s, true)",
                         {"client": client_name(), "behalf": on_behalf_of()})


def begin_write_sqlite(dbapi_connection: sqlite3.Connection, login: str) -> None:
    with contextlib.suppress(sqlite3.OperationalError):  # no audit_context table: older than 0015 (migrating)
        dbapi_connection.execute(
            "INSERT OR REPLACE INTO audit_context (id, login, on_behalf_of, client, transaction_id) VALUES (1, ?, ?, ?, ?)",
            (login, on_behalf_of(), client_name(), secrets.randbits(62)))


def end_write_sqlite(dbapi_connection: sqlite3.Connection) -> None:
    with contextlib.suppress(sqlite3.OperationalError):
        dbapi_connection.execute("DELETE FROM audit_context")


# -- refusals -----------------------------------------------------------------------------------

def refused_statement(statement: str, parameters: Any) -> tuple[str, str]:
    """(``"UPDATE boot_image_package"``, the object id when the statement names one) of a
    refused statement, for the refusal's audit record."""
    verb, table = statement_target(statement)
    if not verb:
        return "", ""
    spec = _TYPES.get(table)
    return f"{verb} {table}", bound_value(parameters, spec.id_columns[0]) if spec is not None else ""


def record_refusal(factory: sessionmaker[Session], error: AccessDeniedError, login: str) -> None:
    """Write the refusal in its own short transaction (the refused one is rolled back). Never
    raises: the administrator is told about the refusal whatever happens here."""
    verb, _, table = error.action.partition(" ")
    spec = _TYPES.get(table)  # "UPDATE boot_image_package" (refused_statement), else the action as said
    attempted, object_type = (verb, spec.object_type) if spec is not None else (error.action, "")
    is_package = spec.package_column == spec.id_columns[0] if spec is not None else bool(PACKAGE_ID.fullmatch(error.object_id))
    params = {
        "object_type": object_type, "object_id": error.object_id, "object_name": "",
        "package_id": error.object_id if is_package and error.object_id else None,
        "attempted": attempted, "message": error.message[:2000],
        "at": datetime.now(UTC), "login": error.login or login, "client": client_name(), "on_behalf_of": on_behalf_of(),
    }
    try:
        with factory() as session:
            session.connection()
            dialect = session.get_bind().dialect.name
            statement = text(refusal_sql(dialect))
            if dialect != "postgresql":  # the time as every other one is stored
                statement = statement.bindparams(bindparam("at", type_=DateTime(timezone=True)))
            session.execute(statement, params)
            session.commit()
    except (SQLAlchemyError, ConsoleError) as exc:
        log.warning("the refusal could not be audited: %s", exc)


# -- reading ------------------------------------------------------------------------------------

def _record(row: AuditRecordRow) -> AuditRecord:
    return AuditRecord(row.id, as_utc(row.at), row.login, row.on_behalf_of, row.client, row.object_type, row.object_id,
                       row.object_name, row.package_id, row.action, dict(row.changes or {}), row.message, row.attempted,
                       row.transaction_id)


class SqlAuditRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def query(self, query: AuditQuery) -> list[AuditRecord]:
        """Newest first (by id: the order the database wrote them), keyset-paged by ``before``."""
        stmt = select(AuditRecordRow).order_by(AuditRecordRow.id.desc()).limit(query.limit)
        if query.object_id:
            stmt = stmt.where(or_(AuditRecordRow.object_id == query.object_id,
                                  AuditRecordRow.package_id == query.object_id.upper()))
        if query.user:
            stmt = stmt.where(or_(AuditRecordRow.login == query.user, AuditRecordRow.on_behalf_of == query.user))
        if query.since is not None:
            stmt = stmt.where(AuditRecordRow.at >= query.since.astimezone(UTC))
        if query.action:
            stmt = stmt.where(AuditRecordRow.action == query.action)
        if query.before is not None:
            stmt = stmt.where(AuditRecordRow.id < query.before)
        if query.transaction_id is not None:
            stmt = stmt.where(AuditRecordRow.transaction_id == query.transaction_id)
        return [_record(row) for row in self._s.scalars(stmt)]

    def of_transactions(self, transaction_ids: Sequence[int]) -> list[AuditRecord]:
        """Every record of these transactions (oldest first), read in chunks of 500 ids."""
        found: list[AuditRecord] = []
        ids = sorted(set(transaction_ids))
        for start in range(0, len(ids), 500):
            stmt = (select(AuditRecordRow).where(AuditRecordRow.transaction_id.in_(ids[start:start + 500]))
                    .order_by(AuditRecordRow.id))
            found.extend(_record(row) for row in self._s.scalars(stmt))
        return found

    def get(self, record_id: int) -> AuditRecord | None:
        row = self._s.get(AuditRecordRow, record_id)
        return _record(row) if row is not None else None

    def transaction_id(self) -> int | None:
        """The id the audit records of the current write transaction carry."""
        if self._s.get_bind().dialect.name == "postgresql":
            return int(self._s.execute(text("SELECT txid_current()")).scalar_one())
        value = self._s.execute(text("SELECT transaction_id FROM audit_context WHERE id = 1")).scalar()
        return int(value) if value is not None else None
