"""Security enforced by PostgreSQL: the site's group roles, their grants, row-level security on
``SecuredScopeNames``, and who is connected (``read_identity``).

* **Roles** (cluster-wide, so prefixed with the site code: ``console.core.security.pg_role_name``):
  ``<site>_full_administrator``, ``_osd_manager``, ``_infrastructure_administrator``,
  ``_read_only_analyst``, ``_worker``; NOLOGIN group roles created idempotently (a parallel
  ``CREATE ROLE`` of the same name is caught). An administrator is a login that is a member.
* **Owner.** The tables belong to the login that ran ``bootimage site init`` (and runs the
  migrations): it bypasses row-level security (no FORCE: the migrations must see every row) and
  is the only one that can change the schema. Use a dedicated owner login, not a person's.
* **Grants** are re-applied (idempotently, in one transaction) after every migration, so tables a
  later migration adds are covered: schema-wide for "every table" rules, by table for the rest.
* **Scopes.** ``bootimage_sees_all()`` / ``bootimage_scopes()`` (STABLE SECURITY DEFINER, read
  once per statement through an InitPlan) feed the policies on packages (and their child rows),
  drivers and distribution points: an administrator sees and changes an object when one of its
  scopes is theirs; a trigger refuses giving an object a scope that is not theirs.
"""

from __future__ import annotations

import re
import socket
import weakref
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, text

from console.core import security
from console.core.errors import AccessDeniedError, ConsoleError
from console.core.security import ALL_SCOPES, DEFAULT_SCOPE, Identity, pg_role_name
from console.storage.statements import bound_value, statement_target

#: Tables each role writes (INSERT, UPDATE, DELETE); every role reads every table.
PACKAGE_TABLES = ("boot_image_package", "package_optional_component", "package_driver", "package_refresh_schedule",
                  "console_folder")
DRIVER_TABLES = ("driver", "driver_model", "driver_category", "ci_id_sequence")
DP_TABLES = ("distribution_point", "dp_group", "dp_group_member")
CONTENT_TABLES = ("package_dp", "dp_group_package", "package_content_summary", "dp_content_summary", "content_change")
JOB_TABLES = ("job", "worker")
#: Tables of sibling features every administrator role (not the analyst) writes, when they exist.
SHARED_WRITE_TABLES = ("object_lock",)
#: Append-only tables (audit): every role may add rows, nobody but the owner changes them.
APPEND_ONLY_TABLES = ("status_message", "audit_record", "change_log")
#: The worker may change only these columns of a package: content state, never its properties.
WORKER_PACKAGE_COLUMNS = (
    "source_version", "source_date", "package_size", "stored_pkg_version", "last_refresh_time", "action_in_progress",
    "context_id", "refresh_pkg_source_flag", "image_path", "image_index", "architecture", "image_os_version", "language", "image_property",
    "sedo_object_version", "last_modified_by", "last_modified_at", "search_text", "extra_properties",
    "source_file_size", "source_file_mtime_ns", "source_wim_guid",
)
#: Tables with row-level security on their own ``secured_scope_names``, and child tables that
#: follow their parent's visibility (table, key column, parent table, parent key).
SCOPED_TABLES = ("boot_image_package", "driver", "distribution_point")
CHILD_TABLES = (
    ("package_optional_component", "package_id", "boot_image_package", "package_id"),
    ("package_driver", "package_id", "boot_image_package", "package_id"),
    ("package_refresh_schedule", "package_id", "boot_image_package", "package_id"),
    ("driver_model", "ci_id", "driver", "ci_id"),
    ("driver_category", "ci_id", "driver", "ci_id"),
)


def role_names(site_code: str) -> dict[str, str]:
    return {role: pg_role_name(site_code, role) for role in security.ROLE_SUFFIXES}


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def _run(conn: Connection, sql: str) -> None:
    """DDL text as is (psycopg would read ``%`` as a placeholder)."""
    conn.exec_driver_sql(sql.replace("%", "%%"))


def _quote(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote_identifier(name))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_roles(conn: Connection, site_code: str) -> None:
    """Create the site's group roles (NOLOGIN) unless they exist; a test or console doing the
    same at the same moment is no error."""
    for name in role_names(site_code).values():
        conn.exec_driver_sql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_literal(name)}) THEN "
            f"CREATE ROLE {_quote(conn, name)} NOLOGIN; END IF; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")


def grant_membership(conn: Connection, group: str, member: str, *, admin_option: bool = False) -> None:
    """``GRANT group TO member`` unless it is so already (memberships are cluster-wide: a
    concurrent grant of the same membership is no error)."""
    check = (f"EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u "
             f"ON u.oid = m.member WHERE g.rolname = {_literal(group)} AND u.rolname = {_literal(member)}"
             + (" AND m.admin_option" if admin_option else "") + ")")
    conn.exec_driver_sql(
        f"DO $$ BEGIN IF NOT {check} THEN GRANT {_quote(conn, group)} TO {_quote(conn, member)}"
        + (" WITH ADMIN OPTION" if admin_option else "") + "; END IF; "
        f"EXCEPTION WHEN unique_violation OR internal_error THEN IF NOT {check} THEN RAISE; END IF; END $$")


def _existing_tables(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {str(r[0]) for r in rows}


def apply_site_security(conn: Connection, site_code: str) -> None:
    """Roles, grants, scope functions, policies and the scope trigger of site ``site_code``
    (idempotent; run by the owner after every migration and by ``site init``)."""
    roles = role_names(site_code)
    ensure_roles(conn, site_code)
    full, osd, infra, analyst, worker = (roles[r] for r in (
        security.FULL_ADMINISTRATOR, security.OSD_MANAGER, security.INFRASTRUCTURE_ADMINISTRATOR,
        security.READ_ONLY_ANALYST, security.WORKER))
    # a Full Administrator adds administrators: the admin option on every other role
    for role in (osd, infra, analyst, worker):
        grant_membership(conn, role, full, admin_option=True)
    q = {name: _quote(conn, name) for name in roles.values()}
    tables = _existing_tables(conn)
    def run(sql: str) -> None:
        _run(conn, sql)

    everyone = ", ".join(q.values())
    run("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    run(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {everyone}")
    run(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {everyone}")
    run(f"GRANT USAGE ON SCHEMA public TO {everyone}")
    run(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {everyone}")
    writers = (q[full], q[osd], q[infra], q[worker])
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {', '.join(writers)}")
    run(f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q[full]}")

    def write(role: str, names: tuple[str, ...]) -> None:
        present = [n for n in names if n in tables]
        if present:
            run(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(present)} TO {q[role]}")

    write(osd, PACKAGE_TABLES + DRIVER_TABLES + DP_TABLES + CONTENT_TABLES + JOB_TABLES + SHARED_WRITE_TABLES)
    write(infra, DP_TABLES + CONTENT_TABLES + JOB_TABLES + SHARED_WRITE_TABLES)
    write(worker, CONTENT_TABLES + JOB_TABLES)
    run(f"GRANT UPDATE (next_package_number) ON site TO {q[osd]}")  # a new package takes the next PackageID
    run(f"GRANT UPDATE ({', '.join(WORKER_PACKAGE_COLUMNS)}) ON boot_image_package TO {q[worker]}")
    run(f"GRANT UPDATE (free_bytes, last_contact) ON distribution_point TO {q[worker]}")
    for name in APPEND_ONLY_TABLES:
        if name in tables:
            run(f"REVOKE UPDATE, DELETE ON {name} FROM {q[full]}")
            run(f"GRANT INSERT ON {name} TO {everyone}")
    _scope_functions(conn, roles)
    _policies(conn, tables, roles)
    if "object_lock" in tables:
        _object_lock_policies(conn, roles[security.FULL_ADMINISTRATOR])


def _scope_functions(conn: Connection, roles: dict[str, str]) -> None:
    sees_all = (f"pg_has_role(session_user, {_literal(roles[security.FULL_ADMINISTRATOR])}, 'MEMBER') "
                f"OR pg_has_role(session_user, {_literal(roles[security.WORKER])}, 'MEMBER') "
                "OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'public.site'::regclass), 'MEMBER') "
                f"OR EXISTS (SELECT 1 FROM public.administrator_scope WHERE login = session_user "
                f"AND scope_name = {_literal(ALL_SCOPES)})")
    definer = "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public"
    def run(sql: str) -> None:
        _run(conn, sql)

    run(f"CREATE OR REPLACE FUNCTION bootimage_sees_all() RETURNS boolean {definer} AS $$ SELECT {sees_all} $$")
    # the scopes of session_user; "All": every scope of the site (an object always has one)
    run("CREATE OR REPLACE FUNCTION bootimage_scopes() RETURNS text[] "
        f"{definer} AS $$ SELECT CASE WHEN EXISTS (SELECT 1 FROM public.administrator_scope WHERE login = session_user "
        f"AND scope_name = {_literal(ALL_SCOPES)}) THEN (SELECT coalesce(array_agg(name::text), '{{}}') "
        "FROM public.security_scope) ELSE (SELECT coalesce(array_agg(scope_name::text), '{}') "
        "FROM public.administrator_scope WHERE login = session_user) END $$")
    run("REVOKE ALL ON FUNCTION bootimage_sees_all(), bootimage_scopes() FROM PUBLIC")
    run(f"GRANT EXECUTE ON FUNCTION bootimage_sees_all(), bootimage_scopes() TO {', '.join(_quote(conn, r) for r in roles.values())}")
    # New objects of an administrator without the Default scope get their scopes (as ConfigMgr
    # does); giving an object a scope that is not yours is refused (42501).
    run(f"""CREATE OR REPLACE FUNCTION bootimage_scope_guard() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, public AS $$
        DECLARE mine text[]; added text[];
        BEGIN
          IF bootimage_sees_all() THEN RETURN NEW; END IF;
          mine := bootimage_scopes();
          IF TG_OP = 'INSERT' AND NEW.secured_scope_names::jsonb = '["{DEFAULT_SCOPE}"]'::jsonb
             AND NOT ('{DEFAULT_SCOPE}' = ANY(mine)) AND cardinality(mine) > 0 THEN
            NEW.secured_scope_names := to_json(mine);
          END IF;
          SELECT coalesce(array_agg(s), '{{}}') INTO added FROM json_array_elements_text(NEW.secured_scope_names) s
           WHERE NOT (s = ANY(mine))
             AND (TG_OP = 'INSERT' OR NOT (OLD.secured_scope_names::jsonb ? s));
          IF cardinality(added) > 0 THEN
            RAISE EXCEPTION 'new row violates row-level security policy: security scope % is not one of yours',
              array_to_string(added, ', ') USING ERRCODE = '42501';
          END IF;
          RETURN NEW;
        END $$""")


def _visible(column: str = "secured_scope_names") -> str:
    """One index-able condition (no OR): the GIN index ``ix_<table>_scopes`` of migration 0013
    answers it, and the scopes are read once per statement (an InitPlan)."""
    return f"({column}::jsonb ?| (SELECT bootimage_scopes()))"


def _policies(conn: Connection, tables: set[str], roles: dict[str, str]) -> None:
    """Scoped roles get the scope policy; the Full Administrator and the worker a policy that is
    always true (the planner drops it, so their lists keep every index condition: a policy with a
    non-constant qual turns a keyset page's ``lower(name) > …`` into a filter, lower() not being
    leakproof)."""
    q = {role: _quote(conn, name) for role, name in roles.items()}
    scoped_roles = ", ".join(q[r] for r in (security.OSD_MANAGER, security.INFRASTRUCTURE_ADMINISTRATOR,
                                            security.READ_ONLY_ANALYST))
    unrestricted = ", ".join(q[r] for r in (security.FULL_ADMINISTRATOR, security.WORKER))

    def run(sql: str) -> None:
        _run(conn, sql)

    def policies(table: str, rule: str) -> None:
        run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name in ("scoped", "unrestricted"):
            run(f"DROP POLICY IF EXISTS {name} ON {table}")
        run(f"CREATE POLICY scoped ON {table} TO {scoped_roles} USING {rule} WITH CHECK {rule}")
        run(f"CREATE POLICY unrestricted ON {table} TO {unrestricted} USING (true) WITH CHECK (true)")

    for table in SCOPED_TABLES:
        policies(table, _visible())
        run(f"DROP TRIGGER IF EXISTS scope_guard ON {table}")
        run(f"CREATE TRIGGER scope_guard BEFORE INSERT OR UPDATE OF secured_scope_names ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bootimage_scope_guard()")
    for table, key, parent, parent_key in CHILD_TABLES:
        if table in tables:
            policies(table, f"(EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_key} = {table}.{key}))")


def _object_lock_policies(conn: Connection, full_administrator: str) -> None:
    """Object locks (SEDO, ``console.core.object_locks``): every administrator reads them; a lock
    is taken, renewed and released by its holder only (``holder_login = session_user``); taking
    over another's is allowed once it expired (30 minutes without a heartbeat), releasing
    another's only to a Full Administrator (or the tables' owner). UPDATE's own rule is a trigger,
    not a USING expression: ``INSERT … ON CONFLICT DO UPDATE … WHERE`` (the one-statement take)
    would otherwise fail on another's live lock instead of leaving it alone."""
    def run(sql: str) -> None:
        _run(conn, sql)

    full = (f"(pg_has_role(session_user, {_literal(full_administrator)}, 'MEMBER') OR pg_has_role(session_user, "
            "(SELECT relowner FROM pg_class WHERE oid = 'public.site'::regclass), 'MEMBER'))")
    run("ALTER TABLE object_lock ENABLE ROW LEVEL SECURITY")
    for name, rule in (
        ("lock_read", "FOR SELECT USING (true)"),
        ("lock_take", "FOR INSERT WITH CHECK (holder_login = session_user)"),
        ("lock_renew", "FOR UPDATE USING (true) WITH CHECK (holder_login = session_user)"),
        ("lock_release", f"FOR DELETE USING (holder_login = session_user OR {full})"),
    ):
        run(f"DROP POLICY IF EXISTS {name} ON object_lock")
        run(f"CREATE POLICY {name} ON object_lock {rule}")
    run(f"""CREATE OR REPLACE FUNCTION bootimage_object_lock_guard() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, public AS $$
        BEGIN
          IF OLD.holder_login <> session_user AND OLD.heartbeat_at >= now() - interval '30 minutes'
             AND NOT {full} THEN
            RAISE EXCEPTION 'new row violates row-level security policy: % holds a live lock on %',
              OLD.holder_login, OLD.object_id USING ERRCODE = '42501';
          END IF;
          RETURN NEW;
        END $$""")
    run("DROP TRIGGER IF EXISTS object_lock_guard ON object_lock")
    run("CREATE TRIGGER object_lock_guard BEFORE UPDATE ON object_lock FOR EACH ROW "
        "EXECUTE FUNCTION bootimage_object_lock_guard()")


def reapply_after_migration(conn: Connection) -> None:
    """After a migration (by the owner): the grants and policies again, so new tables are covered;
    nothing before the site exists (``site init`` applies them)."""
    tables = _existing_tables(conn)
    if "site" not in tables or "administrator_scope" not in tables:
        return
    code = conn.exec_driver_sql("SELECT site_code FROM site WHERE is_local").scalar()
    if code:
        apply_site_security(conn, str(code))


# -- who is connected ------------------------------------------------------------------------

def read_identity(conn: Connection, site_code: str | None, *, fallback_user: str) -> Identity:
    """PostgreSQL: ``session_user`` with its roles on the site (membership of the site's group
    roles; the tables' owner and a superuser are Full Administrators) and its scopes.
    SQLite: ``fallback_user`` (the operating-system user), the site's single administrator."""
    host = socket.gethostname()
    if not is_postgres(conn):
        return Identity(fallback_user, host)
    login = str(conn.exec_driver_sql("SELECT session_user").scalar())
    owner = bool(conn.exec_driver_sql(
        "SELECT rolsuper OR pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'site'::regclass), "
        "'MEMBER') FROM pg_roles WHERE rolname = session_user").scalar())
    roles: set[str] = {security.FULL_ADMINISTRATOR} if owner else set()
    if site_code and not owner:  # the roles granted to the login itself (a Full Administrator's
        names = role_names(site_code)  # group role is a member of the others, with admin option)
        held = set(logins_roles(conn, [login], site_code).get(login, []))
        roles |= {role for role, name in names.items() if name in held}
    scopes = {str(r[0]) for r in conn.execute(
        text("SELECT scope_name FROM administrator_scope WHERE login = session_user"))}
    if security.FULL_ADMINISTRATOR in roles or security.WORKER in roles:
        scopes.add(ALL_SCOPES)
    return Identity(login, host, frozenset(roles), frozenset(scopes))


def logins_roles(conn: Connection, logins: list[str], site_code: str) -> dict[str, list[str]]:
    """The site group roles granted directly to each of ``logins``."""
    rows = conn.execute(text(
        "SELECT u.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ANY(:logins) AND g.rolname = ANY(:names) "
        "ORDER BY 1, 2"), {"logins": logins, "names": list(role_names(site_code).values())})
    found: dict[str, list[str]] = {}
    for login, group in rows:
        found.setdefault(str(login), []).append(str(group))
    return found


def check_can_open(engine: Engine) -> None:
    """PostgreSQL, before anything else: a login that holds no role of the site is told so (not
    "permission denied for table alembic_version")."""
    if not is_postgres(engine):
        return
    with engine.connect() as plain:
        conn = plain.execution_options(bootimage_read_only=True)
        login, allowed = conn.exec_driver_sql(
            "SELECT session_user, to_regclass('alembic_version') IS NULL "
            "OR has_table_privilege('alembic_version', 'SELECT')").one()
        conn.rollback()
    if not allowed:
        raise AccessDeniedError(
            f"you ({login}) have no role on this site database: ask a Full Administrator to add you "
            f"(`bootimage admin add {login} --role \"Read-only Analyst\" --scope Default`)", login=str(login))


def identity_of(engine: Engine, *, fallback_user: str) -> Identity:
    """Who is connected to ``engine``'s site (read when the site is opened and after ``site init``)."""
    with engine.connect() as plain:
        # a reading transaction (console.storage.engine.READ_ONLY): on SQLite no write lock is taken
        conn = plain.execution_options(bootimage_read_only=True)
        code = conn.exec_driver_sql("SELECT site_code FROM site WHERE is_local").scalar()
        identity = read_identity(conn, str(code) if code else None, fallback_user=fallback_user)
        conn.rollback()
    return replace(identity, site_code=str(code or "")) if code else identity


def table_owner(conn: Connection) -> str:
    return str(conn.exec_driver_sql(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'site'::regclass").scalar())



# -- refusals ----------------------------------------------------------------------------------

_IDENTITIES: weakref.WeakKeyDictionary[Engine, Identity] = weakref.WeakKeyDictionary()
#: table -> (what the message calls its rows, the key column naming one)
OBJECT_NAMES = {
    "boot_image_package": ("boot image", "package_id"), "package_optional_component": ("boot image", "package_id"),
    "package_driver": ("boot image", "package_id"), "package_refresh_schedule": ("boot image", "package_id"),
    "driver": ("driver", "ci_id"), "driver_model": ("driver", "ci_id"), "driver_category": ("driver", "ci_id"),
    "distribution_point": ("distribution point", "name"), "dp_group": ("distribution point group", "name"),
    "package_dp": ("the content of boot image", "package_id"), "job": ("job", "context_id"),
    "console_folder": ("folder", "name"), "site": ("site", "site_code"), "site_setting": ("site setting", "key"),
    "security_scope": ("security scope", "name"), "administrator": ("administrator", "login"),
    "administrator_scope": ("the scopes of administrator", "login"),
}
_VERBS = {"INSERT": "add", "UPDATE": "change", "DELETE": "delete", "SELECT": "read"}


def remember_identity(engine: Engine, identity: Identity) -> None:
    """The identity refusals on ``engine``'s connections name."""
    _IDENTITIES[engine] = identity


def access_denied(exc: BaseException, engine: Engine | None, statement: str | None, parameters: Any) -> AccessDeniedError:
    """THE place a refusal of the database (SQLSTATE 42501: a missing grant, a row-level security
    policy, the scope trigger) becomes ``AccessDeniedError``, with the role, the site, the action
    and the object: "you have the Read-only Analyst role on site PS1: you cannot change boot image
    PS100004 (permission denied for table boot_image_package)"."""
    identity = _IDENTITIES.get(engine) if engine is not None else None
    reason = str(getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).strip().splitlines()[0]
    verb, table = statement_target(statement)
    kind, key = OBJECT_NAMES.get(table, (f"rows of {table}" if table else "this", ""))
    object_id = bound_value(parameters, key) if key else ""
    action = f"{_VERBS.get(verb, 'do')} {kind}" + (f" {object_id}" if object_id else "")
    if identity is None:
        return AccessDeniedError(f"the site database refused to {action} ({reason}); nothing was changed",
                                 action=action, object_id=object_id)
    role = identity.role_text if identity.roles else "no role"
    where = f" on site {identity.site_code}" if identity.site_code else ""
    message = f"you ({identity.login}) have {role}{where}: you cannot {action} ({reason}); nothing was changed"
    return AccessDeniedError(message, login=identity.login, role=", ".join(sorted(identity.roles)),
                             site_code=identity.site_code, action=action, object_id=object_id)
    for name, value in parameters.items():
        if isinstance(value, (str, int)) and (name == key or re.fullmatch(rf"{key}_\d+", str(name))):
            return str(value)
    return ""


# -- site init and administrators -----------------------------------------------------------

def init_postgres_site(engine: Engine, site_code: str, full_administrator: str | None) -> str:
    """Roles, grants and policies of the site, and its first Full Administrator (the connecting
    login unless named); idempotent. Returns the Full Administrator's login."""
    with engine.begin() as conn:
        apply_site_security(conn, site_code)
        login = full_administrator or str(conn.exec_driver_sql("SELECT session_user").scalar())
        require_login(conn, login)
        grant_membership(conn, pg_role_name(site_code, security.FULL_ADMINISTRATOR), login, admin_option=True)
        conn.execute(text("INSERT INTO administrator (login, added_at, added_by) VALUES (:l, now(), session_user) "
                          "ON CONFLICT (login) DO NOTHING"), {"l": login})
        conn.execute(text("INSERT INTO administrator_scope (login, scope_name) VALUES (:l, :s) "
                          "ON CONFLICT DO NOTHING"), {"l": login, "s": ALL_SCOPES})
    return login


def require_login(conn: Connection, login: str) -> None:
    can_login = conn.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :l"), {"l": login}).scalar()
    if can_login is None:
        raise ConsoleError(f"there is no PostgreSQL login {login!r} on this server: create it first "
                           "(or add the administrator with --create-login --password-file FILE)")
    if not can_login:
        raise ConsoleError(f"{login!r} is a PostgreSQL group role, not a login (it cannot log in)")


def create_login(conn: Connection, login: str, password: str) -> None:
    if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :l"), {"l": login}).scalar():
        raise ConsoleError(f"the PostgreSQL login {login!r} exists already; leave out --create-login")
    _run(conn, f"CREATE ROLE {_quote(conn, login)} LOGIN PASSWORD {_literal(password)}")


def revoke_site_roles(conn: Connection, site_code: str, login: str) -> list[str]:
    held = logins_roles(conn, [login], site_code).get(login, [])
    for group in held:
        _run(conn, f"REVOKE {_quote(conn, group)} FROM {_quote(conn, login)}")
    return held
