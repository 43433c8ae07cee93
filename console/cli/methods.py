"""WMI methods and console folders from the command line (jobs: ``console.cli.jobs``)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.values import format_datetime


def register(sub: Any) -> None:
    unlock = sub.add_parser("unlock", help="make this site the owner of a package (Unlock)")
    unlock.add_argument("package_id", metavar="ID")
    unlock.set_defaults(func=cmd_unlock)
    src = sub.add_parser("set-source-site", help="hand a package to another site (SetSourceSite)")
    src.add_argument("package_id", metavar="ID")
    src.add_argument("site_code", metavar="SITE")
    src.set_defaults(func=cmd_set_source_site)
    notify = sub.add_parser("notify", help="record a change notification (AddChangeNotification)")
    notify.add_argument("package_id", metavar="ID")
    notify.set_defaults(func=cmd_notify)

    msgs = sub.add_parser("status", help="status messages (audit trail, change notifications)")
    msgs.add_argument("--package", default=None, metavar="ID")
    msgs.add_argument("--limit", type=int, default=50)
    msgs.add_argument("--json", action="store_true")
    msgs.set_defaults(func=cmd_status)

    folder = sub.add_parser("folder", help="console folders of the Boot Images node")
    folders = folder.add_subparsers(dest="folder_command", metavar="FOLDER_COMMAND")
    folders.required = True
    fl = folders.add_parser("list")
    fl.add_argument("--json", action="store_true")
    fl.set_defaults(func=cmd_folder_list)
    fn = folders.add_parser("new")
    fn.add_argument("name")
    fn.add_argument("--parent", type=int, default=0, metavar="ID")
    fn.set_defaults(func=cmd_folder_new)
    fr = folders.add_parser("remove")
    fr.add_argument("folder_id", type=int, metavar="ID")
    fr.set_defaults(func=cmd_folder_remove)
    move = sub.add_parser("move", help="move packages into a console folder (0 = top level)")
    move.add_argument("package_ids", nargs="+", metavar="ID")
    move.add_argument("--folder", type=int, required=True, metavar="ID")
    move.set_defaults(func=cmd_move)


def cmd_unlock(args: argparse.Namespace) -> None:
    item = open_site(args).packages.unlock(args.package_id).value
    print(f"{item['PackageID']} is owned by {item['SourceSite']}")


def cmd_set_source_site(args: argparse.Namespace) -> None:
    item = open_site(args).packages.set_source_site(args.package_id, args.site_code).value
    print(f"{item['PackageID']} is owned by {item['SourceSite']}")


def cmd_notify(args: argparse.Namespace) -> None:
    pid = open_site(args).packages.add_change_notification(args.package_id).value
    print(f"change notification recorded for {pid}")


def cmd_status(args: argparse.Namespace) -> None:
    messages = open_site(args).status.query(package_id=args.package, limit=args.limit)
    if args.json:
        emit_json([{"Time": format_datetime(m.time), "Severity": m.severity, "Kind": m.kind,
                    "PackageID": m.package_id, "Text": m.text, "User": m.user, "SiteCode": m.site_code}
                   for m in messages])
        return
    table(["Time", "Package", "Kind", "User", "Text"],
          [(format_datetime(m.time), m.package_id or "", m.kind, m.user, m.text) for m in messages])


def cmd_folder_list(args: argparse.Namespace) -> None:
    folders = open_site(args).folders.all()
    if args.json:
        emit_json([{"ContainerNodeID": f.id, "Name": f.name, "ParentContainerNodeID": f.parent_id} for f in folders])
        return
    table(["ID", "Name", "Parent"], [(f.id, f.name, f.parent_id or "") for f in folders])


def cmd_folder_new(args: argparse.Namespace) -> None:
    folder = open_site(args).folders.create(args.name, args.parent).value
    print(folder.id)


def cmd_folder_remove(args: argparse.Namespace) -> None:
    open_site(args).folders.delete(args.folder_id)
    print(f"removed folder {args.folder_id}")


def cmd_move(args: argparse.Namespace) -> None:
    moved = open_site(args).packages.move_to_folder(args.package_ids, args.folder).value
    print(f"moved {moved} package(s)")
