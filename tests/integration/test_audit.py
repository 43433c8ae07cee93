"""Audit records (issue 13 §4) on SQLite and PostgreSQL: written by the database in the changing
transaction, old -> new per property, who and from where; changes made with plain ``psql`` or
``sqlite3`` too; refusals in a transaction of their own; nobody but the owner may change or
delete them."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from console.app import ensure_default_site, open_console
from console.core.audit import AuditQuery
from console.core.errors import AccessDeniedError, ConflictError

USER = "alice@console1"

try:  # a site with security roles (issue 13 §2): a login is given a role of the site
    from tests.postgres import login_url  # type: ignore[attr-defined]
except ImportError:  # a site without them: plain grants are all a login needs
    login_url = None


@pytest.fixture
def site(site_db: str, x64_facts) -> Iterator:
    console = open_console(site_db, user=USER)
    ensure_default_site(console)
    console.packages.create(name="Boot image (x64)", image_path="/images/boot.wim", image_index=1, image=x64_facts)
    yield console
    console.close()


def login_of(console) -> str:
    """Who the database says is connected: the PostgreSQL login, or the console's user on SQLite."""
    url = make_url(console.url)
    return url.username or "" if url.get_backend_name() == "postgresql" else console.context.user


def records(console, **query) -> list:
    return console.audit.query(AuditQuery(**query))


def psql(console, user: str, *sql: str) -> subprocess.CompletedProcess[str]:
    url = make_url(console.url)
    commands = [arg for statement in sql for arg in ("-c", statement)]
    return subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", str(url.query["host"]), "-U", user,
                           "-d", str(url.database), *commands], capture_output=True, text=True, timeout=60)


def new_login(console, *grants: str) -> str:
    """A PostgreSQL login of this test only (roles are cluster-wide: a unique name)."""
    name = f"audit_{uuid.uuid4().hex[:8]}"
    done = psql(console, "postgres", f"CREATE ROLE {name} LOGIN", *(g.format(name=name) for g in grants))
    assert done.returncode == 0, done.stderr
    return name


def test_a_property_change_is_one_record_with_old_and_new_values(site):
    before = site.packages.get("PS100001")
    site.packages.put("PS100001", {"ScratchSpace": 256, "Description": "Lab image"},
                      expected_version=before.values["SedoObjectVersion"])
    [record, created] = records(site, object_id="PS100001")
    assert (created.action, record.action) == ("created", "changed")
    assert record.object_type == "SMS_BootImagePackage" and record.object_name == "Boot image (x64)"
    assert dict(record.changes) == {"ScratchSpace": [512, 256], "Description": ["", "Lab image"]}
    assert record.login == login_of(site) and record.on_behalf_of == ""
    assert record.client.split()[0] and "[" in record.client  # host and program[pid]
    # the status message of the same transaction shows these values from the audit
    [message] = [m for m in site.status.query(package_id="PS100001") if m.text.startswith("Properties changed")]
    assert site.audit.for_message(message) == [record]


def test_a_change_that_is_not_committed_leaves_no_record(site):
    count = len(records(site))
    stale = site.packages.get("PS100001").values["SedoObjectVersion"]
    site.packages.put("PS100001", {"Description": "first"}, expected_version=stale)
    with pytest.raises(ConflictError):  # refused after its UPDATE matched no row: rolled back
        site.packages.put("PS100001", {"Description": "second"}, expected_version=stale)
    with site.context.uow(write=True) as uow:  # written, then rolled back
        uow.packages.delete("PS100001")
    assert len(records(site)) == count + 1
    assert records(site, object_id="PS100001")[0].changes == {"Description": ["", "first"]}


def test_child_rows_are_audited_only_where_they_change(site):
    site.packages.apply("PS100001", add_components=("WinPE-WMI",))
    first = records(site, object_id="PS100001")
    site.packages.apply("PS100001", add_components=("WinPE-Scripting",))
    added = records(site, object_id="PS100001")[: len(records(site, object_id="PS100001")) - len(first)]
    assert [(r.object_type, r.action) for r in added] == [("OptionalComponent", "created")]
    assert added[0].package_id == "PS100001" and list(added[0].changes) == ["ComponentID"]


def test_a_change_made_with_plain_sql_is_audited(site):
    if site.engine.dialect.name == "postgresql":
        if login_url is not None:
            login = f"audit_{uuid.uuid4().hex[:8]}"
            login_url(site.url, login, "Full Administrator", scopes=("All",))
        else:
            login = new_login(site, "GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        done = psql(site, login, "UPDATE boot_image_package SET description = 'from psql' WHERE package_id = 'PS100001'")
        assert done.returncode == 0, done.stderr
        expected = (login, "psql")
    else:
        with sqlite3.connect(make_url(site.url).database) as db:  # no audit context: who is unknown
            db.execute("UPDATE boot_image_package SET description = 'from psql' WHERE package_id = 'PS100001'")
        expected = ("(unknown)", "sqlite3")
    record = records(site, object_id="PS100001")[0]
    assert (record.login, record.client) == expected
    assert record.changes == {"Description": ["", "from psql"]}


def test_audit_records_cannot_be_changed_or_deleted_but_by_the_owner(site):
    count = len(records(site))
    if site.engine.dialect.name == "postgresql":
        login = new_login(site, "GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}",
                          "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
        for statement in ("UPDATE audit_record SET login = 'nobody'", "DELETE FROM audit_record",
                          "TRUNCATE audit_record",
                          ("INSERT INTO audit_record (at, login, on_behalf_of, client, object_type, object_id, "
                          "object_name, action, message, attempted) VALUES (now(), 'forged', '', '', 'x', 'x', '', "
                          "'changed', '', '')")):
            done = psql(site, login, statement)
            assert done.returncode != 0, statement
            assert "audit records cannot be changed or deleted" in done.stderr, done.stderr
        assert len(records(site)) == count and {r.login for r in records(site)} == {login_of(site)}
        done = psql(site, "postgres", "DELETE FROM audit_record WHERE action = 'created'")  # the owner prunes
        assert done.returncode == 0, done.stderr
        assert len(records(site)) < count and not records(site, action="created")
    else:
        with sqlite3.connect(make_url(site.url).database) as db:
            for statement in ("UPDATE audit_record SET login = 'nobody'", "DELETE FROM audit_record"):
                with pytest.raises(sqlite3.IntegrityError, match="audit records cannot be changed or deleted"):
                    db.execute(statement)
        assert len(records(site)) == count and {r.login for r in records(site)} == {login_of(site)}


def test_a_refusal_is_audited_in_its_own_transaction(site):
    if site.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one administrator, who may do everything (file permissions are its access control)")
    if login_url is not None:
        reader = f"audit_{uuid.uuid4().hex[:8]}"
        url = login_url(site.url, reader, "Read-only Analyst", scopes=("All",))
    else:
        reader = new_login(site, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}")
        url = make_url(site.url).set(username=reader).render_as_string(hide_password=False)
    analyst = open_console(url, user="ignored")
    try:
        version = analyst.packages.get("PS100001").values["SedoObjectVersion"]
        with pytest.raises(AccessDeniedError, match=r"refused|cannot"):
            analyst.packages.put("PS100001", {"Description": "mine"}, expected_version=version)
    finally:
        analyst.close()
    record = records(site)[0]
    assert (record.action, record.login, record.object_id, record.package_id) == ("refused", reader, "PS100001", "PS100001")
    assert record.attempted.split()[0] in ("UPDATE", "change")  # the statement, or the action as the message says it
    assert "permission denied" in record.message and record.changes == {}
    assert site.packages.get("PS100001").values["Description"] == ""


def test_the_audit_goes_with_a_downgrade_and_comes_back(site):
    """Down to the revision before 0015 (triggers, functions and tables dropped: the packages stay) and up again."""
    from alembic import command

    from console.storage.engine import alembic_config, current_revision, upgrade

    with site.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0014")  # the revision before 0015
    assert current_revision(site.engine) == "0014"
    with site.engine.connect() as conn:
        assert "audit_record" not in inspect(conn).get_table_names()
    upgrade(site.engine)
    site.packages.put("PS100001", {"Description": "audited again"})
    [record] = records(site)
    assert record.changes == {"Description": ["", "audited again"]} and site.packages.get("PS100001")["Name"]
