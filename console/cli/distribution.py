"""Distribution points and groups: ``bootimage dp …`` and ``bootimage dp-group …``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from console.cli.argtypes import bounded_int
from console.cli.network_boot import register_dp as register_pxe
from console.cli.output import emit_json, property_list, table
from console.cli.runtime import confirm_removal, open_site
from console.core.errors import ConsoleError
from console.core.sizes import human_bytes
from console.core.values import format_datetime

if TYPE_CHECKING:
    from console.core.distribution import ContentSummary, DistributionPoint, DpGroup

TRANSPORTS = ("folder", "smb", "ssh")


def register(sub: Any) -> None:
    dp = sub.add_parser("dp", help="distribution points: add, list, show, edit, remove, test connection")
    cmds = dp.add_subparsers(dest="dp_command", metavar="DP_COMMAND")
    cmds.required = True
    add = cmds.add_parser("add", help="add a distribution point")
    add.add_argument("name", metavar="NAME", help="server name, unique in the site (DP01.contoso.com)")
    add.add_argument("--transport", required=True, choices=TRANSPORTS)
    add.add_argument("--address", required=True,
                     help=r"folder: /srv/dp01; smb: \\server[:port]\share[\folder]; ssh: [user@]host[:port]:/path")
    _dp_options(add)
    add.set_defaults(func=cmd_add)
    listing = cmds.add_parser("list", help="distribution points with their content counts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    for name, func, text in (("show", cmd_show, "one distribution point and what it holds"),
                             ("test", cmd_test, "Test connection: write, read back and delete a probe file; free space")):
        command = cmds.add_parser(name, help=text)
        command.add_argument("name", metavar="NAME")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)
    edit = cmds.add_parser("edit", help="change a distribution point (only the options given)")
    edit.add_argument("name", metavar="NAME")
    edit.add_argument("--new-name", default=None, metavar="NAME")
    edit.add_argument("--transport", default=None, choices=TRANSPORTS)
    edit.add_argument("--address", default=None)
    edit.add_argument("--no-pxe", dest="pxe", action="store_false", default=None)
    edit.add_argument("--no-maintenance", dest="maintenance", action="store_false", default=None)
    edit.add_argument("--expected-version", type=int, default=None, metavar="N",
                      help="refuse the change when the DP's version is no longer N")
    _dp_options(edit, editing=True)
    edit.set_defaults(func=cmd_edit)
    remove = cmds.add_parser("remove", help="remove a distribution point from the site (its files stay on the server)")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--force", action="store_true", help="no question; also when the DP holds content")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=cmd_remove)
    register_pxe(cmds)
    _register_groups(sub)


def _dp_options(parser: argparse.ArgumentParser, *, editing: bool = False) -> None:
    none = None if editing else argparse.SUPPRESS
    parser.add_argument("--username", default=none, metavar="USER")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (kept in the site secrets file, never the database)")
    parser.add_argument("--key-file", default=none, metavar="FILE", help="SSH private key file (absolute path)")
    parser.add_argument("--pxe", action="store_true", default=none, help="the DP answers PXE requests")
    parser.add_argument("--maintenance", action="store_true", default=none, help="maintenance mode: nothing is sent")
    parser.add_argument("--rate-limit", type=bounded_int(0, 100_000_000, "--rate-limit"), default=none,
                        metavar="KBPS", help="KB/s, 0 = unlimited")
    parser.add_argument("--schedule", default=none, metavar="24xo|c",
                        help="24 letters, one per hour from 00:00: o open, c closed")
    parser.add_argument("--concurrency", type=bounded_int(1, 64, "--concurrency"), default=none, metavar="N",
                        help="parallel file streams to this DP")
    parser.add_argument("--description", default=none)
    parser.add_argument("--library-root", default=none, metavar="FOLDER", help="content library folder under the address")
    parser.add_argument("--json", action="store_true")


FIELD_OPTIONS = {"username": "username", "pxe": "pxe", "maintenance": "maintenance", "rate_limit": "rate_limit_kbps",
                 "schedule": "schedule", "concurrency": "concurrency", "description": "description",
                 "library_root": "library_root", "transport": "transport", "address": "address",
                 "new_name": "name"}


def _fields(args: argparse.Namespace) -> dict[str, Any]:
    values = {field: getattr(args, option) for option, field in FIELD_OPTIONS.items()
              if getattr(args, option, None) is not None}
    if getattr(args, "key_file", None) is not None:
        values["credential"] = args.key_file
    return values


def _password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise ConsoleError("--password-stdin: standard input holds no password")
    return password


def dp_json(dp: DistributionPoint, summary: ContentSummary | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ServerName": dp.name, "NALPath": dp.nal_path, "SiteCode": dp.site_code, "Description": dp.description,
        "Transport": str(dp.transport), "Address": dp.address, "UserName": dp.username,
        "CredentialReference": dp.credential, "IsPXE": dp.pxe, "MaintenanceMode": dp.maintenance,
        "TransferRate": dp.rate_limit_kbps, "RateLimitsEnabled": dp.rate_limit_kbps > 0, "Schedule": dp.schedule,
        "Concurrency": dp.concurrency, "ContentLibraryRoot": dp.library_root, "Groups": list(dp.groups),
        "GroupCount": len(dp.groups), "FreeSpace": dp.free_bytes, "LastContact": format_datetime(dp.last_contact),
        "Version": dp.version,
    }
    if summary is not None:
        data.update(summary_json(summary))
    return data


def summary_json(summary: ContentSummary) -> dict[str, Any]:
    return {"Targeted": summary.targeted, "NumberSuccess": summary.success, "NumberInProgress": summary.in_progress,
            "NumberErrors": summary.errors, "NumberUnknown": summary.unknown}


def cmd_add(args: argparse.Namespace) -> None:
    from console.core.distribution import DistributionPoint, TransportKind

    site = open_site(args)
    fields = {k: v for k, v in _fields(args).items() if k not in ("transport", "address")}
    dp = site.distribution_points.add(DistributionPoint(name=args.name, transport=TransportKind(args.transport),
                                                        address=args.address, **fields),
                                      password=_password(args)).value
    if args.json:
        emit_json(dp_json(dp))
    else:
        print(f"added distribution point {dp.name} ({dp.transport}, {dp.address})")


def cmd_list(args: argparse.Namespace) -> None:
    site = open_site(args)
    dps = site.distribution_points.list()
    counts = site.content.dp_summaries()
    if args.json:
        emit_json([dp_json(d, counts.get(d.name)) for d in dps])
        return
    table(["Name", "Transport", "Address", "PXE", "Installed", "In progress", "Failed", "Free", "Last contact (UTC)"],
          [(d.name, d.transport, d.address, "yes" if d.pxe else "", counts[d.name].success if d.name in counts else 0,
            counts[d.name].in_progress if d.name in counts else 0, counts[d.name].errors if d.name in counts else 0,
            human_bytes(d.free_bytes), format_datetime(d.last_contact)) for d in dps])


def cmd_show(args: argparse.Namespace) -> None:
    site = open_site(args)
    dp = site.distribution_points.get(args.name)
    summary = site.content.dp_summary(dp.name)
    if args.json:
        emit_json(dp_json(dp, summary))
        return
    property_list([(k, "" if v is None else str(v)) for k, v in dp_json(dp, summary).items()])


def cmd_edit(args: argparse.Namespace) -> None:
    site = open_site(args)
    dp = site.distribution_points.edit(args.name, expected_version=args.expected_version, password=_password(args),
                                       **_fields(args)).value
    if args.json:
        emit_json(dp_json(dp))
    else:
        print(f"saved distribution point {dp.name} (version {dp.version})")


def cmd_remove(args: argparse.Namespace) -> None:
    site = open_site(args)
    dp = site.distribution_points.get(args.name)
    if not args.force and site.content.dp_summary(dp.name).targeted:
        site.distribution_points.remove(dp.name)  # refused: the message says what the DP holds
    if not confirm_removal(args, f"distribution point {dp.name}", f"Remove distribution point {dp.name}?"):
        return
    site.distribution_points.remove(dp.name, force=args.force)
    if args.json:
        emit_json({"removed": dp.name})
    else:
        print(f"removed distribution point {dp.name}")


def cmd_test(args: argparse.Namespace) -> int:
    report = open_site(args).distribution_points.test(args.name)
    if args.json:
        emit_json({"ok": report.ok, "message": report.message, "FreeSpace": report.free_bytes,
                   "seconds": round(report.seconds, 3), "details": dict(report.details)})
    if not report.ok:
        print(f"error: {report.message}", file=sys.stderr)
        return 1
    if not args.json:
        print(report.message)
    return 0



# -- groups ------------------------------------------------------------------------------------

def _register_groups(sub: Any) -> None:
    group = sub.add_parser("dp-group", help="distribution point groups")
    cmds = group.add_subparsers(dest="group_command", metavar="GROUP_COMMAND")
    cmds.required = True
    add = cmds.add_parser("add", help="add a group")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--description", default="")
    add.add_argument("--member", action="append", default=[], metavar="DP", help="a member (repeatable)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_group_add)
    listing = cmds.add_parser("list", help="groups and their members")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_group_list)
    show = cmds.add_parser("show", help="a group, its members and its packages")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_group_show)
    for name, func, text in (("add-member", cmd_add_member, "add DPs (they get the group's packages)"),
                             ("remove-member", cmd_remove_member, "remove DPs (they keep their content)")):
        command = cmds.add_parser(name, help=text)
        command.add_argument("name", metavar="NAME")
        command.add_argument("dps", nargs="+", metavar="DP")
        command.add_argument("--no-worker", action="store_true", help="do not start a worker for the jobs queued")
        command.add_argument("--json", action="store_true")
        command.set_defaults(func=func)
    remove = cmds.add_parser("remove", help="remove a group (its members keep their content)")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--force", action="store_true", help="no question")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=cmd_group_remove)


def group_json(group: DpGroup, packages: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"Name": group.name, "Description": group.description, "MemberCount": len(group.members),
                            "Members": list(group.members), "Version": group.version}
    if packages is not None:
        data["Packages"] = packages
    return data


def cmd_group_add(args: argparse.Namespace) -> None:
    group = open_site(args).dp_groups.add(args.name, args.description, args.member).value
    if args.json:
        emit_json(group_json(group))
    else:
        print(f"added distribution point group {group.name} ({len(group.members)} members)")


def cmd_group_list(args: argparse.Namespace) -> None:
    groups = open_site(args).dp_groups.list()
    if args.json:
        emit_json([group_json(g) for g in groups])
        return
    table(["Name", "Members", "Description"], [(g.name, ", ".join(g.members), g.description) for g in groups])


def cmd_group_show(args: argparse.Namespace) -> None:
    site = open_site(args)
    group = site.dp_groups.get(args.name)
    data = group_json(group, site.dp_groups.packages(group.name))
    if args.json:
        emit_json(data)
        return
    property_list([(k, ", ".join(v) if isinstance(v, list) else str(v)) for k, v in data.items()])


def cmd_add_member(args: argparse.Namespace) -> None:
    site = open_site(args)
    if args.no_worker:
        site.dp_groups.after_queue = lambda: None
    changed = site.dp_groups.add_members(args.name, args.dps).value
    _members_changed(args, changed.group, changed.changed, changed.context_ids, "added to")


def cmd_remove_member(args: argparse.Namespace) -> None:
    changed = open_site(args).dp_groups.remove_members(args.name, args.dps).value
    _members_changed(args, changed.group, changed.changed, (), "removed from")


def _members_changed(args: argparse.Namespace, group: DpGroup, changed: tuple[str, ...], jobs: tuple[str, ...],
                     verb: str) -> None:
    if args.json:
        emit_json({**group_json(group), "Changed": list(changed), "ContextIDs": list(jobs)})
        return
    names = ", ".join(changed) or "no distribution point"
    print(f"{names} {verb} group {group.name}" + (f"; {len(jobs)} install jobs queued" if jobs else ""))


def cmd_group_remove(args: argparse.Namespace) -> None:
    site = open_site(args)
    group = site.dp_groups.get(args.name)
    if not confirm_removal(args, f"distribution point group {group.name}", f"Remove group {group.name}?"):
        return
    site.dp_groups.remove(group.name)
    if args.json:
        emit_json({"removed": group.name})
    else:
        print(f"removed distribution point group {group.name}")
