"""``bootimage list --json`` is streamed straight from the rows: the same records as before
(CIM names, class order, dates), compact one record per line, ``--pretty`` indented."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from console.cli.output import instance_json
from console.core.errors import ValidationError
from console.core.image_facts import ImageFacts
from console.core.ports import PackageQuery

from .conftest import Run


def _site(console: Any) -> list[str]:
    """Packages with every kind of listed value: dates, arrays, booleans, blobs, folders."""
    folder = console.folders.create("Lab", None).value
    ids = []
    for n, (arch, os_version, language) in enumerate([("x64", "10.0.26100.1", "en-US"), ("x86", "10.0.19041.1", "de-DE"),
                                                      ("x64", "6.3.9600.16384", "ja-JP"), ("x64", "10.0.22621.1", "fr-FR")]):
        facts = ImageFacts(arch, os_version, language, '<WIM><IMAGE INDEX="1"/></WIM>', 1_000_000 + n, "Microsoft Windows PE")
        created = console.packages.create(name=f"{'Boot' if n % 2 else 'alpha'} image {n} «ü»", image_path=f"/images/{n}.wim",
                                          image_index=1, image=facts, description=f"line one\nline\t{n}",
                                          folder_id=folder.id if n == 2 else None).value
        ids.append(created["PackageID"])
    console.packages.apply(ids[1], {"ScratchSpace": 128, "Priority": 1})
    with console.engine.begin() as conn:  # a refresh time, scopes and blobs, as a server would have them
        conn.execute(text("UPDATE boot_image_package SET last_refresh_time = :t, extended_data = :b, "
                          "secured_scope_names = :s WHERE package_id = :p"),
                     {"t": datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC), "b": b"\x00\x01binary",
                      "s": '["Default", "Lab"]', "p": ids[0]})
    return ids


QUERIES = [
    PackageQuery(),
    PackageQuery(sort="PackageSize", descending=True),
    PackageQuery(sort="Name", offset=1, limit=2),
    PackageQuery(text="boot"),
    PackageQuery(where={"Architecture": "x64"}, sort="ImageOSVersion"),
    PackageQuery(folder_id=0),
    PackageQuery(include=("ScratchSpace", "ExtendedData", "RefreshPkgSourceFlag")),
]


@pytest.fixture
def any_site(site_db: str) -> Iterator[Any]:
    """A site on SQLite, then on PostgreSQL (the drivers return dates and JSON differently)."""
    from console.app import ensure_default_site, open_console

    site = open_console(site_db, user="alice@console1")
    ensure_default_site(site)
    yield site
    site.close()


def test_streamed_records_are_the_records_of_a_query(any_site: Any) -> None:
    _site(any_site)
    for query in QUERIES:
        before = [instance_json(any_site, item, all_properties=False) for item in any_site.packages.query(query).items]
        streamed = list(any_site.packages.stream_json(query))
        assert streamed == before, query
        assert [list(r) for r in streamed] == [list(r) for r in before]  # keys in the same (class) order
        assert streamed  # every query above selects something


def test_a_child_table_property_cannot_be_streamed(console: Any) -> None:
    _site(console)
    with pytest.raises(ValidationError, match="OptionalComponents cannot be listed in a stream"):
        list(console.packages.stream_json(PackageQuery(include=("OptionalComponents",))))


def test_list_json_is_compact_one_record_per_line_and_pretty_indents(site: Run) -> None:
    for name in ("One", "Two", "Three"):
        site("new", "--no-image-read", "--path", f"/nowhere/{name}.wim", "--index", "1", "--name", name)
    compact = site("list", "--json").stdout
    lines = compact.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 5
    assert all(line.startswith('{"__class":"SMS_BootImagePackage",') for line in lines[1:-1])
    records = json.loads(compact)
    assert [r["Name"] for r in records] == ["One", "Three", "Two"]
    pretty = site("list", "--json", "--pretty").stdout
    assert json.loads(pretty) == records
    assert pretty == json.dumps(records, indent=2, ensure_ascii=False) + "\n"  # what list --json printed before
    assert site("list", "--filter", "nothing-like-this", "--json").stdout == "[]\n"


def test_pretty_works_for_every_json_command_and_compact_is_the_default(site: Run) -> None:
    pid = site("new", "--no-image-read", "--path", "/nowhere/a.wim", "--index", "1", "--name", "A").stdout.strip()
    shown = site("show", pid, "--json").stdout
    assert "\n" not in shown.rstrip("\n") and json.loads(shown)["Name"] == "A"
    for args in (["show", pid, "--json", "--pretty"], ["--pretty", "show", pid, "--json"]):
        pretty = site(*args).stdout
        assert pretty.startswith('{\n  "__class": "SMS_BootImagePackage",\n')
        assert json.loads(pretty) == json.loads(shown)
    assert json.loads(site("site", "list", "--json", "--pretty").stdout)[0]["SiteCode"] == "PS1"


def test_a_bad_list_json_prints_no_json_only_the_error(site: Run) -> None:
    site("new", "--no-image-read", "--path", "/nowhere/a.wim", "--index", "1", "--name", "A")
    result = site("list", "--json", "--sort", "Bogus", check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip() == "error: cannot sort by 'Bogus': SMS_BootImagePackage has no such property"
