"""Consoles and workers writing at the same moment, on SQLite and PostgreSQL (where writers are not
serialized by a file lock): boot image and folder names stay unique (unique indexes on the
lower-cased name, migration 0016, which refuses a site that already breaks the rule), the
SedoObjectVersion check holds, a driver imported twice at once is in the catalog once, a site
setting written by two workers at once and a package assigned to one DP group twice at once
are no errors."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from console.core.errors import ConflictError, DuplicateNameError
from tests.integration.conftest import BOOTIMAGE, Run

pytestmark = pytest.mark.both_databases

THREADS = 6
DUPLICATE = r"a boot image named '{}' already exists \(PS1\w+\); choose another name"


def at_once(db_url: str, action: Callable[[Any, int], object], count: int = THREADS) -> list[object]:
    """``action(console, i)`` in ``count`` threads, each with its own console (connection),
    released together by a barrier; the results or the exceptions raised, in order."""
    from console.app import open_console

    consoles = [open_console(db_url, user=f"admin{i}@console{i}") for i in range(count)]
    barrier = threading.Barrier(count, timeout=60)
    results: list[object] = [None] * count

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(consoles[i], i)
        except Exception as exc:  # collected, asserted by the test
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads), "a save never finished"
    finally:
        for console in consoles:
            console.close()
    return results


def names(console: Any) -> list[str]:
    return sorted(str(p["Name"]) for p in console.packages.query().items)


def test_concurrent_creates_of_one_name_one_succeeds(console, db_url):
    spellings = ["Lab image", "LAB IMAGE", "lab image", "Lab Image", "lAB iMAGE", "LAB image"]
    results = at_once(db_url, lambda c, i: c.packages.create(name=spellings[i], image_path="/images/boot.wim"))
    created = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(created) == 1, results
    assert all(isinstance(r, DuplicateNameError) for r in refused), refused
    for i, error in enumerate(results):
        if isinstance(error, DuplicateNameError):
            assert error.problems[0].message.startswith(f"a boot image named {spellings[i]!r} already exists (PS1")
    assert len(names(console)) == 1


def test_concurrent_renames_to_one_name_one_succeeds(console, db_url):
    ids = [console.packages.create(name=f"Image {i}", image_path="/images/boot.wim").value["PackageID"]
           for i in range(THREADS)]
    results = at_once(db_url, lambda c, i: c.packages.put(ids[i], {"Name": "Production" if i % 2 else "PRODUCTION"}))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, DuplicateNameError) for r in results if isinstance(r, Exception)), results
    assert sum(name.lower() == "production" for name in names(console)) == 1


def test_concurrent_saves_of_one_version_one_wins(console, db_url, x64_package):
    version = x64_package["SedoObjectVersion"]
    sizes = [32, 64, 128, 256, 32, 64]
    results = at_once(db_url, lambda c, i: c.packages.put("PS100001", {"ScratchSpace": sizes[i], "Description": f"by {i}"},
                                                          expected_version=version))
    won = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    assert len(won) == 1, results
    assert all(isinstance(r, ConflictError) for r in results if isinstance(r, Exception)), results
    saved = console.packages.get("PS100001", lazy=True)
    assert saved["Description"] == f"by {won[0]}" and saved["ScratchSpace"] == sizes[won[0]]
    assert saved["SedoObjectVersion"] != version


@pytest.mark.parametrize("database_kind", ["postgresql"], indirect=True)
def test_a_save_waiting_for_another_sessions_write_is_refused_when_that_one_commits(console, db_url, x64_package):
    """The version check is the UPDATE's own WHERE (compare-and-set in one statement): a save
    that read the old version and then waits on the row lock of a transaction that changes it
    gets ConflictError when that transaction commits (never overwrites it)."""
    from sqlalchemy import create_engine

    other = create_engine(db_url)
    version = x64_package["SedoObjectVersion"]
    outcome: list[object] = []
    with other.connect() as conn:
        conn.execute(text("UPDATE boot_image_package SET sedo_object_version = 'other-session', "
                          "description = 'from psql' WHERE package_id = 'PS100001'"))
        saver = threading.Thread(target=lambda: outcome.append(_put(db_url, version)))
        saver.start()
        saver.join(timeout=3)
        assert saver.is_alive(), "the save did not wait for the other session's row lock"
        conn.commit()
        saver.join(timeout=60)
    other.dispose()
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError), outcome
    saved = console.packages.get("PS100001", lazy=True)
    assert saved["Description"] == "from psql" and saved["ScratchSpace"] == 512


def _put(db_url: str, version: str) -> object:
    from console.app import open_console

    console = open_console(db_url, user="bob@console2")
    try:
        return console.packages.put("PS100001", {"Description": "from the console"}, expected_version=version)
    except Exception as exc:  # returned to the test
        return exc
    finally:
        console.close()


def test_concurrent_cli_creates_of_one_name(site: Run, cli_db_url: str):
    env = {**os.environ, "BOOTIMAGE_DB": cli_db_url}
    procs = [subprocess.Popen([*BOOTIMAGE, "new", "--no-image-read", "--path", "/images/boot.wim", "--index", "1",
                               "--name", "Shared" if i % 2 else "SHARED"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**env, "BOOTIMAGE_USER": f"admin{i}@console{i}"}) for i in range(4)]
    results = [(proc.wait(timeout=120), *proc.communicate(timeout=10)) for proc in procs]
    assert [code for code, _, _ in results].count(0) == 1, results
    for code, _out, err in results:
        if code:
            assert code == 1, err
            assert err.count("\n") == 1 and err.startswith("error: a boot image named '"), err
    listed = site("list", "--json").stdout
    assert listed.lower().count('"shared"') == 1


# -- the migration that adds the index ----------------------------------------------------------


def _before_0016(db_url: str, rename: dict[str, str], rename_folders: dict[int, str]) -> None:
    """The site as an older console left it: without the index, with names that differ only in case."""
    from alembic.script import ScriptDirectory

    from console.storage.engine import alembic_config, create_site_engine

    previous = ScriptDirectory.from_config(alembic_config()).get_revision("0016").down_revision
    engine = create_site_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ux_boot_image_package_name"))
        conn.execute(text("DROP INDEX ux_console_folder_name"))
        for pid, name in rename.items():
            conn.execute(text("UPDATE boot_image_package SET name = :n WHERE package_id = :p"), {"n": name, "p": pid})
        for folder_id, name in rename_folders.items():
            conn.execute(text("UPDATE console_folder SET name = :n WHERE container_node_id = :f"),
                         {"n": name, "f": folder_id})
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    engine.dispose()


def test_the_migration_refuses_names_that_differ_only_in_case(site: Run, cli_db_url: str):
    from console.app import open_console

    console = open_console(cli_db_url, user="setup@host")  # the site as it was (one process, not six)
    for name in ("Lab", "Other", "Third", "Production"):
        console.packages.create(name=name, image_path="/images/boot.wim")
    for name in ("Servers", "Clients"):
        console.folders.create(name)
    console.close()
    _before_0016(cli_db_url, {"PS100002": "LAB", "PS100003": "lab"}, {2: "SERVERS"})
    refused = site("list", check=False)
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("error: cannot upgrade the site database: ")
    assert "PS100001 'Lab', PS100002 'LAB', PS100003 'lab'; folder 1 'Servers', folder 2 'SERVERS'" in refused.stderr
    assert "Rename all but one of each" in refused.stderr
    from console.storage.engine import create_site_engine

    engine = create_site_engine(cli_db_url)
    with engine.connect() as conn:  # the refused upgrade changed nothing
        assert conn.execute(text("SELECT count(*) FROM boot_image_package")).scalar() == 4
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != "0016"
        conn.execute(text("UPDATE boot_image_package SET name = 'Lab 2' WHERE package_id = 'PS100002'"))
        conn.execute(text("UPDATE boot_image_package SET name = 'Lab 3' WHERE package_id = 'PS100003'"))
        conn.execute(text("UPDATE console_folder SET name = 'Clients' WHERE container_node_id = 2"))
        conn.commit()
    engine.dispose()
    assert "Lab 3" in site("list").stdout  # renamed: the upgrade goes through
    taken = site("new", "--no-image-read", "--path", "/b.wim", "--index", "1", "--name", "lab 2", check=False)
    assert taken.returncode == 1 and "already exists (PS100002)" in taken.stderr



# -- drivers: one catalog entry per content, also when two consoles import the same folder -------


def test_concurrent_imports_of_one_folder_put_each_driver_in_the_catalog_once(console, db_url, tmp_path):
    from tests.driver_fixtures import build_driver_tree

    tree = build_driver_tree(tmp_path / "drivers")
    scans = []
    for _ in range(4):  # each console scanned before any imported (the import dialog's two steps)
        scans.append(console.drivers.scan(tree))
    found = {c.content_hash for c in scans[0].found}
    assert len(found) > 5
    results = at_once(db_url, lambda c, i: c.drivers.import_drivers(scans[i]).value, count=4)
    assert not [r for r in results if isinstance(r, Exception)], results
    imported = [d.content_hash for r in results for d in r.imported]  # type: ignore[attr-defined]
    assert sorted(imported) == sorted(found), "each driver imported exactly once"
    for result in results:  # what one console did not import it reports as already there
        assert {d.content_hash for d in result.imported} | {d.candidate.content_hash for d in result.duplicates} >= found  # type: ignore[attr-defined]
    assert console.drivers.counts()[0] == len(found)


# -- folders: unique names among the sub-folders of one folder ---------------------------------


def test_concurrent_folder_creates_and_renames_of_one_name_one_succeeds(console, db_url):
    lab = console.folders.create("Lab").value
    spellings = ["Windows 11", "WINDOWS 11", "windows 11", "Windows 11 ", "wINDOWS 11", "Windows 11"]
    results = at_once(db_url, lambda c, i: c.folders.create(spellings[i], lab.id))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    for r in results:
        if isinstance(r, Exception):
            assert isinstance(r, DuplicateNameError), r
            message = r.problems[0].message
            assert message.startswith("A folder named '") and message.endswith(
                "' already exists in folder 'Lab': choose another name."), message
    others = [console.folders.create(f"Other {i}", lab.id).value.id for i in range(THREADS)]
    results = at_once(db_url, lambda c, i: c.folders.rename(others[i], "Servers" if i % 2 else "SERVERS"))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(isinstance(r, DuplicateNameError) for r in results if isinstance(r, Exception)), results
    names_in_lab = sorted(f.name.lower() for f in console.folders.all() if f.parent_id == lab.id)
    assert names_in_lab.count("windows 11") == 1 and names_in_lab.count("servers") == 1
    assert console.folders.create("Windows 11").value.parent_id == 0  # another parent: allowed


# -- site settings: the first write of a setting by two workers at once ------------------------


def test_workers_starting_together_both_start_the_validation_clock_without_an_error(console, db_url):
    """Every worker's first look at the content validation schedule writes the site setting
    ContentValidationLastRun when it is missing: two at once must not fail on the key."""
    results = at_once(db_url, lambda c, i: c.content.queue_validation_cycle(24))
    assert results == [0] * THREADS, results


# -- distribution: the same package to the same group and DPs from several consoles at once ------


def test_concurrent_distributions_of_one_package_to_one_group(job_site, site_db, tmp_path):
    from console.core.distribution import DistributionPoint, TransportKind

    for n in (1, 2):
        (tmp_path / f"dp0{n}").mkdir()
        job_site.distribution_points.add(DistributionPoint(name=f"DP0{n}", transport=TransportKind.FOLDER,
                                                           address=str(tmp_path / f"dp0{n}")))
    job_site.dp_groups.add("Europe", members=["DP01", "DP02"])

    def distribute(console: Any, i: int) -> object:
        console.content.after_queue = lambda: None  # no detached worker: the test looks at the rows
        return console.content.distribute("PS100001", group_names=["Europe"], dp_names=["DP01"] if i % 2 else [])

    results = at_once(site_db, distribute, count=4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert job_site.content.row("PS100001", "DP01") is not None and job_site.content.row("PS100001", "DP02") is not None
    assert job_site.distribution_points.get("DP01").groups == ("Europe",)


# -- deltas from many consoles at once are composed, never refused ------------------------------

SIX_COMPONENTS = ("WinPE-Dot3Svc", "WinPE-EnhancedStorage", "WinPE-FMAPI", "WinPE-HTA", "WinPE-WMI", "WinPE-SecureStartup")


def test_six_consoles_adding_optional_components_at_once_all_succeed(console, db_url, x64_package):
    """Without an expected version a delta is composed on what is stored: on PostgreSQL the
    package's row is locked for the save, as SQLite's write lock does, so no console is refused."""
    results = at_once(db_url, lambda c, i: c.packages.apply("PS100001", add_components=[SIX_COMPONENTS[i]]))
    assert not [r for r in results if isinstance(r, Exception)], results
    stored = console.packages.get("PS100001", lazy=True)["OptionalComponents"]
    assert len(stored) >= 6, stored  # the six (and the prerequisites they brought)
