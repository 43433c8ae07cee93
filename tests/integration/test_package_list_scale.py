"""The package list at scale, on small data: the search index answers as a LIKE scan does,
follows every write, is built for existing rows by the migration; every sortable column has
an index the planner uses; pages read by position (keyset, from the end, a jump to the middle)
equal OFFSET pages for every column and direction, ties and NULLs included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, select, text, update

from console.app import ensure_default_site, open_console
from console.core.ports import PackageQuery
from console.storage import package_repository
from console.storage.engine import create_site_engine, upgrade
from console.storage.schema import PACKAGE_SEARCH, SORTED_COLUMNS, PackageRow, SiteRow
from tests.bench.site_generator import package_rows

COUNT = 700
SEARCHES = ["x64", "x8", "b", "boot", "BOOT IMAGE", "10.0.261", "de-de", "0001", "PS1000", "(x86) 00",
            "nic drivers", "%", "_", "\\", "zzz", "é", "lab pxe (x86) 0"]

SORTS = ["Name", "PackageID", "Version", "Architecture", "ImageOSVersion", "Language", "PackageSize",
         "ScratchSpace", "SourceVersion", "SourceDate", "Description", "DefaultImage"]
BLOCK = 128
SORT_COLUMNS = ["name", "package_id", "version", "architecture", "image_os_version", "language", "package_size",
                "scratch_space", "source_version", "source_date", "description", "default_image"]


def _fill(console, count: int = COUNT) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with console.engine.begin() as conn:
        for batch in package_rows(count, now, seed=7):
            conn.execute(insert(PackageRow), batch)


@pytest.fixture
def big_site(site_db):
    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    _fill(console)
    yield console
    console.close()


def _like_scan(console, needle: str) -> set[str]:
    folded = needle.strip().casefold()
    with console.engine.connect() as conn:
        rows = conn.execute(select(PackageRow.package_id, PackageRow.search_text)).all()
    return {pid for pid, search in rows if folded in search}


def _found(console, needle: str) -> tuple[set[str], int]:
    page = console.packages.query(PackageQuery(text=needle, folder_id=None), count=True)
    return {p["PackageID"] for p in page.items}, page.total


def test_search_through_the_index_finds_what_a_scan_finds(big_site):
    for needle in SEARCHES:
        expected = _like_scan(big_site, needle)
        found, total = _found(big_site, needle)
        assert (needle, found) == (needle, expected)
        assert total == len(expected) == big_site.packages.count(PackageQuery(text=needle, folder_id=None))
    assert _found(big_site, "x64")[1] > 300  # the data really has many matches


def test_search_index_follows_inserts_updates_and_deletes(big_site):
    engine = big_site.engine
    with engine.begin() as conn:
        conn.execute(update(PackageRow).where(PackageRow.package_id == "PS100001").values(search_text="quokka lab"))
        conn.execute(text("DELETE FROM boot_image_package WHERE package_id = 'PS100002'"))
    assert _found(big_site, "quokka") == ({"PS100001"}, 1)
    assert "PS100002" not in _found(big_site, "ps10000")[0]
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for batch in package_rows(1, now, first=COUNT + 1, seed=9):
            batch[0]["search_text"] = "wombat pe"
            conn.execute(insert(PackageRow), batch)
    assert _found(big_site, "wombat") == ({f"PS1{COUNT + 1:05X}"}, 1)
    assert _found(big_site, "quokka")[1] == 1


def test_migration_builds_the_indexes_for_existing_rows(db_url):
    engine = create_site_engine(db_url)
    upgrade(engine, "0009")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(SiteRow), [dict(site_code="PS1", site_name="Primary site", is_local=True,
                                             next_package_number=COUNT + 1, created_at=now)])
        for batch in package_rows(COUNT, now, seed=7):
            conn.execute(insert(PackageRow), batch)
    engine.dispose()
    console = open_console(db_url, user="alice@console1")  # migrates to the newest schema
    try:
        for needle in ("x64", "boot", "x8", "10.0.261"):
            assert _found(console, needle) == (_like_scan(console, needle), len(_like_scan(console, needle)))
        with console.engine.connect() as conn:
            indexes = {row[1] for row in conn.exec_driver_sql("PRAGMA index_list(boot_image_package)")}
            fts_rows = conn.exec_driver_sql(f"SELECT count(*) FROM {PACKAGE_SEARCH.fts_table}").scalar()
        assert {f"ix_boot_image_package_sort_{key}" for key, _lower in SORTED_COLUMNS} <= indexes
        assert fts_rows == COUNT
    finally:
        console.close()


def test_sqlite_reads_a_page_s_keys_from_the_sort_index_alone(big_site):
    if big_site.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(big_site.engine, "before_cursor_execute", capture)
    try:
        for sort, column in zip(SORTS, SORT_COLUMNS, strict=True):
            for descending in (False, True):
                statements.clear()
                big_site.packages.query(PackageQuery(sort=sort, descending=descending, offset=COUNT // 2, limit=50,
                                                     total=COUNT), count=False)
                sql, params = next((s, p) for s, p in statements if "ORDER BY" in s)
                with big_site.engine.connect() as conn:
                    plan = " / ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
                assert f"COVERING INDEX ix_boot_image_package_sort_{column}" in plan, (sort, plan)
        statements.clear()
        big_site.packages.query(PackageQuery(text="x64", folder_id=None, limit=50), count=True)
        counted, params = next((s, p) for s, p in statements if "count(" in s and "sqlite_master" not in s)
        with big_site.engine.connect() as conn:
            plan = " / ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {counted}", params))
        assert f"{PACKAGE_SEARCH.fts_table} VIRTUAL TABLE INDEX" in plan, plan
    finally:
        event.remove(big_site.engine, "before_cursor_execute", capture)


def _ids(items) -> list[str]:
    return [p["PackageID"] for p in items]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_pages_by_keyset_from_the_end_and_by_offset_equal_the_whole_sorted_list(big_site, descending):
    packages = big_site.packages
    for sort in SORTS:
        base = PackageQuery(folder_id=0, sort=sort, descending=descending, include=("ScratchSpace",))
        whole = packages.query(base, count=False).items  # one ORDER BY ... (no paging)
        assert len(whole) == COUNT
        expected = _ids(whole)
        after = None
        for offset in range(0, COUNT, BLOCK):
            want = expected[offset:offset + BLOCK]
            by_offset = packages.query(PackageQuery(**{**base.__dict__, "offset": offset, "limit": BLOCK}), count=False)
            from_end = packages.query(PackageQuery(**{**base.__dict__, "offset": offset, "limit": BLOCK, "total": COUNT}),
                                      count=False)
            by_key = packages.query(PackageQuery(**{**base.__dict__, "limit": BLOCK, "after": after}), count=False)
            assert (sort, offset, _ids(by_offset.items)) == (sort, offset, want)
            assert (sort, offset, _ids(from_end.items)) == (sort, offset, want)
            assert (sort, offset, _ids(by_key.items)) == (sort, offset, want)
            last = by_key.items[-1]
            after = (last[sort], last["PackageID"])
    # the data has ties and NULLs where the test needs them
    dates = [p["SourceDate"] for p in whole]
    assert None in dates and len({p["Architecture"] for p in whole}) == 2


@pytest.mark.parametrize("needle", ["x64", "b", "lab pxe (x86) 0"])
def test_filtered_pages_equal_the_whole_filtered_list(big_site, needle, monkeypatch):
    # a short walk: frequent texts find their page in it, rarer ones give up and sort the matches
    monkeypatch.setattr(package_repository, "WALK_LIMIT", 150)
    packages = big_site.packages
    for sort in ("Name", "PackageSize", "SourceDate"):
        for descending in (False, True):
            base = PackageQuery(folder_id=0, text=needle, sort=sort, descending=descending)
            expected = _ids(packages.query(base, count=False).items)
            total = packages.count(base)
            assert total == len(expected) > 0
            after = None
            for offset in range(0, total, BLOCK):
                want = expected[offset:offset + BLOCK]
                by_offset = packages.query(PackageQuery(**{**base.__dict__, "offset": offset, "limit": BLOCK,
                                                           "total": total}), count=False)
                by_key = packages.query(PackageQuery(**{**base.__dict__, "limit": BLOCK, "after": after}), count=False)
                assert (sort, offset, _ids(by_offset.items)) == (sort, offset, want)
                assert (sort, offset, _ids(by_key.items)) == (sort, offset, want)
                after = (by_key.items[-1][sort], by_key.items[-1]["PackageID"])
