"""Several consoles on one SQLite site: readers never queue behind a writer, concurrent
`set --add-…` deltas are never lost, and no file is read while the write lock is held."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.integration.conftest import BOOTIMAGE, Run, site_identity

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def writer_holding_lock(db: Path) -> Iterator[sqlite3.Connection]:
    """Another connection in the middle of a long write transaction (the write lock held)."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=5)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE site SET site_name = 'being renamed' WHERE site_code = 'PS1'")
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _url(db: Path | str) -> str:
    """A SQLite file's URL (or the URL itself: the tests that run on PostgreSQL too)."""
    return db if isinstance(db, str) else f"sqlite:///{db}"


def _cli(db: Path | str, *args: str, timeout: float = 20, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOTIMAGE_DB": _url(db),
           "BOOTIMAGE_DB_TIMEOUT": "3", **(extra_env or {})}
    return subprocess.run([*BOOTIMAGE, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


@pytest.fixture
def one_package(site: Run, cli_db_path: Path) -> Path:
    site("new", "--no-image-read", "--path", "/images/boot.wim", "--index", "1", "--name", "Boot image")
    return cli_db_path


# -- item 5: readers take no write lock --------------------------------------------------------


@pytest.mark.parametrize("command", [("list",), ("show", "PS100001"), ("status",), ("folder", "list"),
                                     ("driver", "list"), ("job", "status", "NOPE")])
def test_readers_answer_while_another_console_holds_the_write_lock(one_package: Path, command: tuple[str, ...]):
    # The reader would wait up to 60 s for the lock; answering at all within the 40 s the
    # test allows (process start-up under load included) means it did not wait for it.
    with writer_holding_lock(one_package):
        result = _cli(one_package, *command, timeout=40, extra_env={"BOOTIMAGE_DB_TIMEOUT": "60"})
    assert "database" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    if command[0] != "job":
        assert result.returncode == 0, result.stderr


def test_list_shows_the_committed_state_not_the_writers_uncommitted_change(one_package: Path):
    with writer_holding_lock(one_package) as conn:
        conn.execute("UPDATE boot_image_package SET name = 'uncommitted' WHERE package_id = 'PS100001'")
        result = _cli(one_package, "list", "--json")
    assert result.returncode == 0, result.stderr
    assert '"Boot image"' in result.stdout and "uncommitted" not in result.stdout


def test_opening_an_up_to_date_site_takes_no_write_lock(one_package: Path):
    from console.app import open_console

    with writer_holding_lock(one_package):
        started = time.monotonic()
        console = open_console(f"sqlite:///{one_package}", user="gui@host")
        try:
            assert console.packages.get("PS100001")["Name"] == "Boot image"
        finally:
            console.close()
    assert time.monotonic() - started < 10  # the default timeout is 30 s


# -- item 1: concurrent deltas are composed inside the save -----------------------------------

COMPONENTS = ("WinPE-Dot3Svc", "WinPE-EnhancedStorage", "WinPE-FMAPI", "WinPE-HTA")


def _concurrently(db: Path | str, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (separate processes, separate users) and wait for all."""
    env = {**os.environ, "BOOTIMAGE_DB": _url(db)}
    procs = [subprocess.Popen([*BOOTIMAGE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**env})
             for i, cmd in enumerate(commands)]
    results = []
    for proc, cmd in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results


@pytest.fixture
def x64_package(site: Run, cli_db_url: str, winpe_x64_wim: Path) -> str:
    """The site's URL, with package PS100001 (x64)."""
    site("new", "--path", str(winpe_x64_wim), "--index", "1", "--name", "x64")
    return cli_db_url


#: the item 1 tests run on SQLite and PostgreSQL (PostgreSQL does not serialize the writers)
BOTH = pytest.mark.parametrize("database_kind", ["sqlite", "postgresql"], indirect=True)


def _show(db: Path | str) -> dict:
    import json

    result = _cli(db, "show", "PS100001", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@BOTH
def test_four_consoles_adding_optional_components_at_once_keep_all_four(x64_package: str):
    results = _concurrently(x64_package, [["set", "PS100001", "--add-optional-component", c] for c in COMPONENTS])
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "PS100001: saved (OptionalComponents)" in result.stdout
    stored = _show(x64_package)["OptionalComponents"]
    assert sorted(stored) == sorted([2 + 26, 3 + 26, 4 + 26, 10 + 26]), stored  # x64 ids of the four


@BOTH
def test_four_consoles_adding_drivers_at_once_all_succeed_and_keep_all_four(x64_package: str, site: Run, tmp_path: Path):
    import json

    from tests.driver_fixtures import build_driver_tree

    site("driver", "import", str(build_driver_tree(tmp_path / "drivers")))
    ci_ids = [d["CI_ID"] for d in json.loads(site("driver", "list", "--json").stdout)][:4]
    results = _concurrently(x64_package, [["set", "PS100001", "--add-driver", str(ci)] for ci in ci_ids])
    for result in results:
        assert result.returncode == 0, result.stderr
    assert sorted(d["ID"] for d in _show(x64_package)["ReferencedDrivers"]) == sorted(ci_ids)


@BOTH
def test_components_and_drivers_added_with_a_stale_expected_version_are_refused(x64_package: str, site: Run,
                                                                               cli_db_url: str):
    seen = _show(x64_package)["SedoObjectVersion"]
    site("set", "PS100001", "Description=changed by someone else")
    refused = site("set", "PS100001", "--add-optional-component", "WinPE-HTA", "--expected-version", seen, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: PS100001 was changed by {site_identity(cli_db_url)} at ")
    assert "Nothing was saved" in refused.stderr
    after = _show(x64_package)
    assert after["OptionalComponents"] == [] and after["Description"] == "changed by someone else"


@BOTH
def test_a_set_with_values_and_component_deltas_is_one_save(x64_package: str, site: Run):
    before = _show(x64_package)["SedoObjectVersion"]
    out = site("set", "PS100001", "Description=with HTA", "--add-optional-component", "WinPE-HTA").stdout
    assert "saved (Description, OptionalComponents)" in out
    after = _show(x64_package)
    assert after["Description"] == "with HTA" and after["OptionalComponents"] == [36]
    assert after["SedoObjectVersion"] != before
    status = _cli(x64_package, "status", "--package", "PS100001", "--json")
    import json

    texts = [m["Text"] for m in json.loads(status.stdout)]
    assert texts.count("Properties changed: Description, OptionalComponents") == 1


# -- item 6: no file I/O inside a write transaction -------------------------------------------


class LockProbingReader:
    """The real WIM reader (the ImageReader port), noting for each read whether some
    connection held the site database's write lock at that moment: a second connection
    tries to take it without waiting."""

    def __init__(self, db: Path) -> None:
        from console.wim.reader import WimReader

        self._reader = WimReader()
        self._db = db
        self.lock_held_during_read: list[bool] = []

    def read(self, path):  # type: ignore[no-untyped-def]
        probe = sqlite3.connect(self._db, isolation_level=None, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            self.lock_held_during_read.append(False)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            self.lock_held_during_read.append(True)
        finally:
            probe.close()
        return self._reader.read(path)

    def parse_image_xml(self, text, *, boot_index=0, source="ImageProperty"):  # type: ignore[no-untyped-def]
        return self._reader.parse_image_xml(text, boot_index=boot_index, source=source)


@pytest.fixture
def probed_console(tmp_path: Path):
    from console.app import ensure_default_site, open_console

    db = tmp_path / "site.db"
    console = open_console(f"sqlite:///{db}", user="alice@console1")
    ensure_default_site(console)
    console.context.images = LockProbingReader(db)
    yield console
    console.close()


def test_reload_image_properties_reads_the_wim_without_holding_the_write_lock(probed_console, winpe_x64_wim, winpe_x86_wim, wim_copy):
    path = wim_copy(winpe_x86_wim, "boot.wim")
    pkg = probed_console.packages.create_from_wim(str(path), 1).value
    path.write_bytes(winpe_x64_wim.read_bytes())
    result = probed_console.packages.reload_image_properties(pkg["PackageID"])
    assert result.value["Architecture"] == "x64"
    assert probed_console.context.images.lock_held_during_read == [False, False]


def test_pointing_a_package_at_another_image_reads_it_without_holding_the_write_lock(probed_console, winpe_x64_wim, multi_image_wim):
    pkg = probed_console.packages.create_from_wim(str(winpe_x64_wim), 1).value
    saved = probed_console.packages.put(pkg["PackageID"], {"ImagePath": str(multi_image_wim), "ImageIndex": 2}).value
    assert saved["ImagePath"] == str(multi_image_wim) and saved["ImageIndex"] == 2
    assert probed_console.context.images.lock_held_during_read == [False, False]


def test_an_image_changed_by_another_console_while_reading_is_read_again(probed_console, winpe_x64_wim, multi_image_wim):
    """The WIM is read outside the transaction, so another console may re-point the package
    meanwhile; the save notices and reads the image the package points at now."""
    pkg = probed_console.packages.create_from_wim(str(multi_image_wim), 1).value
    reader = probed_console.context.images
    other_done: list[bool] = []
    original = reader.read

    def read_while_another_console_saves(path):  # type: ignore[no-untyped-def]
        info = original(path)
        if not other_done:  # the first read (reload's): another save re-points the package meanwhile
            other_done.append(True)
            probed_console.packages.put(pkg["PackageID"], {"ImagePath": str(winpe_x64_wim), "ImageIndex": 1})
        return info

    reader.read = read_while_another_console_saves
    result = probed_console.packages.reload_image_properties(pkg["PackageID"])
    assert result.value["ImagePath"] == str(winpe_x64_wim)
    assert reader.lock_held_during_read == [False, False, False, False]  # create, reload, put, reload again
    assert result.value["PackageSize"] == probed_console.packages.get(pkg["PackageID"], lazy=True)["PackageSize"]
