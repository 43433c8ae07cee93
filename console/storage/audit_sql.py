"""The audit triggers, written by the database itself in the changing transaction (migration 0015).

**PostgreSQL.** One AFTER INSERT/UPDATE/DELETE row trigger per audited table calls
``bootimage_audit_row(spec)``, a SECURITY DEFINER function owned by the schema owner: it
compares ``to_jsonb(OLD)`` with ``to_jsonb(NEW)`` over the audited columns and inserts the record
with ``session_user`` (the login, never a value the client states), ``bootimage.on_behalf_of``
and ``bootimage.client`` (``set_config(..., true)`` at the start of each write transaction of
the console or worker, ``audit_repository.begin_write``; empty for plain ``psql``, whose
``application_name`` is recorded instead) and ``txid_current()``. ``bootimage_audit_refusal``
writes a refusal the console saw (any role may EXECUTE it; no role but the owner may INSERT,
UPDATE, DELETE or TRUNCATE ``audit_record``: ``bootimage_audit_guard`` raises for anyone else).

**SQLite.** Per audited table three triggers build the same record in SQL (``json_group_object``
over the changed columns). Who is acting comes from the one-row ``audit_context`` table the
console writes at the start of each write transaction (``BEGIN IMMEDIATE``: it holds the only
write lock, so no other connection can see or change that row) and removes before the commit;
a change from plain ``sqlite3`` finds no row and is recorded as ``(unknown)`` from ``sqlite3``.
This was chosen over an application-defined function, which every other program (the
``sqlite3`` shell, tests that edit a file) would lack, so their writes would fail, and over the
ORM's flush events, which miss the Core UPDATEs and DELETEs the repositories issue.
"""

from __future__ import annotations

import json

from sqlalchemy import Boolean, DateTime, LargeBinary, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.types import JSON

from console.storage.audit_schema import AUDITED, AuditedTable

UNKNOWN_LOGIN = "(unknown)"
SQLITE_CLIENT = "sqlite3"
IMMUTABLE = "audit records cannot be changed or deleted; only the database owner may prune them"
OPS = {"insert": "created", "update": "changed", "delete": "deleted"}


def _kind(table: str, column: str) -> str:
    from console.storage.all_schemas import Base  # every audited table's column types

    mapped = Base.metadata.tables.get(table)
    if mapped is None or column not in mapped.columns:
        return "plain"
    col_type = mapped.columns[column].type
    if isinstance(col_type, LargeBinary):
        return "blob"
    if isinstance(col_type, JSON):
        return "json"
    if isinstance(col_type, Boolean):
        return "bool"
    if isinstance(col_type, DateTime):
        return "time"
    return "plain"


def _present(conn: Connection) -> list[tuple[AuditedTable, dict[str, str]]]:
    """Each audited table that exists, with its audited columns that exist (-> property)."""
    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    found = []
    for spec in AUDITED:
        if spec.table in tables:
            columns = {c["name"] for c in inspector.get_columns(spec.table)}
            found.append((spec, {c: p for c, p in spec.properties.items() if c in columns}))
    return found


def install(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        _install_postgresql(conn)
    else:
        _install_sqlite(conn)


def uninstall(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for spec in AUDITED:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_{spec.table} ON {spec.table}")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS bootimage_audit_row() CASCADE")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS bootimage_audit_refusal(text, text, text, text, text, text)")
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS bootimage_audit_guard() CASCADE")
        return
    for spec in AUDITED:
        for op in OPS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_{spec.table}_{op}")
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_record_no_update")
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_record_no_delete")


# -- SQLite -------------------------------------------------------------------------------------

def _sqlite_json(kind: str, ref: str) -> str:
    """SQL for the JSON text of one value."""
    if kind == "bool":
        return f"CASE WHEN {ref} IS NULL THEN 'null' WHEN {ref} THEN 'true' ELSE 'false' END"
    if kind == "json":
        return f"coalesce({ref}, 'null')"
    if kind == "blob":
        return f"coalesce(length({ref}), 'null')"
    if kind == "time":
        return f"CASE WHEN {ref} IS NULL THEN 'null' ELSE json_quote(replace(substr({ref}, 1, 19), ' ', 'T') || '+00:00') END"
    return f"json_quote({ref})"


def sqlite_trigger(spec: AuditedTable, columns: dict[str, str], op: str) -> str:
    ref = "OLD" if op == "delete" else "NEW"
    branches = []
    for column, prop in columns.items():
        kind = _kind(spec.table, column)
        old = _sqlite_json(kind, f"OLD.{column}") if op != "insert" else "'null'"
        new = _sqlite_json(kind, f"NEW.{column}") if op != "delete" else "'null'"
        condition = {"update": f"OLD.{column} IS NOT NEW.{column}", "insert": f"NEW.{column} IS NOT NULL",
                     "delete": f"OLD.{column} IS NOT NULL"}[op]
        branches.append(f"SELECT '{prop}' AS p, '[' || {old} || ',' || {new} || ']' AS v WHERE {condition}")
    object_id = " || '/' || ".join(f"CAST({ref}.{c} AS TEXT)" for c in spec.id_columns)
    name = f"coalesce({ref}.{spec.name_column}, '')" if spec.name_column else "''"
    package = f"{ref}.{spec.package_column}" if spec.package_column else "NULL"
    only_changes = "WHERE c.changes <> '{}'" if op == "update" else ""
    return f"""CREATE TRIGGER audit_{spec.table}_{op} AFTER {op.upper()} ON {spec.table} BEGIN
INSERT INTO audit_record (at, login, on_behalf_of, client, object_type, object_id, object_name, package_id, action,
                          changes, message, attempted, transaction_id)
SELECT strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', coalesce(x.login, '{UNKNOWN_LOGIN}'),
       coalesce(x.on_behalf_of, ''), coalesce(x.client, '{SQLITE_CLIENT}'), '{spec.object_type}', {object_id},
       {name}, {package}, '{OPS[op]}', c.changes, '', '', x.transaction_id
FROM (SELECT json_group_object(p, json(v)) AS changes FROM ({" UNION ALL ".join(branches)})) AS c
LEFT JOIN audit_context AS x ON x.id = 1
{only_changes};
END"""


def _install_sqlite(conn: Connection) -> None:
    for spec, columns in _present(conn):
        for op in OPS:
            conn.exec_driver_sql(sqlite_trigger(spec, columns, op))
    for op in ("update", "delete"):
        conn.exec_driver_sql(f"CREATE TRIGGER audit_record_no_{op} BEFORE {op.upper()} ON audit_record "
                             f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")


# -- PostgreSQL ---------------------------------------------------------------------------------

_WHO = """session_user, coalesce(current_setting('bootimage.on_behalf_of', true), ''),
        coalesce(nullif(current_setting('bootimage.client', true), ''),
                 nullif(current_setting('application_name', true), ''), 'psql')"""

_ROW_FUNCTION = """CREATE OR REPLACE FUNCTION bootimage_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp SET TimeZone = 'UTC' AS $fn$
DECLARE
    spec jsonb := TG_ARGV[0]::jsonb;
    old_row jsonb;
    new_row jsonb;
    cur jsonb;
    changes jsonb := '{{}}'::jsonb;
    col text;
    prop text;
    o jsonb;
    n jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
    cur := coalesce(new_row, old_row);
    FOR col, prop IN SELECT key, value #>> '{{}}' FROM jsonb_each(spec -> 'properties') LOOP
        o := nullif(old_row -> col, 'null'::jsonb);
        n := nullif(new_row -> col, 'null'::jsonb);
        CONTINUE WHEN o IS NOT DISTINCT FROM n;
        IF (spec -> 'blobs') ? col THEN  -- bytea as its length, as on SQLite
            o := to_jsonb((length(o #>> '{{}}') - 2) / 2);
            n := to_jsonb((length(n #>> '{{}}') - 2) / 2);
        END IF;
        changes := changes || jsonb_build_object(prop, jsonb_build_array(o, n));
    END LOOP;
    IF TG_OP = 'UPDATE' AND changes = '{{}}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_record (at, login, on_behalf_of, client, object_type, object_id, object_name, package_id,
                              action, changes, message, attempted, transaction_id)
    VALUES (now(), {who}, spec ->> 'type',
            (SELECT string_agg(cur ->> c, '/' ORDER BY i) FROM jsonb_array_elements_text(spec -> 'id') WITH ORDINALITY AS t(c, i)),
            coalesce(cur ->> (spec ->> 'name'), ''), cur ->> (spec ->> 'package'),
            CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END,
            changes, '', '', txid_current());
    RETURN NULL;
END
$fn$"""

_REFUSAL_FUNCTION = """CREATE OR REPLACE FUNCTION bootimage_audit_refusal(
    p_object_type text, p_object_id text, p_object_name text, p_package_id text, p_attempted text, p_message text)
RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $fn$
    INSERT INTO audit_record (at, login, on_behalf_of, client, object_type, object_id, object_name, package_id,
                              action, changes, message, attempted, transaction_id)
    VALUES (now(), {who}, left(coalesce(p_object_type, ''), 64), left(coalesce(p_object_id, ''), 128),
            left(coalesce(p_object_name, ''), 255), left(p_package_id, 8), 'refused', NULL,
            left(coalesce(p_message, ''), 2000), left(coalesce(p_attempted, ''), 64), txid_current())
    RETURNING id
$fn$"""

_GUARD_FUNCTION = """CREATE OR REPLACE FUNCTION bootimage_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- not SECURITY DEFINER: current_user is whoever runs the statement (the owner, when it is
    -- the audit functions above)
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = '{message} (' || TG_OP || ' by ' || session_user || ')';
END
$fn$"""


def postgres_spec(spec: AuditedTable, columns: dict[str, str]) -> str:
    return json.dumps({
        "type": spec.object_type, "id": list(spec.id_columns), "name": spec.name_column,
        "package": spec.package_column, "properties": columns,
        "blobs": [c for c in columns if _kind(spec.table, c) == "blob"],
    }, separators=(",", ":"))


def _install_postgresql(conn: Connection) -> None:
    schema = conn.exec_driver_sql("SELECT quote_ident(current_schema())").scalar_one()
    conn.exec_driver_sql(_ROW_FUNCTION.format(schema=schema, who=_WHO))
    conn.exec_driver_sql(_REFUSAL_FUNCTION.format(schema=schema, who=_WHO))
    conn.exec_driver_sql(_GUARD_FUNCTION.format(message=IMMUTABLE))
    for spec, columns in _present(conn):
        argument = postgres_spec(spec, columns).replace("'", "''")
        conn.exec_driver_sql(f"CREATE TRIGGER audit_{spec.table} AFTER INSERT OR UPDATE OR DELETE ON {spec.table} "
                             f"FOR EACH ROW EXECUTE FUNCTION bootimage_audit_row('{argument}')")
    conn.exec_driver_sql("CREATE TRIGGER audit_record_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_record "
                         "FOR EACH ROW EXECUTE FUNCTION bootimage_audit_guard()")
    conn.exec_driver_sql("CREATE TRIGGER audit_record_guard_truncate BEFORE TRUNCATE ON audit_record "
                         "FOR EACH STATEMENT EXECUTE FUNCTION bootimage_audit_guard()")
    conn.exec_driver_sql("REVOKE ALL ON audit_record FROM PUBLIC")
    conn.exec_driver_sql("REVOKE ALL ON FUNCTION bootimage_audit_row() FROM PUBLIC")
    conn.exec_driver_sql("REVOKE ALL ON FUNCTION bootimage_audit_refusal(text, text, text, text, text, text) FROM PUBLIC")
    conn.exec_driver_sql("GRANT EXECUTE ON FUNCTION bootimage_audit_refusal(text, text, text, text, text, text) TO PUBLIC")


def refusal_sql(dialect: str) -> str:
    """The statement that records a refusal (named parameters: object_type, object_id,
    object_name, package_id, attempted, message; SQLite also login, client, on_behalf_of, at)."""
    if dialect == "postgresql":
        return ("SELECT bootimage_audit_refusal(:object_type, :object_id, :object_name, :package_id, "
                ":attempted, :message)")
    return ("INSERT INTO audit_record (at, login, on_behalf_of, client, object_type, object_id, object_name, "
            "package_id, action, changes, message, attempted, transaction_id) VALUES (:at, :login, :on_behalf_of, "
            ":client, :object_type, :object_id, :object_name, :package_id, 'refused', NULL, :message, :attempted, NULL)")
