"""Long lists read as keyset pages (issue 11): every page equals the OFFSET page of the same
sort, in both directions, with ties and NULLs, on SQLite and PostgreSQL; the indexes the
keyset ranges read are made by the migration and used (SQLite's query plan)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from console.core.drivers import SORT_KEYS, DriverQuery, version_sort_key
from tests.list_data import add_drivers, driver_rows

DRIVERS = 60
PAGE = 7


@pytest.fixture
def drivers_site(site_db: str):
    from console.app import ensure_default_site, open_console

    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    add_drivers(console.engine, DRIVERS)
    yield console
    console.close()


def keyset_pages(console, query: DriverQuery) -> list[int]:
    ids: list[int] = []
    after = None
    for _ in range(DRIVERS):  # bounded: one page at least per loop
        page = console.drivers.query(DriverQuery(**{**query.__dict__, "after": after, "limit": PAGE,
                                                   "count": after is None}))
        ids += [d.ci_id for d in page.items]
        if len(page.items) < PAGE:
            return ids
        after = page.items[-1].ci_id
    raise AssertionError("paging did not end")


def offset_pages(console, query: DriverQuery) -> list[int]:
    ids: list[int] = []
    for offset in range(0, DRIVERS + PAGE, PAGE):
        ids += [d.ci_id for d in console.drivers.query(DriverQuery(**{**query.__dict__, "offset": offset,
                                                                        "limit": PAGE})).items]
    return ids


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_driver_keyset_pages_equal_offset_pages(drivers_site, sort: str, descending: bool):
    query = DriverQuery(sort=sort, descending=descending)
    everything = [d.ci_id for d in drivers_site.drivers.query(DriverQuery(sort=sort, descending=descending,
                                                                          offset=0)).items]
    by_offset = offset_pages(drivers_site, query)
    assert len(set(by_offset)) == DRIVERS
    assert keyset_pages(drivers_site, query) == by_offset
    if sort != "date":  # the whole list in one read is the same order (NULL dates: see below)
        assert everything == by_offset


def test_driver_dates_missing_come_first_ascending_and_last_descending(drivers_site):
    ascending = keyset_pages(drivers_site, DriverQuery(sort="date"))
    descending = keyset_pages(drivers_site, DriverQuery(sort="date", descending=True))
    dates = {d.ci_id: d.date for d in drivers_site.drivers.query().items}
    missing = [i for i in ascending if dates[i] is None]
    assert missing and ascending[:len(missing)] == sorted(missing)
    assert descending[-len(missing):] == sorted(missing, reverse=True)
    assert [dates[i] for i in ascending[len(missing):]] == sorted(dates[i] for i in ascending[len(missing):])


def test_driver_keyset_with_a_search_and_a_filter(drivers_site):
    query = DriverQuery(text="intel", enabled=True, sort="provider", descending=True)
    assert keyset_pages(drivers_site, query) == offset_pages(drivers_site, query)
    assert drivers_site.drivers.query(DriverQuery(text="intel", limit=3, count=False)).total == -1


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_a_searched_page_walking_the_sort_index_equals_one_sorting_the_matches(drivers_site, monkeypatch,
                                                                             sort: str, descending: bool):
    from console.storage import driver_repository

    pages = {}
    for ratio, way in ((10**9, "walk"), (0, "matches")):  # every text common enough to walk / none
        monkeypatch.setattr(driver_repository, "WALK_RATIO", ratio)
        for needle in ("adapter", "intel", "ne"):
            query = DriverQuery(text=needle, sort=sort, descending=descending)
            pages[way, needle] = (keyset_pages(drivers_site, query), offset_pages(drivers_site, query))
    for needle in ("adapter", "intel", "ne"):
        walked, sorted_matches = pages["walk", needle], pages["matches", needle]
        assert walked == sorted_matches and walked[0] == walked[1], (needle, walked, sorted_matches)
        whole = drivers_site.drivers.query(DriverQuery(text=needle, sort="ci_id")).items
        assert sorted(walked[0]) == [d.ci_id for d in whole] and whole


def test_a_deleted_anchor_falls_back_to_the_offset(drivers_site):
    first = drivers_site.drivers.query(DriverQuery(sort="name", limit=PAGE)).items
    drivers_site.drivers.delete(first[-1].ci_id)
    page = drivers_site.drivers.query(DriverQuery(sort="name", limit=PAGE, offset=PAGE - 1, after=first[-1].ci_id))
    assert [d.ci_id for d in page.items] == offset_pages(drivers_site, DriverQuery(sort="name"))[PAGE - 1:2 * PAGE - 1]


SORT_INDEXES = {"name": "ix_driver_sort_name", "driver_class": "ix_driver_sort_class",
                "provider": "ix_driver_sort_provider", "version": "ix_driver_sort_version",
                "date": "ix_driver_sort_date", "size": "ix_driver_sort_size", "inf_file": "ix_driver_sort_inf_file"}


@pytest.mark.parametrize("sort", sorted(SORT_INDEXES))
def test_the_keyset_page_reads_the_sort_columns_index(console, sort: str):
    """SQLite's plan for a deep page: a search of the sort column's index, no temporary B-tree."""
    add_drivers(console.engine, 50)
    statements: list[str] = []
    from sqlalchemy import event

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if re.search(r"FROM driver\s", statement) and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(console.engine, "before_cursor_execute", capture)
    try:
        middle = console.drivers.query(DriverQuery(sort=sort, limit=20)).items[-1]
        statements.clear()
        console.drivers.query(DriverQuery(sort=sort, limit=20, after=middle.ci_id, count=False))
    finally:
        event.remove(console.engine, "before_cursor_execute", capture)
    with console.engine.connect() as conn:
        plans = [" ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p))
                 for s, p in statements]
    assert plans and all(SORT_INDEXES[sort] in plan for plan in plans), plans
    assert not any("TEMP B-TREE" in plan for plan in plans), plans


def test_the_migration_makes_the_list_indexes(console):
    with console.engine.connect() as conn:
        names = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))}
    assert set(SORT_INDEXES.values()) | {
        "ix_package_content_summary_errors", "ix_package_content_summary_in_progress",
        "ix_package_content_summary_incomplete", "ix_package_content_summary_targeted", "ix_package_dp_dp_state",
        "ix_status_message_severity", "ix_status_message_kind", "ix_job_queued_at"} <= names


def test_status_messages_severity_is_a_query_over_every_message(console):
    """An error older than the newest 10,000 messages is still found by the severity filter
    (it was a filter over the newest 10,000), and ``before`` pages go on from a page's last id."""
    from tests.list_data import add_status_messages

    add_status_messages(console.engine, 3, severity="error")
    add_status_messages(console.engine, 10_050)
    errors = console.status.query(severity="error")
    assert len(errors) == 3 and all(m.severity == "error" for m in errors)
    assert [m.id for m in errors] == sorted((m.id for m in errors), reverse=True)
    first = console.status.query(limit=100)
    second = console.status.query(limit=100, before=first[-1].id)
    assert [m.id for m in first + second] == [m.id for m in console.status.query(limit=200)]
    assert console.status.query(severity="error", text="changed (1)") == [errors[1]]


@pytest.mark.parametrize("needle", ["intel", "adapter 1", "drv2", "ne", "x", "äpfel", "100%", "scsiadapter"])
def test_driver_search_through_the_text_index_equals_a_like_scan(drivers_site, needle: str):
    from sqlalchemy import func, select

    from console.storage.driver_schema import DriverRow

    with drivers_site.engine.connect() as conn:
        pattern = "%" + needle.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        scanned = sorted(conn.scalars(select(DriverRow.ci_id).where(
            func.instr(DriverRow.search_text, needle.casefold()) > 0 if conn.dialect.name == "sqlite"
            else DriverRow.search_text.like(pattern, escape="\\"))))
    page = drivers_site.drivers.query(DriverQuery(text=needle, sort="ci_id"))
    assert [d.ci_id for d in page.items] == scanned and page.total == len(scanned)


def test_the_migration_puts_model_text_in_the_driver_search(db_url):
    """A catalog imported before 0011: its drivers are found by a hardware ID or a model
    description through the new index (the search used to scan ``driver_model``)."""
    from sqlalchemy import insert

    from console.storage.driver_schema import DriverModelRow
    from console.storage.engine import create_site_engine, upgrade

    engine = create_site_engine(db_url)
    upgrade(engine, "0010")
    rows = driver_rows(3)
    with engine.begin() as conn:
        for row in rows:  # the columns 0010 had
            conn.execute(text("INSERT INTO driver (ci_id, ci_unique_id, name, driver_class, class_guid, provider, "
                              "driver_version, driver_date, inf_file, content_source_path, catalog_file, signed, enabled, "
                              "architectures, size_bytes, content_hash, inf_warnings, source_site, search_text, "
                              "created_at, created_by, modified_at, modified_by) VALUES (:ci_id, :ci_unique_id, :name, "
                              ":driver_class, '', :provider, :driver_version, NULL, :inf_file, :content_source_path, '', "
                              "1, 1, ' amd64 ', 1, :content_hash, '[]', 'PS1', :search_text, '2026-12-01', '', "
                              "'2026-12-01', '')"), {k: row[k] for k in (
                "ci_id", "ci_unique_id", "name", "driver_class", "provider", "driver_version", "inf_file",
                "content_source_path", "content_hash", "search_text")})
        conn.execute(insert(DriverModelRow), [dict(ci_id=rows[1]["ci_id"], position=0, manufacturer="Acme",
                                                   description="Acme Gigabit Network Connection", install_section="x",
                                                   hardware_id="PCI\\VEN_8086&DEV_1A1E", compatible_ids=[])])
    engine.dispose()
    from console.app import open_console

    console = open_console(db_url, user="alice@console1")
    try:
        for needle in ("ven_8086&dev_1a1e", "gigabit network"):
            assert [d.ci_id for d in console.drivers.query(DriverQuery(text=needle)).items] == [rows[1]["ci_id"]]
        assert console.drivers.query(DriverQuery(text=rows[0]["name"])).total >= 1
    finally:
        console.close()


def plans_of(console, run, table: str) -> list[str]:
    """SQLite's query plans of the statements ``run`` sends that read ``table`` in an order."""
    from sqlalchemy import event

    statements: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if re.search(rf"FROM {table}\s", statement) and "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(console.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        event.remove(console.engine, "before_cursor_execute", capture)
    with console.engine.connect() as conn:
        return [" ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)) for s, p in statements]


def test_the_jobs_page_and_status_filters_read_their_indexes(console):
    """The Jobs page's newest jobs (queue order) and the status messages' severity filter are
    index ranges, not a sort of every job or a scan of every message."""
    jobs = plans_of(console, lambda: console.jobs.list(limit=500), "job")
    assert jobs and all("ix_job_queued_at" in p for p in jobs), jobs
    errors = plans_of(console, lambda: console.status.query(severity="error", limit=200), "status_message")
    assert errors and all("ix_status_message_severity" in p and "TEMP B-TREE" not in p for p in errors), errors


def test_driver_counts_are_the_total_and_the_disabled_of_the_search(drivers_site):
    everything = drivers_site.drivers.query(DriverQuery(text="intel")).items
    assert drivers_site.drivers.counts(DriverQuery(text="intel")) == (
        len(everything), sum(1 for d in everything if not d.is_enabled))


def test_the_version_column_sorts_in_version_order_not_text_order(site_db: str):
    """"1.9" before "1.10", "2.0" before "10.0" (text order put them the other way round),
    for drivers that were in the catalog before the migration that added the sort key and for
    drivers imported after it."""
    import sqlalchemy as sa
    from alembic import command

    from console.app import open_console
    from console.storage.driver_schema import DriverRow
    from console.storage.engine import alembic_config, create_site_engine, current_revision, upgrade

    engine = create_site_engine(site_db)
    if current_revision(engine) is None:
        upgrade(engine, "0011")
    else:  # a database made at the newest schema: back to the one before the key
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0011")
    old = ["10.0.0.1", "1.10.0.0", "1.9.0.0", "2.0.0.0"]
    rows = driver_rows(len(old))
    for row, version in zip(rows, old, strict=True):
        row["driver_version"] = version
        del row["driver_version_key"]  # the column 0012 adds
    driver = sa.table("driver", *(sa.column(name, DriverRow.__table__.c[name].type) for name in rows[0]))
    with engine.begin() as conn:
        conn.execute(driver.insert(), rows)
    engine.dispose()
    console = open_console(site_db, user="alice@console1")  # migrates: existing drivers get their key
    try:
        new = ["1.9.0.10", "1.9.0.2", "6.3.9600.16384", "beta"]
        rows = driver_rows(len(new), start=len(old))
        for row, version in zip(rows, new, strict=True):
            row.update(driver_version=version, driver_version_key=version_sort_key(version))
        with console.engine.begin() as conn:
            conn.execute(sa.insert(DriverRow), rows)
        shown = [d.version for d in console.drivers.query(DriverQuery(sort="version")).items]
        assert shown == ["1.9.0.0", "1.9.0.2", "1.9.0.10", "1.10.0.0", "2.0.0.0", "6.3.9600.16384", "10.0.0.1", "beta"]
        assert keyset_pages(console, DriverQuery(sort="version", descending=True)) == [
            d.ci_id for d in console.drivers.query(DriverQuery(sort="version", descending=True)).items]
    finally:
        console.close()
