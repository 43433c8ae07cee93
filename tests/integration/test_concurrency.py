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
