"""Search counts stay exact while they are kept: a count of an unchanged site is not read
twice, and every write (this console, another console, a plain SQL writer, a transaction
rolled back) gives the new count; a search inside a folder, small or large, finds what a scan
finds, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, select, update

from console.app import ensure_default_site, open_console
from console.core.ports import PackageQuery
from console.storage import package_counts
from console.storage.schema import PACKAGE_SEARCH, PackageRow
from tests.bench.site_generator import package_rows

COUNT = 400
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def site(site_db):
    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    with console.engine.begin() as conn:
        for batch in package_rows(COUNT, NOW, seed=5):
            conn.execute(insert(PackageRow), batch)
    yield console
    console.close()


def _scan(console, needle: str, package_ids: set[str] | None = None) -> set[str]:
    with console.engine.connect() as conn:
        rows = conn.execute(select(PackageRow.package_id, PackageRow.search_text)).all()
    return {pid for pid, search in rows if needle.casefold() in search and (package_ids is None or pid in package_ids)}


def _listed(console, query: PackageQuery) -> tuple[set[str], int]:
    page = console.packages.query(query, count=True)
    return {p["PackageID"] for p in page.items}, page.total


def test_a_count_of_an_unchanged_site_is_read_once(site):
    if site.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL counts are read every time (no cheap data version)")
    read: list[str] = []
    event.listen(site.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *args: read.append(statement))
    for text in ("x64", "x", "10.0.261"):
        read.clear()
        first = site.packages.count(PackageQuery(text=text, folder_id=0))
        assert any(PACKAGE_SEARCH.fts_table in s for s in read), text
        read.clear()
        again = site.packages.count(PackageQuery(text=text.upper(), folder_id=0, sort="PackageSize"))
        assert not any(PACKAGE_SEARCH.fts_table in s or "FROM boot_image_package" in s for s in read), read
        assert again == first == len(_scan(site, text))


def test_counts_follow_every_write(site, site_db):
    top, everywhere = PackageQuery(text="quokka", folder_id=0), PackageQuery(text="quokka", folder_id=None)
    assert site.packages.count(top) == site.packages.count(everywhere) == 0  # counted, and kept
    other = open_console(site_db, user="bob@console2")
    try:
        with other.engine.begin() as conn:  # another console, writing plain SQL
            conn.execute(update(PackageRow).where(PackageRow.package_id == "PS10000A").values(search_text="quokka lab"))
        assert site.packages.count(top) == site.packages.count(everywhere) == 1
        folder = other.folders.create("Lab").value
        other.packages.move_to_folder(["PS10000A"], folder.id)
        assert (site.packages.count(top), site.packages.count(everywhere)) == (0, 1)
        assert site.packages.count(PackageQuery(text="quokka", folder_id=folder.id)) == 1
        other.packages.delete("PS10000A")
        assert site.packages.count(everywhere) == 0
    finally:
        other.close()


def test_a_count_read_in_a_transaction_rolled_back_is_not_kept(site):
    query = PackageQuery(text="wombat", folder_id=None)
    assert site.packages.count(query) == 0
    with site.context.uow(write=True) as uow:  # added, counted, rolled back
        batch = next(package_rows(1, NOW, first=COUNT + 1, seed=9))
        batch[0]["search_text"] = "wombat pe"
        uow.session.execute(insert(PackageRow), batch)
        assert uow.packages.count(query) == 1
    with site.engine.begin() as conn:  # then one other change is committed
        conn.execute(update(PackageRow).where(PackageRow.package_id == "PS100003").values(description="Pilot"))
    assert site.packages.count(query) == 0


@pytest.mark.parametrize("scan_limit", [10_000, 10], ids=["small-folder-scan", "index"])
def test_a_search_in_folders_finds_what_a_scan_finds(site, monkeypatch, scan_limit):
    monkeypatch.setattr(package_counts, "FOLDER_SCAN_LIMIT", scan_limit)
    parent = site.folders.create("Production").value
    child = site.folders.create("Windows 11", parent.id).value
    in_parent = {f"PS1{n:05X}" for n in range(1, 61)}
    in_child = {f"PS1{n:05X}" for n in range(61, 101)}
    site.packages.move_to_folder(sorted(in_parent), parent.id)
    site.packages.move_to_folder(sorted(in_child), child.id)
    for needle in ("x64", "x8", "b", "boot", "10.0.261", "ps10003", "zzz"):
        for folder_id, recursive, members in ((parent.id, False, in_parent), (parent.id, True, in_parent | in_child),
                                              (child.id, False, in_child)):
            expected = _scan(site, needle, members)
            query = PackageQuery(text=needle, folder_id=folder_id, recursive=recursive, limit=500)
            assert (needle, folder_id, recursive, _listed(site, query)) == \
                   (needle, folder_id, recursive, (expected, len(expected)))
        everything_else = _scan(site, needle) - in_parent - in_child
        assert _listed(site, PackageQuery(text=needle, folder_id=0, limit=500)) == (everything_else, len(everything_else))
