"""The site database on PostgreSQL: trouble reaching it is one line that names the cause."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120)


@pytest.mark.parametrize(("url", "message"), [
    ("{server}/no_such_database", "does not exist on the server; create the database or check the URL"),
    ("{server}/postgres@nobody", "the database server refused the login"),
    ("postgresql+psycopg://postgres@/postgres?host=/nonexistent", "cannot reach the database server"),
])
def test_postgres_trouble_is_one_line_that_names_the_cause(postgres_server, url: str, message: str):
    if url.startswith("{server}/"):
        database, _, role = url.removeprefix("{server}/").partition("@")
        url = postgres_server.url(database)
        if role:
            url = url.replace("postgres@", f"{role}@")
    result = cli("--db", url, "list")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr and result.stderr.count("\n") == 1


def test_the_cli_works_on_a_postgresql_site(postgres_server):
    name = postgres_server.create_database()
    try:
        url = postgres_server.url(name)
        assert "Site PS1" in cli("--db", url, "site", "init", "--site-code", "PS1").stdout
        created = cli("--db", url, "new", "--no-image-read", "--path", "/images/boot.wim", "--index", "1",
                      "--name", "Boot image")
        assert created.returncode == 0, created.stderr
        listed = cli("--db", url, "list")
        assert "Boot image" in listed.stdout and "1 of 1" in listed.stdout
    finally:
        postgres_server.drop_database(name)
