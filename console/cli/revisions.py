"""Revisions of a package's content: ``bootimage revisions``, ``diff``, ``rollback``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.sizes import human_bytes
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

    lib = sub.add_parser("content-library", help="the site's content library: where, how many revisions, GC, verify")
    cmds = lib.add_subparsers(dest="library_command", metavar="LIBRARY_COMMAND")
    cmds.required = True
    show = cmds.add_parser("show", help="folder, revisions kept per package, free space")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_library_show)
    put = cmds.add_parser("set", help="change the site settings ContentLibraryPath / RevisionRetention")
    put.add_argument("--path", default=None, metavar="FOLDER", help='absolute folder ("" = the default)')
    put.add_argument("--keep", type=int, default=None, metavar="N", help="revisions kept per package")
    put.set_defaults(func=cmd_library_set)
    gc = cmds.add_parser("gc", help="delete stored files no revision references")
    gc.add_argument("--grace", type=float, default=None, metavar="SECONDS",
                    help="keep unreferenced files younger than this (default 3600)")
    gc.add_argument("--json", action="store_true")
    gc.set_defaults(func=cmd_library_gc)
    verify = cmds.add_parser("verify", help="re-hash a revision's stored bytes (default: the current one)")
    verify.add_argument("package_id", metavar="ID")
    verify.add_argument("--version", type=int, default=None, metavar="N")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_library_verify)


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
        rows.append([f"{mark}{r.version}", format_datetime(r.created_at), r.created_by, human_bytes(r.size),
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


def cmd_library_show(args: argparse.Namespace) -> None:
    console = open_site(args)
    try:
        library = console.revisions.library()
        data: dict[str, Any] = {"path": str(library.root), "retention": console.revisions.retention(), "free_bytes": library.free_bytes()}
    finally:
        console.close()
    if args.json:
        emit_json(data)
        return
    print(f"Content library : {data['path']}")
    print(f"Revisions kept  : {data['retention']} per package")
    print(f"Free space      : {human_bytes(int(data['free_bytes']))}")


def cmd_library_set(args: argparse.Namespace) -> int | None:
    if args.path is None and args.keep is None:
        print("error: give --path FOLDER and/or --keep N", file=sys.stderr)
        return 2
    console = open_site(args)
    try:
        if args.keep is not None:
            console.revisions.set_retention(args.keep)
        if args.path is not None:
            console.revisions.set_library_root(args.path)
        print(f"content library {console.revisions.library_root()}, keeping {console.revisions.retention()} revisions")
    finally:
        console.close()
    return None


def cmd_library_gc(args: argparse.Namespace) -> None:
    console = open_site(args)
    try:
        report = console.revisions.collect_garbage(grace_seconds=args.grace)
    finally:
        console.close()
    if args.json:
        emit_json({"files_removed": report.files_removed, "bytes_freed": report.bytes_freed,
                   "temporary_removed": report.temporary_removed})
        return
    print(f"removed {report.files_removed} unreferenced file(s), {human_bytes(report.bytes_freed)} freed; "
          f"{report.temporary_removed} leftover temporary file(s)")


def cmd_library_verify(args: argparse.Namespace) -> int:
    console = open_site(args)
    try:
        version, problems = console.revisions.verify(args.package_id, args.version)
    finally:
        console.close()
    pid = args.package_id.strip().upper()
    if args.json:
        emit_json({"package_id": pid, "version": version, "intact": not problems, "problems": problems})
    elif problems:
        print(f"error: {pid} revision {version} is damaged: " + "; ".join(problems), file=sys.stderr)
    else:
        print(f"{pid} revision {version}: every stored byte matches its SHA-256")
    return 1 if problems else 0


