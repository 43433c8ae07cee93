"""Revisions of a package's content: ``bootimage revisions``, ``diff``, ``rollback``."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.values import format_datetime


def register(sub: Any) -> None:
    lst = sub.add_parser("revisions", help="list a package's revisions in the content library (newest first)")
    lst.add_argument("package_id", metavar="ID")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_revisions)

    diff = sub.add_parser("diff", help="what changed between two revisions: properties, image files, registry")
    diff.add_argument("package_id", metavar="ID")
    diff.add_argument("a", type=int, metavar="A", help="older revision")
    diff.add_argument("b", type=int, metavar="B", help="newer revision")
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(func=cmd_diff)

    back = sub.add_parser("rollback", help="make an earlier revision current again, as a new version")
    back.add_argument("package_id", metavar="ID")
    back.add_argument("--to", type=int, required=True, metavar="N", dest="to_version", help="the revision to restore")
    back.add_argument("--json", action="store_true")
    back.set_defaults(func=cmd_rollback)


def cmd_revisions(args: argparse.Namespace) -> None:
    console = open_site(args)
    try:
        revisions = console.revisions.revisions(args.package_id)
    finally:
        console.close()
    if args.json:
        emit_json([r.to_json() for r in revisions])
        return
    if not revisions:
        print(f"{args.package_id.upper()} has no revisions yet (build its image first)")
        return
    rows = []
    for r in revisions:
        mark = "*" if r.current else ("!" if not r.recorded else "")
        rows.append([f"{mark}{r.version}", format_datetime(r.created_at), r.created_by, _size(r.size),
                     "; ".join(r.changes)])
    table(["VERSION", "WHEN", "WHO", "SIZE", "WHAT CHANGED"], rows)
    print("* current revision" + ("; ! stored but never recorded (its build was interrupted)"
                                  if any(not r.recorded for r in revisions) else ""))


def cmd_diff(args: argparse.Namespace) -> None:
    console = open_site(args)
    try:
        diff = console.revisions.diff(args.package_id, args.a, args.b)
    finally:
        console.close()
    if args.json:
        emit_json(diff.to_json())
        return
    print("\n".join(diff.lines()))


def cmd_rollback(args: argparse.Namespace) -> None:
    console = open_site(args)
    try:
        result = console.revisions.rollback(args.package_id, args.to_version)
    finally:
        console.close()
    if args.json:
        emit_json({**result.value.to_json(), "notes": list(result.changes.notes)})
        return
    for note in result.changes.notes:
        print(note)
    print(f"{result.value.package_id} is now at revision {result.value.version}")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
