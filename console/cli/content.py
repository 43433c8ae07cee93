"""Content on distribution points: ``bootimage distribute``, ``bootimage content …`` (status,
validate, redistribute, remove) and ``bootimage refresh``. (``bootimage content-library`` is
the site's own library.)"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from console.cli.argtypes import bounded_int
from console.cli.distribution import summary_json
from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.values import format_datetime

if TYPE_CHECKING:
    from console.app import Console
    from console.core.distribution import PackageOnDp
    from console.core.services.content_distribution import Queued

STATE_NAMES = ("installed", "install-pending", "install-retrying", "install-failed", "removal-pending",
               "removal-retrying", "removal-failed", "content-updating", "content-monitoring")


def register(sub: Any) -> None:
    dist = sub.add_parser("distribute", help="AddDistributionPoints: send a package to DPs and DP groups")
    dist.add_argument("package_id", metavar="ID")
    dist.add_argument("--dp", nargs="+", action="extend", default=[], metavar="NAME", help="distribution points")
    dist.add_argument("--group", nargs="+", action="extend", default=[], metavar="NAME", help="DP groups")
    _queue_options(dist)
    dist.set_defaults(func=cmd_distribute)

    content = sub.add_parser("content", help="content on distribution points: status, validate, redistribute, remove")
    cmds = content.add_subparsers(dest="content_command", metavar="CONTENT_COMMAND")
    cmds.required = True
    status = cmds.add_parser("status", help="Content Status: per package the counts; with ID its DPs")
    status.add_argument("package_id", nargs="?", default=None, metavar="ID")
    status.add_argument("--dp", default=None, metavar="NAME", help="the packages on this DP instead")
    status.add_argument("--state", action="append", default=[], choices=STATE_NAMES)
    status.add_argument("--search", default="", metavar="TEXT", help="DP name, PackageID or error text")
    status.add_argument("--limit", type=bounded_int(1, 1_000_000, "--limit"), default=100, metavar="N")
    status.add_argument("--offset", type=bounded_int(0, 1_000_000_000, "--offset"), default=0, metavar="N")
    status.add_argument("--by-dp", action="store_true", help="per distribution point the counts (paged, by name; "
                        "--search in the DP name)")
    status.add_argument("--show", default="", choices=("errors", "in-progress", "incomplete"),
                        help="with --by-dp: only the DPs with errors, in progress, or lacking content")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    for name, func, text, required in (
        ("validate", cmd_validate, "re-hash the package's files on DPs and find missing ones (all its DPs by default)", False),
        ("redistribute", cmd_redistribute, "send every file of the package again", True),
        ("remove", cmd_remove, "delete the package from DPs (files other packages use stay)", True),
    ):
        command = cmds.add_parser(name, help=text)
        command.add_argument("package_id", metavar="ID")
        command.add_argument("--dp", nargs="+", action="extend", default=[], required=required, metavar="NAME")
        _queue_options(command)
        command.set_defaults(func=func)

    refresh = sub.add_parser("refresh", help="RefreshPkgSource: rebuild when the source changed, then update every DP")
    refresh.add_argument("package_id", metavar="ID")
    _queue_options(refresh)
    refresh.set_defaults(func=cmd_refresh)


def _queue_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-worker", action="store_true",
                        help="do not start a worker when none is running (a permanent worker will take the jobs)")
    parser.add_argument("--json", action="store_true")


def _site(args: argparse.Namespace) -> Console:
    site = open_site(args)
    if args.no_worker:
        site.content.after_queue = lambda: None
    return site


def _queued(args: argparse.Namespace, queued: Queued, what: str) -> None:
    if args.json:
        emit_json({"PackageID": queued.package_id, "DistributionPoints": list(queued.dps),
                   "ContextIDs": list(queued.context_ids)})
        return
    dps = ", ".join(queued.dps) or "no distribution point"
    print(f"{what} {queued.package_id}: {dps}; {len(queued.context_ids)} job"
          f"{'s' if len(queued.context_ids) != 1 else ''} queued")


def cmd_distribute(args: argparse.Namespace) -> None:
    queued = _site(args).content.distribute(args.package_id, dp_names=args.dp, group_names=args.group).value
    _queued(args, queued, "distribute")


def cmd_validate(args: argparse.Namespace) -> None:
    _queued(args, _site(args).content.validate(args.package_id, args.dp).value, "validate")


def cmd_redistribute(args: argparse.Namespace) -> None:
    _queued(args, _site(args).content.redistribute(args.package_id, args.dp).value, "redistribute")


def cmd_remove(args: argparse.Namespace) -> None:
    _queued(args, _site(args).content.remove(args.package_id, args.dp).value, "remove")


def cmd_refresh(args: argparse.Namespace) -> None:
    queued = _site(args).content.refresh(args.package_id).value
    if args.json:
        emit_json({"PackageID": queued.package_id, "ContextID": queued.context_ids[0]})
    else:
        print(f"refresh of {queued.package_id} queued: job {queued.context_ids[0]}")


def row_json(row: PackageOnDp) -> dict[str, Any]:
    return {"PackageID": row.package_id, "ServerName": row.dp_name, "State": int(row.state), "StateName": row.state.name,
            "SourceVersion": row.source_version, "TargetVersion": row.target_version,
            "LastCopied": format_datetime(row.last_copied), "BytesDone": row.bytes_done, "BytesTotal": row.bytes_total,
            "LastError": row.last_error, "ErrorCause": row.error_cause, "NextRetry": format_datetime(row.next_retry),
            "ViaGroups": list(row.via_groups), "UpdatedAt": format_datetime(row.updated_at)}


def _status_by_dp(site: Any, args: argparse.Namespace) -> None:
    """Content Status by distribution point, one page (the GUI's per-DP view)."""
    if args.package_id is not None or args.dp is not None or args.state:
        print("error: --by-dp lists every distribution point's counts: it takes no ID, --dp or --state",
              file=sys.stderr)
        raise SystemExit(2)  # a usage error
    page = site.content.dp_summary_page(text=args.search, show=args.show.replace("-", "_"), offset=args.offset,
                                        limit=args.limit)
    if args.json:
        emit_json({"Total": page.total, "Items": [{"ServerName": s.key, **summary_json(s)} for s in page.items]})
        return
    table(["Distribution point", "Targeted", "Success", "In progress", "Errors", "Unknown", "Status"],
          [(s.key, s.targeted, s.success, s.in_progress, s.errors, s.unknown, s.line()) for s in page.items])
    if page.total > len(page.items):
        print(f"({len(page.items)} of {page.total} shown; --offset/--limit for more)")


def cmd_status(args: argparse.Namespace) -> None:
    from console.core.distribution import DpState

    site = open_site(args)
    states = [DpState(STATE_NAMES.index(s)) for s in args.state]
    if args.by_dp:
        _status_by_dp(site, args)
        return
    if args.package_id is None and args.dp is None:
        summaries = site.content.summaries(offset=args.offset, limit=args.limit)
        if args.json:
            emit_json([{"PackageID": s.key, **summary_json(s)} for s in summaries])
            return
        table(["Package", "Targeted", "Success", "In progress", "Errors", "Unknown", "Status"],
              [(s.key, s.targeted, s.success, s.in_progress, s.errors, s.unknown, s.line()) for s in summaries])
        return
    if args.package_id is not None:
        summary = site.content.summary(args.package_id)
        site.packages.get(args.package_id)  # an unknown package is an error
        page = site.content.content_status(args.package_id, states=states, text=args.search, offset=args.offset,
                                           limit=args.limit)
        key: dict[str, Any] = {"PackageID": args.package_id, **summary_json(summary), "Status": summary.line()}
    else:
        summary = site.content.dp_summary(args.dp)
        page = site.content.packages_on_dp(args.dp, states=states, text=args.search, offset=args.offset,
                                           limit=args.limit)
        key = {"ServerName": args.dp, **summary_json(summary)}
    if args.json:
        emit_json({**key, "Total": page.total, "Items": [row_json(r) for r in page.items]})
        return
    if args.package_id is not None:
        print(f"{args.package_id}: {summary.line()}")
    table(["Package", "Distribution point", "State", "Version", "Last copied (UTC)", "Progress", "Error", "Next retry (UTC)"],
          [(r.package_id, r.dp_name, r.state.label, f"{r.source_version}/{r.target_version}",
            format_datetime(r.last_copied), f"{r.bytes_done}/{r.bytes_total}" if r.bytes_total else "",
            r.last_error, format_datetime(r.next_retry)) for r in page.items])
    if page.total > len(page.items):
        print(f"({len(page.items)} of {page.total} shown; --offset/--limit for more)")
