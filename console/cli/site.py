"""``bootimage site``: create the local site and register other sites."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site


def register(sub: Any) -> None:
    parser = sub.add_parser("site", help="create and inspect the site")
    commands = parser.add_subparsers(dest="site_command", metavar="SITE_COMMAND")
    commands.required = True
    init = commands.add_parser("init", help="create the local site of this site database")
    init.add_argument("--site-code", required=True, help="3-character site code, e.g. PS1")
    init.add_argument("--name", default="", help="site name")
    init.set_defaults(func=cmd_init)
    add = commands.add_parser("add", help="register another site of the hierarchy")
    add.add_argument("--site-code", required=True)
    add.add_argument("--name", default="")
    add.set_defaults(func=cmd_add)
    lst = commands.add_parser("list", help="list the sites")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)


def cmd_init(args: argparse.Namespace) -> None:
    console = open_site(args, create=True)
    site = console.sites.init(args.site_code, args.name).value
    print(f"Site {site.code} ({site.name}) is ready in {console.url}")


def cmd_add(args: argparse.Namespace) -> None:
    site = open_site(args).sites.add(args.site_code, args.name).value
    print(f"Registered site {site.code} ({site.name})")


def cmd_list(args: argparse.Namespace) -> None:
    sites = open_site(args).sites.all()
    if args.json:
        emit_json([{"SiteCode": s.code, "SiteName": s.name, "IsLocal": s.is_local} for s in sites])
        return
    table(["SiteCode", "SiteName", "Local"], [(s.code, s.name, "yes" if s.is_local else "") for s in sites])
