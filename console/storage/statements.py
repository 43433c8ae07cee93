"""What a refused statement acted on: its verb, its table and the object its parameters name."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: The verb and table a statement acts on (what a refusal refused: its message and its audit record).
_STATEMENT = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|SELECT\b.*?\bFROM)\s+"?(\w+)',
                        re.IGNORECASE | re.DOTALL)
_LOCKING = re.compile(r"\bFOR\s+(NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)


def statement_target(statement: str | None) -> tuple[str, str]:
    """("UPDATE", "boot_image_package") of a statement; ("", "") when it is none of those. A
    ``SELECT … FOR UPDATE`` (the row lock a save takes first) is the change it prepares."""
    match = _STATEMENT.match(statement or "")
    if match is None:
        return "", ""
    verb = match.group(1).split()[0].upper()
    if verb == "SELECT" and _LOCKING.search(statement or ""):
        verb = "UPDATE"
    return verb, match.group(2).lower()


def bound_value(parameters: Any, column: str) -> str:
    """The value a statement's parameters bind to ``column`` (``column`` or ``column_<n>``), or ""."""
    if isinstance(parameters, (list, tuple)) and parameters and isinstance(parameters[0], Mapping):
        parameters = parameters[0]
    if not isinstance(parameters, Mapping):
        return ""
    for name, value in parameters.items():
        if isinstance(value, (str, int)) and (name == column or re.fullmatch(rf"{column}_\d+", str(name))):
            return str(value)
    return ""


def dialect_insert(dialect_name: str) -> Callable[..., Any]:
    """The ``insert`` of the site's dialect (``"postgresql"`` or ``"sqlite"``), whose statements
    take ``ON CONFLICT`` clauses."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
