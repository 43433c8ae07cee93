"""WMI methods and console folders from the command line (jobs: ``console.cli.jobs``)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.ports import Folder
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
    msgs.add_argument("--severity", choices=("information", "warning", "error"), default=None)
    msgs.add_argument("--text", default="", metavar="TEXT", help="only messages containing TEXT (also in changed values)")
    msgs.add_argument("--limit", type=int, default=50)
    msgs.add_argument("--json", action="store_true")
    msgs.set_defaults(func=cmd_status)

    folder = sub.add_parser("folder", help="console folders of the Boot Images node")
    folders = folder.add_subparsers(dest="folder_command", metavar="FOLDER_COMMAND")
    folders.required = True
    fl = folders.add_parser("list", help="list the console folders (ID, name, parent)")
    fl.add_argument("--json", action="store_true")
    fl.set_defaults(func=cmd_folder_list)
    fn = folders.add_parser("new", help="create a folder under --parent (0 = top level); prints its ID")
    fn.add_argument("name")
    fn.add_argument("--parent", type=int, default=0, metavar="ID")
    fn.set_defaults(func=cmd_folder_new)
    fr = folders.add_parser("remove", help="delete a folder (an empty one, or with --move-contents-up)")
    fr.add_argument("folder_id", type=int, metavar="ID")
    fr.add_argument("--move-contents-up", action="store_true",
                    help="move its boot images and sub-folders to its parent first")
    fr.set_defaults(func=cmd_folder_remove)
    fren = folders.add_parser("rename", help="rename a folder")
    fren.add_argument("folder_id", type=int, metavar="ID")
    fren.add_argument("name", metavar="NAME")
    fren.add_argument("--json", action="store_true")
    fren.set_defaults(func=cmd_folder_rename)
    fmv = folders.add_parser("move", help="move a folder under another one (0 = top level)")
    fmv.add_argument("folder_id", type=int, metavar="ID")
    fmv.add_argument("--parent", type=int, required=True, metavar="ID")
    fmv.add_argument("--json", action="store_true")
    fmv.set_defaults(func=cmd_folder_move)
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
    site = open_site(args)
    messages = site.status.query(package_id=args.package, limit=args.limit, severity=args.severity, text=args.text)
    # a change's values come from the audit records of its transaction
    changes = site.audit.messages_changes(messages)
    if args.json:
        emit_json([{"Time": format_datetime(m.time), "Severity": m.severity, "Kind": m.kind,
                    "PackageID": m.package_id, "Text": m.text, "User": m.user, "SiteCode": m.site_code,
                    "Changes": [{"Property": c["property"], "Old": c["old"], "New": c["new"]} for c in changes[m.id]]}
                   for m in messages])
        return
    rows: list[tuple[object, ...]] = []
    for m in messages:
        rows.append((format_datetime(m.time), m.severity, m.package_id or "", m.user, m.text))
        rows.extend(("", "", "", "", f"  {c['property']}: {c['old']} -> {c['new']}") for c in changes[m.id])
    table(["Time", "Severity", "Package", "User", "Text"], rows)


def _folder_json(folder: Folder) -> dict[str, object]:
    return {"ContainerNodeID": folder.id, "Name": folder.name, "ParentContainerNodeID": folder.parent_id}


def cmd_folder_list(args: argparse.Namespace) -> None:
    folders = open_site(args).folders.all()
    if args.json:
        emit_json([_folder_json(f) for f in folders])
        return
    table(["ID", "Name", "Parent"], [(f.id, f.name, f.parent_id or "") for f in folders])


def cmd_folder_new(args: argparse.Namespace) -> None:
    folder = open_site(args).folders.create(args.name, args.parent).value
    print(folder.id)


def cmd_folder_remove(args: argparse.Namespace) -> None:
    open_site(args).folders.delete(args.folder_id, move_contents_up=args.move_contents_up)
    print(f"removed folder {args.folder_id}")


def cmd_folder_rename(args: argparse.Namespace) -> None:
    folder = open_site(args).folders.rename(args.folder_id, args.name).value
    if args.json:
        emit_json(_folder_json(folder))
        return
    print(f"renamed folder {folder.id} to {folder.name!r}")


def cmd_folder_move(args: argparse.Namespace) -> None:
    console = open_site(args)
    folder = console.folders.move(args.folder_id, args.parent).value
    if args.json:
        emit_json(_folder_json(folder))
        return
    target = repr(console.folders.get(folder.parent_id).name) if folder.parent_id else "the top level"
    print(f"moved folder {folder.name!r} to {target}")


def cmd_move(args: argparse.Namespace) -> None:
    moved = open_site(args).packages.move_to_folder(args.package_ids, args.folder).value
    print(f"moved {moved} package(s)")
