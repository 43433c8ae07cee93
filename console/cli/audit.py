"""``bootimage audit``: the audit records of the site, newest first (Monitoring › Audit's twin)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from typing import Any

from console.cli.argtypes import bounded_int
from console.cli.output import emit_json_stream, table
from console.cli.runtime import open_site
from console.core.audit import ACTIONS, AuditQuery, AuditRecord
from console.core.values import format_datetime


def since(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T10:00``, ``2026-12-01``); without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time such as 2026-12-01T10:00 (UTC) "
                                         "or 2026-12-01T10:00+01:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def register(sub: Any) -> None:
    audit = sub.add_parser("audit", help="audit records: who changed what, when, from where, old -> new")
    audit.add_argument("--package", default="", metavar="ID",
                       help="a package (with its components, drivers, schedules and DPs) or any object id")
    audit.add_argument("--user", default="", metavar="U", help="the login, or the administrator a worker acted for")
    audit.add_argument("--since", type=since, default=None, metavar="TIME", help="2026-12-01T10:00 (UTC) or with a zone")
    audit.add_argument("--action", default="", choices=ACTIONS)
    audit.add_argument("--limit", type=bounded_int(1, 100_000, "--limit"), default=None, metavar="N",
                       help="at most N records (default: 100; with --json every match)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=cmd_audit)


def record_json(record: AuditRecord) -> dict[str, Any]:
    data = record.as_json()
    data["Time"] = format_datetime(record.at)
    return data


#: The text table shows at most this many characters of an old or new value (an ImageProperty
#: is kilobytes of XML): one line each, cut with "…"; --json keeps every value whole.
VALUE_WIDTH = 60


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    text = re.sub(r"\s*[\r\n\t]\s*", " ", value if isinstance(value, str) else json.dumps(value))
    return text if len(text) <= VALUE_WIDTH else text[:VALUE_WIDTH - 1] + "…"


def cmd_audit(args: argparse.Namespace) -> None:
    query = AuditQuery(object_id=args.package.strip(), user=args.user.strip(), since=args.since, action=args.action)
    audit = open_site(args).audit
    if args.json:
        emit_json_stream(record_json(r) for r in audit.records(query, args.limit))
        return
    rows: list[tuple[object, ...]] = []
    for r in audit.records(query, args.limit or 100):
        what = f"{r.object_type} {r.object_id}" + (f" ({r.object_name})" if r.object_name else "")
        rows.append((format_datetime(r.at), r.who, r.client, r.action, what))
        if r.action == "refused":
            rows.append(("", "", "", "", f"  {r.attempted}: {r.message}"))
        rows.extend(("", "", "", "", f"  {name}: {_value(old)} -> {_value(new)}") for name, (old, new) in r.changes.items())
    table(["Time", "User", "Client", "Action", "Object"], rows)
