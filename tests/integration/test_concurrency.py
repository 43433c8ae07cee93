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

from tests.integration.conftest import BOOTIMAGE, Run

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


def _cli(db: Path, *args: str, timeout: float = 20, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{db}", "BOOTIMAGE_USER": "reader@host",
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
    with writer_holding_lock(one_package):
        started = time.monotonic()
        result = _cli(one_package, *command)
        elapsed = time.monotonic() - started
    assert "database" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr
    assert elapsed < 3, f"`bootimage {' '.join(command)}` waited {elapsed:.1f} s for the writer"
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
    assert time.monotonic() - started < 3


# -- item 1: concurrent deltas are composed inside the save -----------------------------------

COMPONENTS = ("WinPE-Dot3Svc", "WinPE-EnhancedStorage", "WinPE-FMAPI", "WinPE-HTA")


def _concurrently(db: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Start every command at once (separate processes, separate users) and wait for all."""
    env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{db}"}
    procs = [subprocess.Popen([*BOOTIMAGE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**env, "BOOTIMAGE_USER": f"admin{i}@console{i}"})
             for i, cmd in enumerate(commands)]
    results = []
    for proc, cmd in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results


@pytest.fixture
def x64_package(site: Run, cli_db_path: Path, winpe_x64_wim: Path) -> Path:
    site("new", "--path", str(winpe_x64_wim), "--index", "1", "--name", "x64")
    return cli_db_path


def _show(db: Path) -> dict:
    import json

    result = _cli(db, "show", "PS100001", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_four_consoles_adding_optional_components_at_once_keep_all_four(x64_package: Path):
    results = _concurrently(x64_package, [["set", "PS100001", "--add-optional-component", c] for c in COMPONENTS])
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "PS100001: saved (OptionalComponents)" in result.stdout
    stored = _show(x64_package)["OptionalComponents"]
    assert sorted(stored) == sorted([2 + 26, 3 + 26, 4 + 26, 10 + 26]), stored  # x64 ids of the four


def test_four_consoles_adding_drivers_at_once_all_succeed_and_keep_all_four(x64_package: Path, site: Run, tmp_path: Path):
    import json

    from tests.driver_fixtures import build_driver_tree

    site("driver", "import", str(build_driver_tree(tmp_path / "drivers")))
    ci_ids = [d["CI_ID"] for d in json.loads(site("driver", "list", "--json").stdout)][:4]
    results = _concurrently(x64_package, [["set", "PS100001", "--add-driver", str(ci)] for ci in ci_ids])
    for result in results:
        assert result.returncode == 0, result.stderr
    assert sorted(d["ID"] for d in _show(x64_package)["ReferencedDrivers"]) == sorted(ci_ids)


def test_components_and_drivers_added_with_a_stale_expected_version_are_refused(x64_package: Path, site: Run):
    seen = _show(x64_package)["SedoObjectVersion"]
    site("set", "PS100001", "Description=changed by someone else", user="bob@console2")
    refused = site("set", "PS100001", "--add-optional-component", "WinPE-HTA", "--expected-version", seen, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: PS100001 was changed by bob@console2 at ")
    assert "Nothing was saved" in refused.stderr
    after = _show(x64_package)
    assert after["OptionalComponents"] == [] and after["Description"] == "changed by someone else"


def test_a_set_with_values_and_component_deltas_is_one_save(x64_package: Path, site: Run):
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
