"""A team site on PostgreSQL: roles, grants and row-level security enforced by the database,
through the services, the CLI and plain ``psql`` (issue 13, section 2).

Each test gets its own database and its own logins (``<role>_<uuid hex>``: roles are
cluster-wide and the tests run in parallel). The private server trusts local (Unix socket)
connections (``initdb -A trust``), so ``psql -U <login>`` connects as that login without a
password; the grants and policies, not the authentication, are what is tested here.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from console.core.errors import AccessDeniedError, NotFoundError
from console.core.security import FULL_ADMINISTRATOR, OSD_MANAGER, READ_ONLY_ANALYST, WORKER
from tests.conftest import REPO
from tests.postgres import login_url

BOOTIMAGE = [sys.executable, "-m", "console.cli"]


@dataclass
class Team:
    server: object
    database: str
    owner_url: str
    production: str  # PackageID of a boot image in scope Production
    lab: str  # PackageID of a boot image in scope Lab

    def login(self, role: str, scopes: tuple[str, ...] = ()) -> tuple[str, str]:
        name = f"{role.split()[0].lower().replace('-', '')}_{uuid.uuid4().hex[:8]}"
        return name, login_url(self.owner_url, name, role, scopes=scopes)

    def psql(self, login: str, sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["psql", "-X", "-h", str(self.server.socket_dir), "-U", login, "-d", self.database,  # type: ignore[attr-defined]
                               "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], capture_output=True, text=True, timeout=60)

    def cli(self, url: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BOOTIMAGE_DB": url}
        return subprocess.run([*BOOTIMAGE, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture
def team(postgres_server, postgres_site_template) -> Iterator[Team]:
    """Site PS1 made by ``site init`` as the server's owner login, scopes Lab and Production,
    one boot image in each."""
    from console.app import open_console

    name = postgres_server.create_database(template=postgres_site_template)
    url = postgres_server.url(name)
    owner = open_console(url)
    owner.init_site("PS1", "Team site")
    owner.security.add_scope("Lab")
    owner.security.add_scope("Production", "what the factory boots")
    production = owner.packages.create(name="Production x64", image_path="/images/prod.wim").value["PackageID"]
    lab = owner.packages.create(name="Lab x64", image_path="/images/lab.wim").value["PackageID"]
    owner.security.set_object_scopes(production, ["Production"])
    owner.security.set_object_scopes(lab, ["lab"])
    owner.close()
    yield Team(postgres_server, name, url, production, lab)
    postgres_server.drop_database(name)


def test_site_init_creates_the_roles_and_the_first_full_administrator(postgres_server):
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    first = f"admin_{uuid.uuid4().hex[:8]}"
    postgres_server._admin(f'CREATE ROLE "{first}" LOGIN')
    team = Team(postgres_server, name, url, "", "")
    for _ in range(2):  # idempotent
        result = team.cli(url, "site", "init", "--site-code", "PS1", "--full-administrator", first, "--json")
        assert result.returncode == 0, result.stderr
    roles = team.psql("postgres", "SELECT rolname || ':' || rolcanlogin FROM pg_roles WHERE rolname LIKE 'ps1\\_%' ORDER BY 1")
    assert roles.stdout.split() == ["ps1_full_administrator:false", "ps1_infrastructure_administrator:false",
                                    "ps1_osd_manager:false", "ps1_read_only_analyst:false", "ps1_worker:false"]
    admins = json.loads(team.cli(url, "admin", "list", "--json").stdout)
    assert {"Login": first, "Roles": [FULL_ADMINISTRATOR], "Scopes": ["All"]} in [
        {k: a[k] for k in ("Login", "Roles", "Scopes")} for a in admins]
    # the first Full Administrator (not the owner) can work and add the next administrator
    first_url = f"postgresql+psycopg://{first}@/{name}?host={postgres_server.socket_dir}"
    assert team.cli(first_url, "new", "--path", "/x.wim", "--index", "1", "--name", "A", "--no-image-read").returncode == 0
    second = f"osd_{uuid.uuid4().hex[:8]}"
    added = team.cli(first_url, "admin", "add", second, "--role", "osd_manager", "--create-login",
                     "--password-file", "/dev/null")
    assert added.returncode == 1 and added.stderr == "error: the password file /dev/null is empty\n"
    postgres_server._admin(f'CREATE ROLE "{second}" LOGIN')
    added = team.cli(first_url, "admin", "add", second, "--role", "operating system deployment manager", "--json")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"Login": second, "Roles": [OSD_MANAGER], "Scopes": ["Default"]}
    whoami = team.psql(second, "SELECT pg_has_role('ps1_osd_manager', 'MEMBER')")
    assert whoami.stdout.strip() == "t"


def test_read_only_analyst_with_plain_psql_cannot_insert_update_or_delete_anything(team):
    analyst, _ = team.login(READ_ONLY_ANALYST, ("All",))
    tables = team.psql("postgres", "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").stdout.split()
    assert "boot_image_package" in tables and "security_scope" in tables and len(tables) > 20
    assert team.psql(analyst, "SELECT count(*) FROM boot_image_package").stdout.strip() == "2"  # reading is allowed
    for table in tables:
        column = team.psql("postgres", "SELECT column_name FROM information_schema.columns WHERE table_name = "
                           f"'{table}' ORDER BY ordinal_position LIMIT 1").stdout.strip()
        for sql in (f"INSERT INTO {table} DEFAULT VALUES", f"UPDATE {table} SET {column} = {column}",
                    f"DELETE FROM {table}", f"TRUNCATE {table}"):
            result = team.psql(analyst, sql)
            assert result.returncode != 0 and "permission denied" in result.stderr, (sql, result.stdout, result.stderr)


def test_read_only_analyst_in_the_console_gets_a_message_naming_role_site_and_object(team):
    from console.app import open_console

    analyst, url = team.login(READ_ONLY_ANALYST, ("All",))
    console = open_console(url)
    try:
        assert console.identity.login == analyst and console.identity.roles == {READ_ONLY_ANALYST}
        assert console.packages.get(team.production)["Name"] == "Production x64"
        with pytest.raises(AccessDeniedError) as info:
            console.packages.put(team.production, {"Description": "mine now"})
        assert str(info.value) == (f"you ({analyst}) have the Read-only Analyst role on site PS1: you cannot change "
                                   f"boot image {team.production} (permission denied for table boot_image_package); "
                                   "nothing was changed")
        assert console.packages.get(team.production, lazy=True)["Description"] == ""
    finally:
        console.close()
    refused = team.cli(url, "set", team.production, "Description=mine now")
    assert refused.returncode == 1
    assert refused.stderr == f"error: {info.value}\n"


def test_osd_manager_limited_to_lab_cannot_see_or_change_production_through_the_console(team):
    from console.app import open_console

    _osd, url = team.login(OSD_MANAGER, ("Lab",))
    console = open_console(url)
    try:
        assert (console.identity.roles, console.identity.scopes, console.identity.site_code) == (
            {OSD_MANAGER}, {"Lab"}, "PS1")
        assert [p["PackageID"] for p in console.packages.query().items] == [team.lab]
        assert console.packages.count() == 1
        with pytest.raises(NotFoundError):
            console.packages.get(team.production)
        with pytest.raises(NotFoundError):
            console.packages.put(team.production, {"Description": "mine now"})
        with pytest.raises(NotFoundError):
            console.packages.delete(team.production)
        console.packages.put(team.lab, {"Description": "tested in the lab"})  # its own scope: allowed
        with pytest.raises(AccessDeniedError, match=r"Operating System Deployment Manager role on site PS1: you cannot "
                           r"change boot image .* security scope Production is not one of yours"):
            console.security.set_object_scopes(team.lab, ["Production"])
        with pytest.raises(AccessDeniedError, match="security scope Production is not one of yours"):
            console.security.set_object_scopes(team.lab, ["Lab", "Production"])
        # what an administrator without Default creates gets their scopes
        created = console.packages.create(name="Lab x86", image_path="/images/lab86.wim").value
        assert created["SecuredScopeNames"] == ("Lab",)
    finally:
        console.close()
    owner = open_console(team.owner_url)
    try:
        assert owner.packages.get(team.production, lazy=True)["Description"] == ""
        assert owner.security.object_scopes(team.lab) == ["Lab"]
    finally:
        owner.close()


def test_osd_manager_limited_to_lab_through_the_cli_and_psql(team):
    osd, url = team.login(OSD_MANAGER, ("Lab",))
    listed = team.cli(url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [p["PackageID"] for p in json.loads(listed.stdout)] == [team.lab]
    shown = team.cli(url, "show", team.production)
    assert shown.returncode == 1 and shown.stderr.startswith("error: ") and team.production in shown.stderr
    moved = team.cli(url, "scope", "set", team.lab, "--scope", "Production")
    assert moved.returncode == 1
    assert moved.stderr == (f"error: you ({osd}) have the Operating System Deployment Manager role on site PS1: you "
                            f"cannot change boot image {team.lab} (new row violates row-level security policy: security "
                            "scope Production is not one of yours); nothing was changed\n")
    # plain psql: the same policies
    assert team.psql(osd, "SELECT package_id FROM boot_image_package").stdout.split() == [team.lab]
    hidden = team.psql(osd, f"UPDATE boot_image_package SET name = 'mine' WHERE package_id = '{team.production}'")
    assert hidden.returncode == 0 and hidden.stdout.strip() == "UPDATE 0"
    assert team.psql(osd, f"DELETE FROM boot_image_package WHERE package_id = '{team.production}'").stdout.strip() == "DELETE 0"
    out = team.psql(osd, f"UPDATE boot_image_package SET secured_scope_names = '[\"Production\"]' WHERE package_id = '{team.lab}'")
    assert out.returncode != 0 and "row-level security" in out.stderr
    assert team.psql("postgres", f"SELECT name FROM boot_image_package WHERE package_id = '{team.production}'"
                     ).stdout.strip() == "Production x64"


def test_drivers_and_distribution_points_follow_scopes(team, tmp_path):
    from console.app import open_console
    from console.core.distribution import DistributionPoint, TransportKind

    owner = open_console(team.owner_url)
    try:
        for name in ("DP-LAB", "DP-PROD"):
            (tmp_path / name).mkdir()
            owner.distribution_points.add(DistributionPoint(name=name, transport=TransportKind.FOLDER,
                                                            address=str(tmp_path / name)))
        owner.security.set_object_scopes("DP-PROD", ["Production"])
        owner.security.set_object_scopes("dp-lab", ["Lab"])
    finally:
        owner.close()
    _osd, url = team.login(OSD_MANAGER, ("Lab",))
    console = open_console(url)
    try:
        assert [dp.name for dp in console.distribution_points.list()] == ["DP-LAB"]
        with pytest.raises(NotFoundError):
            console.security.set_object_scopes("DP-PROD", ["Lab"])
    finally:
        console.close()


def test_worker_role_runs_jobs_but_cannot_change_a_package_property(team):
    from console.app import open_console

    worker, url = team.login(WORKER)
    console = open_console(url)
    try:
        assert console.identity.roles == {WORKER}
        with pytest.raises(AccessDeniedError, match=rf"you \({worker}\) have the Site Worker role on site PS1: you "
                           rf"cannot change boot image {team.production} \(permission denied"):
            console.packages.put(team.production, {"Description": "worker was here"})
    finally:
        console.close()
    # content state, job state: allowed; properties, scopes, the site's settings: refused
    assert team.psql(worker, f"UPDATE boot_image_package SET source_version = 2 WHERE package_id = '{team.production}'"
                     ).stdout.strip() == "UPDATE 1"
    assert team.psql(worker, "INSERT INTO job (context_id, kind, state, queued_at, updated_at, step, completed_steps, "
                     "progress, max_progress, progress_text, error_code, extended_error_info, attempts, queued_by, "
                     "payload, cancel_requested) VALUES ('c1', 'build', 'queued', now(), now(), '', '[]', 0, 0, '', 0, "
                     "'', 0, 'x', '{}', false)").returncode == 0
    for sql in (f"UPDATE boot_image_package SET name = 'x' WHERE package_id = '{team.production}'",
                f"UPDATE boot_image_package SET secured_scope_names = '[\"Lab\"]' WHERE package_id = '{team.production}'",
                "UPDATE site_setting SET value = 'x'", "DELETE FROM package_optional_component",
                "INSERT INTO security_scope (name, name_key, created_at) VALUES ('W', 'w', now())"):
        assert "permission denied" in team.psql(worker, sql).stderr, sql


def test_a_login_without_a_role_is_told_to_ask_for_one(team):
    stranger = f"stranger_{uuid.uuid4().hex[:8]}"
    team.server._admin(f'CREATE ROLE "{stranger}" LOGIN')
    url = f"postgresql+psycopg://{stranger}@/{team.database}?host={team.server.socket_dir}"
    result = team.cli(url, "list")
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: you ({stranger}) have no role on this site database: ask a Full "
                                    f"Administrator to add you (`bootimage admin add {stranger} --role")


def test_scope_and_admin_commands_refuse_bad_input_with_a_specific_message(team):
    url = team.owner_url
    for args, message in [
        (("scope", "add", "lab"), "error: the security scope 'lab' exists already\n"),
        (("scope", "add", "All"), "error: 'All' is reserved: an administrator given it sees every object\n"),
        (("scope", "remove", "Default"), "error: the 'Default' scope belongs to every site and cannot be removed\n"),
        (("scope", "remove", "Lab"), ("error: the security scope 'Lab' is in use by 1 object(s); move them to other "
                                     "scopes first (nothing was removed)\n")),
        (("scope", "set", team.lab, "--scope", "Nowhere"), ("error: there is no security scope 'Nowhere' on this site "
                                                           "(scopes: Default, Lab, Production)\n")),
        (("admin", "add", "someone", "--role", "Boss"), ("error: there is no security role 'Boss'; roles: Full "
         "Administrator, Operating System Deployment Manager, Read-only Analyst, Infrastructure Administrator "
         "(or osd_manager, read_only_analyst, …), and Site Worker (worker) for worker logins\n")),
        (("admin", "add", f"nobody_{uuid.uuid4().hex[:6]}", "--role", "analyst"), "error: there is no PostgreSQL login"),
    ]:
        result = team.cli(url, *args)
        assert result.returncode == 1 and result.stderr.startswith(message), (args, result.stderr)
    added = team.cli(url, "scope", "add", "Staging", "--description", "before production", "--json")
    assert json.loads(added.stdout) == {"Name": "Staging", "Description": "before production"}
    assert team.cli(url, "scope", "remove", "staging").returncode == 0
    assert [s["Name"] for s in json.loads(team.cli(url, "scope", "list", "--json").stdout)] == ["Default", "Lab", "Production"]


def test_sqlite_site_is_single_administrator_os_user_and_file_mode_0600(tmp_path):
    db = tmp_path / "site.db"
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{db}", "BOOTIMAGE_USER": "CONTOSO\\Administrator"}
    init = subprocess.run([*BOOTIMAGE, "site", "init", "--site-code", "PS1"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert init.returncode == 0, init.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    new = subprocess.run([*BOOTIMAGE, "new", "--path", "/x.wim", "--index", "1", "--name", "A", "--no-image-read"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert new.returncode == 0
    status = json.loads(subprocess.run([*BOOTIMAGE, "status", "--json"], env=env, capture_output=True, text=True,
                                       timeout=120).stdout)
    from tests.integration.conftest import OS_USER

    assert {m["User"] for m in status} == {OS_USER}  # the environment variable is not believed
    refused = subprocess.run([*BOOTIMAGE, "admin", "add", "bob", "--role", "osd_manager"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 1 and refused.stderr.startswith("error: an SQLite site has a single administrator")


def test_grants_cover_a_table_a_later_migration_adds(team):
    """After every migration the grants are applied again: a new table is readable by every role
    and writable only by the Full Administrator."""
    from console.storage.engine import create_site_engine
    from console.storage.security_sql import reapply_after_migration

    team.psql("postgres", "CREATE TABLE later_table (id integer PRIMARY KEY)")
    engine = create_site_engine(team.owner_url)
    with engine.begin() as conn:
        reapply_after_migration(conn)
    engine.dispose()
    analyst, _ = team.login(READ_ONLY_ANALYST)
    full, _ = team.login(FULL_ADMINISTRATOR)
    assert team.psql(analyst, "SELECT count(*) FROM later_table").stdout.strip() == "0"
    assert "permission denied" in team.psql(analyst, "INSERT INTO later_table VALUES (1)").stderr
    assert team.psql(full, "INSERT INTO later_table VALUES (1)").returncode == 0


def test_list_query_plans_stay_indexed_for_scoped_and_full_administrators(team):
    """A few thousand packages, a tenth in Lab. The Lab administrator's rows come from the scope
    index (the policy is one GIN-indexable condition, the scopes an InitPlan read once); a Full
    Administrator's policy is constant true, so a keyset page keeps its index condition."""
    team.psql("postgres", "INSERT INTO boot_image_package SELECT (p).* FROM (SELECT "
              "jsonb_populate_record(b, jsonb_build_object('package_id', 'PS3' || lpad(to_hex(g), 5, '0'), "
              "'name', 'Image ' || g, 'secured_scope_names', CASE WHEN g % 10 = 0 THEN '[\"Lab\"]'::jsonb "
              "ELSE '[\"Production\"]'::jsonb END)) AS p FROM boot_image_package b, generate_series(1, 3000) g "
              f"WHERE b.package_id = '{team.lab}') s")
    team.psql("postgres", "ANALYZE boot_image_package")
    osd, _ = team.login(OSD_MANAGER, ("Lab",))
    full, _ = team.login(FULL_ADMINISTRATOR)
    assert team.psql(osd, "SELECT count(*) FROM boot_image_package").stdout.strip() == "301"
    page = ("EXPLAIN SELECT package_id FROM boot_image_package WHERE (lower(name), package_id) > ('image 5', 'PS300000') "
            "ORDER BY lower(name), package_id LIMIT 200")
    scoped = team.psql(osd, "EXPLAIN SELECT count(*) FROM boot_image_package").stdout
    assert "ix_boot_image_package_scopes" in scoped, scoped
    unrestricted = team.psql(full, page).stdout
    # the keyset condition stays an index condition on lower(name): the list index (lower(name), package_id)
    # or the unique name index (migration 0016), whichever the planner prefers at this size
    assert re.search(r"Index Cond: \((ROW\()?lower\(\(name\)::text\)", unrestricted), unrestricted


def test_infrastructure_administrator_changes_distribution_points_not_boot_images(team):
    from console.core.security import INFRASTRUCTURE_ADMINISTRATOR

    infra, _ = team.login(INFRASTRUCTURE_ADMINISTRATOR, ("All",))
    added = team.psql(infra, "INSERT INTO distribution_point (name, name_key, transport, address, site_code, description, "
                      "credential, username, pxe, maintenance, rate_limit_kbps, schedule, concurrency, library_root, "
                      "version, created_at, modified_at, modified_by) VALUES ('DP9', 'dp9', 'folder', '/srv/dp9', 'PS1', "
                      "'', '', '', false, false, 0, 'oooooooooooooooooooooooo', 2, 'SCCMContentLib', 1, now(), now(), 'x')")
    assert added.returncode == 0, added.stderr
    assert team.psql(infra, "SELECT count(*) FROM boot_image_package").stdout.strip() == "2"
    for sql in (f"UPDATE boot_image_package SET name = 'x' WHERE package_id = '{team.lab}'",
                "DELETE FROM driver", "INSERT INTO security_scope (name, name_key, created_at) VALUES ('I', 'i', now())"):
        assert "permission denied" in team.psql(infra, sql).stderr, sql


def test_site_init_naming_a_missing_login_changes_nothing(postgres_server, postgres_site_template):
    name = postgres_server.create_database(template=postgres_site_template)
    url = postgres_server.url(name)
    team = Team(postgres_server, name, url, "", "")
    missing = f"ghost_{uuid.uuid4().hex[:8]}"
    result = team.cli(url, "site", "init", "--site-code", "PS1", "--full-administrator", missing)
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: there is no PostgreSQL login '{missing}' on this server")
    assert team.psql("postgres", "SELECT count(*) FROM site").stdout.strip() == "0"
    postgres_server.drop_database(name)


def test_admin_remove_takes_the_roles_and_the_login_cannot_open_the_site_any_more(team):
    osd, url = team.login(OSD_MANAGER, ("Lab",))
    assert team.cli(url, "list").returncode == 0
    assert osd in [a["Login"] for a in json.loads(team.cli(team.owner_url, "admin", "list", "--json").stdout)]
    removed = team.cli(team.owner_url, "admin", "remove", osd, "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout) == {"Login": osd, "Removed": True}
    assert osd not in [a["Login"] for a in json.loads(team.cli(team.owner_url, "admin", "list", "--json").stdout)]
    refused = team.cli(url, "list")
    assert refused.returncode == 1 and refused.stderr.startswith(f"error: you ({osd}) have no role on this site database")
    again = team.cli(team.owner_url, "admin", "remove", osd)
    assert again.returncode == 1 and again.stderr == f"error: '{osd}' is not an administrator of this site\n"


@pytest.mark.parametrize("site_db", ["postgresql"], indirect=True)
def test_a_worker_with_the_worker_role_runs_jobs_queued_by_an_osd_manager(job_site, tmp_path):
    """The permanent worker's own login (``<site>_worker``) claims, runs and finishes jobs that a
    scoped OSD Manager queued: job, worker and status tables are its to write."""
    from console.app import open_console
    from tests.integration.test_jobs_worker import env_for
    from tests.job_handlers import KIND

    owner_url = job_site.url
    job_site.security.add_scope("Lab")
    job_site.security.set_object_scopes("PS100001", ["Lab"])
    osd = open_console(login_url(owner_url, f"osd_{uuid.uuid4().hex[:8]}", OSD_MANAGER, scopes=("Lab",)))
    try:
        context_id = osd.jobs.queue(KIND, "PS100001", {"out": str(tmp_path), "files": 1}).value.context_id
    finally:
        osd.close()
    worker_url = login_url(owner_url, f"worker_{uuid.uuid4().hex[:8]}", WORKER)
    done = subprocess.run([*BOOTIMAGE, "worker", "--until-idle"], env=env_for(worker_url, tmp_path), cwd=REPO,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    job = job_site.jobs.get(context_id)
    assert job.state == "succeeded", (job.state, job.extended_error_info)
