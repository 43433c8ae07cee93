"""The `bootimage` command as a separate process against one SQLite site database per test."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import new_site_database
from tests.servers.sshd import ssh_dp, sshd_server  # noqa: F401 - the SSH transport's private sshd

BOOTIMAGE = [sys.executable, "-m", "console.cli"]
#: Who an SQLite site says changed something: the operating-system user at this host.
OS_USER = f"{getpass.getuser()}@{socket.gethostname()}"

Run = Callable[..., subprocess.CompletedProcess[str]]


def site_identity(url: str, sqlite_user: str = OS_USER) -> str:
    """Who a site records as having changed something: on SQLite the operating-system user (or
    the user a test opened the site as); on PostgreSQL the login (session_user) of ``url``."""
    if url.startswith("sqlite"):
        return sqlite_user
    from sqlalchemy.engine import make_url

    return str(make_url(url).username)


@pytest.fixture
def cli_db_path(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def cli_db_url(request: pytest.FixtureRequest, database_kind: str, cli_db_path: Path) -> Iterator[str]:
    """The CLI's site database: ``cli_db_path`` or, in a module marked ``both_databases``, a
    PostgreSQL database too (``bootimage --db postgresql+psycopg://…``)."""
    yield from new_site_database(request, database_kind, cli_db_path)


@pytest.fixture
def run(cli_db_url: str) -> Run:
    """``run(*args, check=True)``: `bootimage ARGS` as this operating-system user (the identity
    of an SQLite site, ``OS_USER``; on PostgreSQL the URL's login); with ``check`` a non-zero
    exit fails the test with its stderr. No site exists yet."""
    env = {**os.environ, "BOOTIMAGE_DB": cli_db_url}

    def invoke(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*BOOTIMAGE, *args], capture_output=True, text=True, env=env, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"bootimage {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    return invoke


@pytest.fixture
def site(run: Run) -> Run:
    """``run`` on a site database initialized with site code PS1."""
    run("site", "init", "--site-code", "PS1")
    return run
