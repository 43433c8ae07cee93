"""Role-based administration: the security roles and scopes of a site, as ConfigMgr names them.

On a PostgreSQL site each role is a PostgreSQL group role prefixed with the site code
(PostgreSQL roles are cluster-wide), e.g. ``ps1_osd_manager``; an administrator is a PostgreSQL
login that is a member of one or more of them, and the database enforces what each may do
(grants, row-level security on ``SecuredScopeNames``). An SQLite site has one administrator, the
operating-system user, who holds every role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FULL_ADMINISTRATOR = "Full Administrator"
OSD_MANAGER = "Operating System Deployment Manager"
READ_ONLY_ANALYST = "Read-only Analyst"
INFRASTRUCTURE_ADMINISTRATOR = "Infrastructure Administrator"
WORKER = "Site Worker"

#: role name -> suffix of its PostgreSQL role (``<site code>_<suffix>``, lower case)
ROLE_SUFFIXES: dict[str, str] = {
    FULL_ADMINISTRATOR: "full_administrator",
    OSD_MANAGER: "osd_manager",
    READ_ONLY_ANALYST: "read_only_analyst",
    INFRASTRUCTURE_ADMINISTRATOR: "infrastructure_administrator",
    WORKER: "worker",
}

#: The roles an administrator can be given (the worker role belongs to worker processes).
ADMINISTRATOR_ROLES = (FULL_ADMINISTRATOR, OSD_MANAGER, READ_ONLY_ANALYST, INFRASTRUCTURE_ADMINISTRATOR)

DEFAULT_SCOPE = "Default"
ALL_SCOPES = "All"


def pg_role_name(site_code: str, role: str) -> str:
    """The PostgreSQL role of ``role`` on site ``site_code`` (``PS1``, OSD_MANAGER -> ``ps1_osd_manager``)."""
    return f"{site_code.lower()}_{ROLE_SUFFIXES[role]}"


@dataclass(frozen=True)
class Identity:
    """Who is connected: the database's ``session_user`` on PostgreSQL, the OS user on SQLite."""

    login: str
    host: str = ""
    roles: frozenset[str] = field(default_factory=lambda: frozenset({FULL_ADMINISTRATOR}))
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({ALL_SCOPES}))
    site_code: str = ""

    @property
    def is_full_administrator(self) -> bool:
        return FULL_ADMINISTRATOR in self.roles

    @property
    def role_text(self) -> str:
        """The roles as a message names them: "the Read-only Analyst role"."""
        names = sorted(self.roles) or ["no"]
        return f"the {' and '.join(names)} role" + ("s" if len(names) > 1 else "")

    @property
    def summary(self) -> str:
        """Who is connected, as the status bar says it: "alice (Read-only Analyst; scopes Lab) on PS1"."""
        roles = ", ".join(sorted(self.roles)) or "no role"
        scopes = "all scopes" if ALL_SCOPES in self.scopes else "scopes " + (", ".join(sorted(self.scopes)) or "none")
        return f"{self.login} ({roles}; {scopes})" + (f" on {self.site_code}" if self.site_code else "")


def role_from_text(text: str) -> str | None:
    """A role by its name, case-insensitively, or by its short form (``osd_manager``, ``osd
    manager``, ``full``, ``analyst``, ``infrastructure``); None when no role matches."""
    key = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    for role, suffix in ROLE_SUFFIXES.items():
        short = suffix.replace("_", " ")
        if key in (role.lower(), short, short.split()[0]) or (key == "analyst" and role == READ_ONLY_ANALYST):
            return role
    return None
