"""Security scopes, the scopes of objects, and the administrators of a site with their roles
(ConfigMgr's Administration › Security). The database enforces them (PostgreSQL grants and
row-level security, ``console.storage.security_sql``); this service validates input and names
things. An SQLite site has a single administrator: scopes can be kept there, administrators not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from console.core.changes import Changes, Result
from console.core.errors import ConsoleError, NotFoundError, ValidationError
from console.core.security import ADMINISTRATOR_ROLES, ALL_SCOPES, DEFAULT_SCOPE, WORKER, role_from_text
from console.core.services.context import ServiceContext

#: Object kinds that carry SecuredScopeNames: what ``scope set`` calls them.
PACKAGE, DRIVER, DISTRIBUTION_POINT = "package", "driver", "distribution point"
OBJECT_KINDS = (PACKAGE, DRIVER, DISTRIBUTION_POINT)
_PACKAGE_ID = re.compile(r"^[A-Z0-9]{3}[0-9A-F]{5}$")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\"\\]")


@dataclass(frozen=True)
class Scope:
    name: str
    description: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class Administrator:
    login: str
    roles: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    added_by: str = ""
    added_at: datetime | None = None


@dataclass(frozen=True)
class NewAdministrator:
    login: str
    role: str
    scopes: tuple[str, ...] = field(default_factory=tuple)
    password: str | None = None  # with --create-login: the new login's password


class SecurityDirectory(Protocol):
    """Storage of scopes and administrators (``console.storage.security_repository``)."""

    @property
    def supports_administrators(self) -> bool: ...
    def scopes(self) -> list[Scope]: ...
    def add_scope(self, scope: Scope, *, at: datetime) -> bool: ...
    def remove_scope(self, name: str) -> bool: ...
    def scope_users(self, name: str) -> tuple[int, list[str]]:
        """(objects in the scope, administrators given it)."""
        ...
    def object_scopes(self, kind: str, object_id: str) -> list[str] | None: ...
    def set_object_scopes(self, kind: str, object_id: str, scopes: Sequence[str], *, by: str, at: datetime) -> bool: ...
    def administrators(self) -> list[Administrator]: ...
    def add_administrator(self, admin: NewAdministrator, *, by: str) -> None: ...
    def remove_administrator(self, login: str) -> bool: ...


class SecurityAdmin:
    def __init__(self, ctx: ServiceContext, directory: SecurityDirectory) -> None:
        self._ctx = ctx
        self._dir = directory

    # -- scopes --------------------------------------------------------------------------
    def scopes(self) -> list[Scope]:
        return self._dir.scopes()

    def scope_names(self, names: Sequence[str]) -> tuple[str, ...]:
        """``names`` as the site spells them (case-insensitive); an unknown one is refused by name."""
        known = {s.name.lower(): s.name for s in self._dir.scopes()}
        result: list[str] = []
        for name in names:
            found = ALL_SCOPES if name.strip().lower() == ALL_SCOPES.lower() else known.get(name.strip().lower())
            if found is None:
                raise ValidationError.single("SecuredScopeNames", f"there is no security scope {name!r} on this site "
                                             f"(scopes: {', '.join(sorted(known.values()))})")
            if found not in result:
                result.append(found)
        return tuple(result)

    def add_scope(self, name: str, description: str = "") -> Result[Scope]:
        name = name.strip()
        if not name or len(name) > 255 or _BAD_NAME.search(name):
            raise ValidationError.single("Name", f"a security scope name must be 1-255 characters without quotes, "
                                         f"backslashes or control characters; got {name!r}")
        if name.lower() == ALL_SCOPES.lower():
            raise ValidationError.single("Name", f"{ALL_SCOPES!r} is reserved: an administrator given it sees every object")
        scope = Scope(name, description.strip(), self._ctx.user)
        if not self._dir.add_scope(scope, at=self._ctx.clock()):
            raise ValidationError.single("Name", f"the security scope {name!r} exists already")
        return Result(scope, Changes())

    def remove_scope(self, name: str) -> Result[str]:
        (canonical,) = self.scope_names([name])
        if canonical in (DEFAULT_SCOPE, ALL_SCOPES):
            raise ValidationError.single("Name", f"the {canonical!r} scope belongs to every site and cannot be removed")
        objects, admins = self._dir.scope_users(canonical)
        if objects or admins:
            users = [f"{objects} object(s)"] if objects else []
            users += [f"administrator(s) {', '.join(admins)}"] if admins else []
            raise ConsoleError(f"the security scope {canonical!r} is in use by {' and '.join(users)}; "
                               "move them to other scopes first (nothing was removed)")
        self._dir.remove_scope(canonical)
        return Result(canonical, Changes())

    # -- scopes of objects (Set Security Scopes…) ----------------------------------------
    @staticmethod
    def kind_of(object_id: str) -> str:
        """What ``scope set`` acts on: a driver's CI_ID (digits only), a PackageID, else a DP's
        name (``kind`` given explicitly settles a DP named like a PackageID)."""
        text = object_id.strip()
        if text.isdigit():
            return DRIVER
        return PACKAGE if _PACKAGE_ID.match(text.upper()) else DISTRIBUTION_POINT

    def object_scopes(self, object_id: str, kind: str | None = None) -> list[str]:
        kind = kind or self.kind_of(object_id)
        found = self._dir.object_scopes(kind, _key(kind, object_id))
        if found is None:
            raise _not_found(kind, object_id)
        return found

    def set_object_scopes(self, object_id: str, scopes: Sequence[str], kind: str | None = None) -> Result[list[str]]:
        """Set an object's SecuredScopeNames (at least one scope). The database refuses a scope
        that is not the administrator's (AccessDeniedError)."""
        kind = kind or self.kind_of(object_id)
        if not scopes:
            raise ValidationError.single("SecuredScopeNames", "an object needs at least one security scope")
        names = list(self.scope_names(scopes))
        if ALL_SCOPES in names:
            raise ValidationError.single("SecuredScopeNames", f"{ALL_SCOPES!r} is given to administrators, not objects")
        if not self._dir.set_object_scopes(kind, _key(kind, object_id), names, by=self._ctx.user, at=self._ctx.clock()):
            raise _not_found(kind, object_id)
        changes = Changes(updated=frozenset({_key(kind, object_id)})) if kind == PACKAGE else Changes()
        return Result(names, changes)

    # -- administrators ------------------------------------------------------------------
    def administrators(self) -> list[Administrator]:
        self._require_server()
        return self._dir.administrators()

    def add_administrator(self, login: str, role: str, scopes: Sequence[str], *, password: str | None = None
                          ) -> Result[Administrator]:
        self._require_server()
        found = role_from_text(role)
        if found not in (*ADMINISTRATOR_ROLES, WORKER):
            raise ValidationError.single("Role", f"there is no security role {role!r}; roles: "
                                         f"{', '.join(ADMINISTRATOR_ROLES)} (or osd_manager, read_only_analyst, …), "
                                         f"and {WORKER} (worker) for worker logins")
        login = login.strip()
        if not login or len(login) > 63 or _BAD_NAME.search(login):
            raise ValidationError.single("Login", f"{login!r} is not a PostgreSQL login name (1-63 characters)")
        names = self.scope_names(scopes or [DEFAULT_SCOPE])
        assert found is not None
        self._dir.add_administrator(NewAdministrator(login, found, names, password), by=self._ctx.user)
        return Result(Administrator(login, (found,), names, self._ctx.user), Changes())

    def remove_administrator(self, login: str) -> Result[str]:
        self._require_server()
        if login == self._ctx.user:
            raise ConsoleError(f"you cannot remove yourself ({login}); another Full Administrator can")
        if not self._dir.remove_administrator(login):
            raise NotFoundError(f"{login!r} is not an administrator of this site")
        return Result(login, Changes())

    def _require_server(self) -> None:
        if not self._dir.supports_administrators:
            raise ConsoleError("an SQLite site has a single administrator (the operating-system user, whose file "
                               "permissions are the access control); administrators and roles need a PostgreSQL "
                               "site: see docs/team-site.md")


def _key(kind: str, object_id: str) -> str:
    return object_id.strip().upper() if kind == PACKAGE else object_id.strip()


def _not_found(kind: str, object_id: str) -> NotFoundError:
    return NotFoundError(f"there is no {kind} {object_id!r} (objects outside your security scopes are not shown)")
