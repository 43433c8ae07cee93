"""Database trouble (item 4 and 9 of issue 8): a one-line `error: …` that says what to do,
exit 1 (never 3, never SQL text), and the database exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import BOOTIMAGE, Run

NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def db_state(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT package_id, name, description, sedo_object_version FROM boot_image_package ORDER BY package_id"
        ).fetchall()


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    for sql in ("SELECT", "UPDATE", "INSERT", "BEGIN", "sqlite3.", "[SQL", "Traceback"):
        assert sql not in result.stderr, result.stderr


def cli(db: Path | str, *args: str, env: dict[str, str] | None = None, prefix: list[str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "BOOTIMAGE_DB": f"sqlite:///{db}", **(env or {})}
    return subprocess.run([*(prefix or []), *BOOTIMAGE, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, check=False, cwd="/")


@pytest.fixture
def one_package(site: Run, cli_db_path: Path) -> Path:
    site("new", "--no-image-read", "--path", "/images/boot.wim", "--index", "1", "--name", "Boot image")
    return cli_db_path


# -- a file that is not a database -------------------------------------------------------------


@pytest.mark.parametrize("command", [("list",), ("show", "PS100001"), ("site", "init", "--site-code", "PS1"),
                                     ("set", "PS100001", "Description=x")])
def test_a_file_that_is_not_a_database_is_named_and_left_alone(tmp_path: Path, command: tuple[str, ...]):
    db = tmp_path / "notes.db"
    db.write_text("These are my notes, not a database.\n" * 200)
    before = digest(db)
    result = cli(db, *command)
    assert_one_line_error(result, f"the site database {db} is not a site database", "Choose another site database (--db")
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


# -- a database from a newer console ------------------------------------------------------------


def test_a_database_from_a_newer_schema_says_this_console_is_older(one_package: Path):
    with sqlite3.connect(one_package) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    before = db_state(one_package)
    for command in (("list",), ("set", "PS100001", "Description=x")):
        result = cli(one_package, *command)
        assert_one_line_error(result, "schema version 0099, newer than this console knows",
                              "use a newer Boot Image Console")
    assert db_state(one_package) == before
    with sqlite3.connect(one_package) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099",)]


# -- a lock held by another console ------------------------------------------------------------

HOLD = """
import sys, time
from console.app import open_console
console = open_console(sys.argv[1], user="holder@pc7")
with console.context.uow(write=True) as uow:
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def locked_by_other_console(one_package: Path) -> Iterator[Path]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, f"sqlite:///{one_package}", "20"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield one_package
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_a_writer_that_waits_too_long_names_the_console_holding_the_lock(locked_by_other_console: Path):
    db = locked_by_other_console
    before = db_state(db)
    started = time.monotonic()
    result = cli(db, "set", "PS100001", "Description=changed", env={"BOOTIMAGE_DB_TIMEOUT": "1"})
    assert time.monotonic() - started < 15
    assert_one_line_error(result, f"the site database {db} is busy: holder@pc7 (process ", "has been writing since",
                          "gave up after 1 s", "nothing was changed", "Try again when it has finished")
    # readers are not held up by the same lock
    listing = cli(db, "list", env={"BOOTIMAGE_DB_TIMEOUT": "1"})
    assert listing.returncode == 0, listing.stderr
    assert db_state(db) == before


def test_the_writer_note_is_gone_after_the_write(one_package: Path, site: Run):
    site("set", "PS100001", "Description=changed")
    assert not Path(f"{one_package}-writer").exists()


# -- a read-only database file --------------------------------------------------------------------


@pytest.fixture
def nobody_prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is not available to drop privileges")
    prefix = [setpriv, *NOBODY]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import console.cli"], capture_output=True,
                           text=True, cwd="/", timeout=60, check=False)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot reach this checkout or its .venv")
    return prefix


def test_a_read_only_database_says_so_and_changes_nothing(nobody_prefix: list[str]):
    folder = Path(tempfile.mkdtemp(prefix="bootimage-ro-"))
    try:
        folder.chmod(0o755)
        db = folder / "site.db"
        assert cli(db, "site", "init", "--site-code", "PS1").returncode == 0
        assert cli(db, "new", "--no-image-read", "--path", "/b.wim", "--index", "1", "--name", "Boot").returncode == 0
        db.chmod(0o644)
        before = db_state(db)
        result = cli(db, "set", "PS100001", "Description=changed", prefix=nobody_prefix)
        who = "nobody" if nobody_prefix else ""
        assert_one_line_error(result, f"the site database {db} is read-only for user {who}",
                              "Ask for write access to the file and its folder")
        assert db_state(db) == before
    finally:
        shutil.rmtree(folder)


# -- a full disk --------------------------------------------------------------------------------


@pytest.fixture
def small_disk() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    mountpoint = Path(tempfile.mkdtemp(prefix="bootimage-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)
        mountpoint.rmdir()


def fill(folder: Path) -> None:
    """Take every free block of ``folder``'s file system (bounded: the tmpfs is 3 MiB)."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(4096):
            try:
                os.write(fd, b"\0" * 4096)
            except OSError:
                break
    finally:
        os.close(fd)


def test_a_full_disk_says_so_and_saves_nothing(small_disk: Path):
    db = small_disk / "site.db"
    assert cli(db, "site", "init", "--site-code", "PS1").returncode == 0
    assert cli(db, "new", "--no-image-read", "--path", "/b.wim", "--index", "1", "--name", "Boot").returncode == 0
    before = db_state(db)
    fill(small_disk)
    result = cli(db, "set", "PS100001", "Description=" + "x" * 120, "Version=2")
    assert_one_line_error(result, f"the disk holding the site database {db} is full", "nothing was saved",
                          "Free some space")
    (small_disk / "filler").unlink()
    assert db_state(db) == before


# -- item 9: --db '' and a --db that does not exist ---------------------------------------------


@pytest.mark.parametrize("command", [("list",), ("show", "PS100001"), ("status",), ("job", "status", "X"),
                                     ("driver", "list"), ("folder", "list"), ("site", "list")])
def test_a_read_command_on_a_database_that_does_not_exist_says_so(tmp_path: Path, command: tuple[str, ...]):
    db = tmp_path / "typo" / "site.db"
    result = subprocess.run([*BOOTIMAGE, "--db", f"sqlite:///{db}", *command], capture_output=True, text=True,
                            timeout=60, check=False)
    assert_one_line_error(result, f"there is no site database at {db}", "bootimage site init")
    assert not (tmp_path / "typo").exists()


def test_an_empty_db_option_is_refused_instead_of_using_another_site(tmp_path: Path, run: Run):
    run("site", "init", "--site-code", "PS1")
    result = run("--db", "", "list", check=False)
    assert_one_line_error(result, "--db is empty")


def test_site_init_creates_the_database_file(tmp_path: Path):
    db = tmp_path / "new" / "site.db"
    result = subprocess.run([*BOOTIMAGE, "--db", f"sqlite:///{db}", "site", "init", "--site-code", "PS1"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert db.is_file()


def test_job_status_of_an_unknown_job_exits_non_zero(site: Run):
    result = site("job", "status", "XYZ", check=False)
    assert_one_line_error(result, "no job with ContextID 'XYZ'")
    result = site("job", "status", "XYZ", "--json", check=False)
    assert result.returncode == 1
