"""PostgreSQL (psycopg) errors become one-line DatabaseErrors too (no server in the tests:
the driver's exceptions are built as psycopg raises them, with their SQLSTATE)."""

from __future__ import annotations

import pytest

from console.storage.db_errors import Target, translate


def psycopg_error(name: str, message: str, sqlstate: str | None) -> Exception:
    cls = type(name, (Exception,), {"__module__": "psycopg", "sqlstate": sqlstate})
    return cls(message)


TARGET = Target("the site database postgresql+psycopg://console@db.example/site")


@pytest.mark.parametrize(("name", "sqlstate", "expected"), [
    ("OperationalError", None, "cannot reach the database server of the site database postgresql+psycopg://console@db.example/site (connection refused)"),
    ("OperationalError", "28P01", "refused the login"),
    ("OperationalError", "3D000", "does not exist on the server"),
    ("OperationalError", "53100", "out of disk space; nothing was saved"),
    ("OperationalError", "55P03", "is busy: another console holds a lock"),
    ("InternalError", "25006", "is read-only (a standby server?)"),
])
def test_psycopg_trouble_is_one_line_that_says_what_to_do(name: str, sqlstate: str | None, expected: str):
    error = translate(psycopg_error(name, "connection refused\nIs the server running on host ...?", sqlstate), TARGET)
    assert error is not None and expected in error.message
    assert "\n" not in error.message


def test_a_psycopg_programming_error_stays_a_bug():
    assert translate(psycopg_error("UndefinedColumn", 'column "x" does not exist', "42703"), TARGET) is None
