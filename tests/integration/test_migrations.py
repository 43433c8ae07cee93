"""Schema migrations: fresh databases reach head; an older database upgrades in place."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from console.app import open_console
from console.core.errors import DuplicateNameError
from console.core.jobs import JobState
from console.core.servicing import SourceFingerprint
from console.storage.all_schemas import Base
from console.storage.engine import alembic_config, create_site_engine, current_revision, head_revision, upgrade
from console.storage.schema import SORTED_COLUMNS
from console.storage.text_indexes import not_text_search


# The two list indexes are on lower(name): SQLAlchemy cannot reflect expression indexes,
# so the comparison skips them (with these warnings) and the test checks them by name below.
@pytest.mark.filterwarnings("ignore:autogenerate skipping")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_fresh_database_is_at_head_and_matches_the_orm(db_url):
    engine = create_site_engine(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        # the text-search index (FTS5 tables, triggers) is not ORM metadata
        context = MigrationContext.configure(conn, opts={"include_name": not_text_search})
        diff = compare_metadata(context, Base.metadata)
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(boot_image_package)")}
    assert diff == []
    assert {"ix_boot_image_package_folder_list", "ix_boot_image_package_list"} <= indexes
    assert {f"ix_boot_image_package_sort_{key}" for key, _lower in SORTED_COLUMNS} <= indexes


def test_database_from_first_revision_upgrades_in_place(db_url):
    engine = create_site_engine(db_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO site (site_code, site_name, is_local, next_package_number, created_at) "
            "VALUES ('PS1', 'Primary', 1, 8, '2025-01-01 00:00:00')"
        ))
        columns = [r[1] for r in conn.execute(text("PRAGMA table_info(boot_image_package)"))]
        assert "search_text" not in columns
        values = {c: "" for c in columns}
        values.update(
            package_id="PS100007", name="Älteres Boot-Image", version="1.0", description="from 0001",
            num_of_programs=0, package_size=1024, package_type=258, pkg_flags=0, pkg_source_flag=2,
            priority=2, sedo_object_version="V1", share_type=1, source_site="PS1", source_version=3,
            stored_pkg_version=0, action_in_progress=0, forced_disconnect_delay=5, forced_disconnect_enabled=0,
            forced_disconnect_num_retries=2, ignore_address_schedule=0, default_image=0, deploy_from_pxe=0,
            localized_category_instance_names="[]", secured_scope_names='["Default"]', icon=None,
            enable_lab_shell=0, extended_data=None, extended_data_size=0, icon_size=0, image_index=2,
            isv_data=None, isv_data_size=0, refresh_pkg_source_flag=0, scratch_space=256,
            image_os_version="10.0.19041.1", language="fr-FR",
            extra_properties="{}", folder_id=None, last_modified_by="old@console", last_modified_at=None,
            source_date=None, last_refresh_time=None,
        )
        names = ", ".join(values)
        params = ", ".join(f":{c}" for c in values)
        conn.execute(text(f"INSERT INTO boot_image_package ({names}) VALUES ({params})"), values)
        conn.execute(text("INSERT INTO package_optional_component VALUES ('PS100007', 52, 0)"))
    engine.dispose()

    site = open_console(db_url, user="bob@console2")  # start-up applies the pending migrations
    assert current_revision(site.engine) == head_revision()
    package = site.packages.get("PS100007", lazy=True)
    assert package["Name"] == "Älteres Boot-Image"
    assert package["SourceVersion"] == 3
    assert package["ScratchSpace"] == 256
    assert package["OptionalComponents"] == (52,)
    assert package["ReferencedDrivers"] == ()
    # the search text was filled for existing rows by the migration
    assert [p["PackageID"] for p in site.packages.query(_query("älteres")).items] == ["PS100007"]
    assert [p["PackageID"] for p in site.packages.query(_query("19041")).items] == ["PS100007"]  # 0005
    assert [p["PackageID"] for p in site.packages.query(_query("fr-fr")).items] == ["PS100007"]
    # 0008: a package from before has no source fingerprint (the pre-flight says "not known")
    assert site.packages.source_fingerprint("PS100007") == SourceFingerprint()
    # and the package id sequence continues where the old database was
    created = site.packages.create(name="New one", image_path="/x.wim").value
    assert created["PackageID"] == "PS100008"


def test_source_fingerprint_columns_go_and_come_back(db_url, x64_facts):
    """0008 down to 0006 and up again: the packages and the list indexes stay; the recorded
    fingerprints are gone (unknown), never made up."""
    site = open_console(db_url, user="alice@console1")
    from console.app import ensure_default_site

    ensure_default_site(site)
    facts = replace(x64_facts, source=SourceFingerprint(size=4096, mtime=1_700_000_000.5, guid="ab" * 16))
    pid = site.packages.create(name="Fingerprinted", image_path="/images/boot.wim", image=facts).value["PackageID"]
    assert site.packages.source_fingerprint(pid) == facts.source
    with site.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with site.engine.connect() as conn:
        columns = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(boot_image_package)")}
        assert not columns & {"source_file_size", "source_file_mtime_ns", "source_wim_guid"}
    site.close()
    again = open_console(db_url, user="alice@console1")
    assert again.packages.get(pid)["Name"] == "Fingerprinted"
    assert again.packages.source_fingerprint(pid) == SourceFingerprint()
    with again.engine.connect() as conn:
        indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(boot_image_package)")}
    assert {"ix_boot_image_package_folder_list", "ix_boot_image_package_list"} <= indexes
    again.close()


def _query(text_filter: str):
    from console.core.ports import PackageQuery

    return PackageQuery(text=text_filter)


# -- rows from the first revisions reach head intact, on SQLite and PostgreSQL ------------------


@pytest.fixture
def empty_site_db(request: pytest.FixtureRequest, database_kind: str, tmp_path) -> Iterator[str]:
    """An empty database (no schema at all) of either kind."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def _insert(conn, table: str, values: dict[str, object]) -> None:
    conn.execute(text(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(':' + c for c in values)})"),
                 values)


OLD = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("database_kind", ["sqlite", "postgresql"], indirect=True)
def test_rows_written_at_the_first_revisions_reach_head_intact(empty_site_db):
    """A package written at 0001, a job at 0002 and a driver (with the package's reference to
    it) at 0003 are read back by today's services after every later migration ran."""
    engine = create_site_engine(empty_site_db)
    upgrade(engine, "0001")
    with engine.begin() as conn:
        _insert(conn, "site", {"site_code": "PS1", "site_name": "Primary", "is_local": True,
                               "next_package_number": 8, "created_at": OLD})
        columns = [c["name"] for c in inspect(conn).get_columns("boot_image_package")]
        row: dict[str, object] = {c: "" for c in columns}
        row.update(
            package_id="PS100007", name="Old Lab image", version="1.0", description="from 0001",
            num_of_programs=0, package_size=1024, package_type=258, pkg_flags=0, pkg_source_flag=2,
            priority=2, sedo_object_version="V1", share_type=1, source_site="PS1", source_version=3,
            stored_pkg_version=0, action_in_progress=0, forced_disconnect_delay=5, forced_disconnect_enabled=False,
            forced_disconnect_num_retries=2, ignore_address_schedule=False, default_image=False,
            deploy_from_pxe=False, localized_category_instance_names="[]", secured_scope_names='["Default"]',
            icon=None, enable_lab_shell=False, extended_data=None, extended_data_size=0, icon_size=0, image_index=2,
            isv_data=None, isv_data_size=0, refresh_pkg_source_flag=False, scratch_space=256,
            image_os_version="10.0.19041.1", language="fr-FR", extra_properties="{}", folder_id=None,
            last_modified_by="old@console", last_modified_at=OLD, source_date=OLD, last_refresh_time=None,
        )
        _insert(conn, "boot_image_package", row)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        _insert(conn, "job", {"context_id": "{OLD-JOB}", "package_id": "PS100007", "operation": "UpdateImage",
                              "status": 0, "progress": 7, "max_progress": 7, "progress_text": "done", "error_code": 0,
                              "extended_error_info": "", "cancel_requested": False, "created_at": OLD,
                              "updated_at": OLD})
    upgrade(engine, "0003")
    with engine.begin() as conn:
        _insert(conn, "ci_id_sequence", {"site_code": "PS1", "next_ci_id": 16777300})
        _insert(conn, "driver", {
            "ci_id": 16777299, "ci_unique_id": "SITE_PS1/Driver_old", "name": "Old NIC", "driver_class": "Net",
            "class_guid": "{4d36e972-e325-11ce-bfc1-08002be10318}", "provider": "Contoso",
            "driver_version": "1.10.0.0", "driver_date": OLD, "inf_file": "nic.inf", "content_source_path": "/drv/nic",
            "catalog_file": "nic.cat", "signed": True, "enabled": True, "architectures": "amd64", "size_bytes": 4096,
            "content_hash": "a" * 64, "inf_warnings": "[]", "source_site": "PS1", "search_text": "old nic",
            "created_at": OLD, "created_by": "old@console", "modified_at": OLD, "modified_by": "old@console"})
        _insert(conn, "driver_model", {"ci_id": 16777299, "position": 0, "manufacturer": "Contoso",
                                       "description": "Old NIC", "install_section": "Install",
                                       "hardware_id": "PCI\\VEN_1234&DEV_0001", "compatible_ids": "[]"})
        _insert(conn, "driver_category", {"ci_id": 16777299, "name": "Lab"})
        _insert(conn, "package_driver", {"package_id": "PS100007", "ci_id": 16777299, "source_path": "/drv/nic",
                                         "position": 0})
    engine.dispose()

    site = open_console(empty_site_db, user="bob@console2")  # start-up applies every later migration
    try:
        assert current_revision(site.engine) == head_revision()
        package = site.packages.get("PS100007", lazy=True)
        assert (package["Name"], package["Description"], package["SourceVersion"], package["ScratchSpace"]) == (
            "Old Lab image", "from 0001", 3, 256)
        assert [(d["ID"], d["SourcePath"]) for d in package["ReferencedDrivers"]] == [(16777299, "/drv/nic")]
        driver = site.drivers.get(16777299)
        assert (driver.name, driver.version, driver.categories, driver.is_enabled) == ("Old NIC", "1.10.0.0",
                                                                                      ("Lab",), True)
        assert driver.hardware_ids == ("PCI\\VEN_1234&DEV_0001",)
        assert site.drivers.referencing_packages([16777299]) == {16777299: [("PS100007", "Old Lab image")]}
        job = site.jobs.get("{OLD-JOB}")
        assert (job.state, job.kind, job.package_id) == (JobState.SUCCEEDED, "UpdateImage", "PS100007")
        # and the rules of today hold for them: the old name is taken without regard to case (0016)
        with pytest.raises(DuplicateNameError, match=r"already exists \(PS100007\)"):
            site.packages.create(name="OLD LAB IMAGE", image_path="/x.wim")
        assert site.packages.create(name="New one", image_path="/x.wim").value["PackageID"] == "PS100008"
    finally:
        site.close()


def test_0017_merges_the_search_indexes_and_every_search_finds_what_it_found(tmp_path):
    """A site whose search indexes were filled by many small writes (many FTS5 segments) upgrades
    to one segment per index (SQLite; PostgreSQL has nothing to merge) and finds the same rows."""
    from console.storage.driver_schema import DRIVER_SEARCH
    from console.storage.schema import PACKAGE_SEARCH

    engine = create_site_engine(f"sqlite:///{tmp_path / 'site.db'}")
    upgrade(engine, "0016")
    with engine.connect() as conn:  # a value for every NOT NULL column without a default
        blank = {name: 0 if kind.upper() in ("INTEGER", "BIGINT", "BOOLEAN") else "[]" if kind.upper() == "JSON" else
                 "2025-01-01 00:00:00" if kind.upper().startswith("DATETIME") else ""
                 for _cid, name, kind, notnull, default, _pk in conn.exec_driver_sql(
                     "PRAGMA table_info(boot_image_package)") if notnull and default is None}
    for n in range(40):  # one transaction each: a segment each
        with engine.begin() as conn:
            _insert(conn, "boot_image_package", {
                **blank, "package_id": f"PS1{n:05d}", "name": f"Boot image {n} x64", "extra_properties": "{}",
                "search_text": f"boot image {n} x64"})

    def segments(conn, fts: str) -> int:
        # the structure record (id 10) is followed by one row per leaf page; every segment has its own
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM {fts}_data WHERE id > 10").scalar())

    texts = ("x64", "image 1", "boot image 3", "zz")
    with engine.connect() as conn:
        before = [conn.execute(PACKAGE_SEARCH.count(conn, t)).scalar() for t in texts]
        pages_before = segments(conn, PACKAGE_SEARCH.fts_table)
    upgrade(engine)
    with engine.connect() as conn:
        assert [conn.execute(PACKAGE_SEARCH.count(conn, t)).scalar() for t in texts] == before == [40, 11, 11, 0]
        assert segments(conn, PACKAGE_SEARCH.fts_table) < pages_before
        assert conn.execute(DRIVER_SEARCH.count(conn, "nic")).scalar() == 0  # the drivers' index was merged too
    engine.dispose()
