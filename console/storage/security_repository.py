"""Storage of security scopes, object scopes and administrators (``SecurityDirectory`` of
``console.core.services.security_admin``). Each call is one transaction on the site engine;
the database's grants and policies decide what the connected login may do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, Table, TextClause, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from console.core.security import ADMINISTRATOR_ROLES, FULL_ADMINISTRATOR, WORKER, pg_role_name
from console.core.services.security_admin import (
    DISTRIBUTION_POINT,
    DRIVER,
    PACKAGE,
    Administrator,
    NewAdministrator,
    Scope,
)
from console.core.values import as_utc
from console.storage import security_sql
from console.storage.distribution_schema import DistributionPointRow
from console.storage.driver_schema import DriverRow
from console.storage.engine import READ_ONLY
from console.storage.schema import PackageRow, SiteRow
from console.storage.security_schema import AdministratorRow, AdministratorScopeRow, SecurityScopeRow

_TABLES: dict[str, Table] = {PACKAGE: PackageRow.__table__, DRIVER: DriverRow.__table__,  # type: ignore[dict-item]
                            DISTRIBUTION_POINT: DistributionPointRow.__table__}  # type: ignore[dict-item]


class SqlSecurityDirectory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A reading transaction (no write lock on SQLite: console.storage.engine.READ_ONLY)."""
        with self._engine.connect() as conn:
            yield conn.execution_options(**{READ_ONLY: True})

    @property
    def supports_administrators(self) -> bool:
        return security_sql.is_postgres(self._engine)

    # -- scopes ----------------------------------------------------------------------------
    def scopes(self) -> list[Scope]:
        with self._reading() as conn:
            rows = conn.execute(select(SecurityScopeRow.name, SecurityScopeRow.description, SecurityScopeRow.created_by)
                                .order_by(SecurityScopeRow.name_key)).all()
        return [Scope(str(n), str(d or ""), str(b or "")) for n, d, b in rows]

    def add_scope(self, scope: Scope, *, at: datetime) -> bool:
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(SecurityScopeRow).values(name=scope.name, name_key=scope.name.lower(),
                                                             description=scope.description, created_at=at,
                                                             created_by=scope.created_by))
        except IntegrityError:
            return False
        return True

    def remove_scope(self, name: str) -> bool:
        with self._engine.begin() as conn:
            return bool(conn.execute(delete(SecurityScopeRow).where(SecurityScopeRow.name == name)).rowcount)

    def scope_users(self, name: str) -> tuple[int, list[str]]:
        with self._reading() as conn:
            objects = sum(int(conn.execute(select(func.count()).select_from(table).where(self._has_scope(table, name))
                                           ).scalar() or 0) for table in _TABLES.values())
            admins = conn.execute(select(AdministratorScopeRow.login).where(AdministratorScopeRow.scope_name == name)
                                  .order_by(AdministratorScopeRow.login)).scalars().all()
        return objects, [str(a) for a in admins]

    def _has_scope(self, table: Table, name: str) -> TextClause:
        column = f"{table.name}.secured_scope_names"
        if security_sql.is_postgres(self._engine):
            return text(f"{column}::jsonb ? :scope").bindparams(scope=name)
        return text(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = :scope)").bindparams(scope=name)

    # -- scopes of objects -----------------------------------------------------------------
    @staticmethod
    def _where(kind: str, object_id: str) -> ColumnElement[bool]:
        table = _TABLES[kind]
        if kind == PACKAGE:
            return table.c.package_id == object_id
        if kind == DRIVER:
            return table.c.ci_id == int(object_id)
        return table.c.name_key == object_id.lower()

    def object_scopes(self, kind: str, object_id: str) -> list[str] | None:
        table = _TABLES[kind]
        with self._reading() as conn:
            row = conn.execute(select(table.c.secured_scope_names).where(self._where(kind, object_id))).first()
        return None if row is None else [str(s) for s in (row[0] or [])]

    def set_object_scopes(self, kind: str, object_id: str, scopes: Sequence[str], *, by: str, at: datetime) -> bool:
        table = _TABLES[kind]
        values: dict[str, object] = {"secured_scope_names": list(scopes)}
        if kind == PACKAGE:  # another console's save based on the old version is refused
            values.update(sedo_object_version=str(uuid.uuid4()).upper(), last_modified_by=by, last_modified_at=at)
        else:
            values.update(modified_by=by, modified_at=at)
            if kind == DISTRIBUTION_POINT:
                values["version"] = table.c.version + 1
        with self._engine.begin() as conn:
            stmt = update(table).where(self._where(kind, object_id)).values(**values)
            return bool(conn.execute(stmt).rowcount)

    # -- administrators (PostgreSQL) -------------------------------------------------------
    def _site_code(self, conn: Connection) -> str:
        code = conn.execute(select(SiteRow.site_code).where(SiteRow.is_local.is_(True))).scalar()
        if not code:
            from console.core.errors import SiteNotInitializedError

            raise SiteNotInitializedError("this site database has no site yet: run `bootimage site init` first")
        return str(code)

    def administrators(self) -> list[Administrator]:
        with self._reading() as conn:
            code = self._site_code(conn)
            rows = conn.execute(select(AdministratorRow.login, AdministratorRow.added_by, AdministratorRow.added_at)
                                .order_by(AdministratorRow.login)).all()
            scopes: dict[str, list[str]] = {}
            for login, scope in conn.execute(select(AdministratorScopeRow.login, AdministratorScopeRow.scope_name)
                                             .order_by(AdministratorScopeRow.scope_name)):
                scopes.setdefault(str(login), []).append(str(scope))
            held = security_sql.logins_roles(conn, [r.login for r in rows], code)
        by_pg = {pg_role_name(code, role): role for role in (*ADMINISTRATOR_ROLES, WORKER)}
        return [Administrator(r.login, tuple(by_pg[g] for g in held.get(r.login, []) if g in by_pg),
                              tuple(scopes.get(r.login, [])), r.added_by, as_utc(r.added_at))
                for r in rows]

    def add_administrator(self, admin: NewAdministrator, *, by: str) -> None:
        with self._engine.begin() as conn:
            code = self._site_code(conn)
            if admin.password is not None:
                security_sql.create_login(conn, admin.login, admin.password)
            security_sql.require_login(conn, admin.login)
            security_sql.grant_membership(conn, pg_role_name(code, admin.role), admin.login,
                                          admin_option=admin.role == FULL_ADMINISTRATOR)
            if conn.execute(select(AdministratorRow.login).where(AdministratorRow.login == admin.login)).first() is None:
                conn.execute(insert(AdministratorRow).values(login=admin.login, added_at=func.now(), added_by=by))
            conn.execute(delete(AdministratorScopeRow).where(AdministratorScopeRow.login == admin.login))
            conn.execute(insert(AdministratorScopeRow), [{"login": admin.login, "scope_name": s} for s in admin.scopes])

    def remove_administrator(self, login: str) -> bool:
        with self._engine.begin() as conn:
            code = self._site_code(conn)
            held = security_sql.revoke_site_roles(conn, code, login)
            removed = conn.execute(delete(AdministratorRow).where(AdministratorRow.login == login)).rowcount
        return bool(held or removed)
