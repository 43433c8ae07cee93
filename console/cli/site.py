"""``bootimage site``: create the local site and register other sites."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.errors import ConsoleError
from console.core.security import ADMINISTRATOR_ROLES, WORKER, pg_role_name


def default_url() -> str:
    from console.storage.engine import default_database_url

    return default_database_url()


def register(sub: Any) -> None:
    parser = sub.add_parser("site", help="create and inspect the site")
    commands = parser.add_subparsers(dest="site_command", metavar="SITE_COMMAND")
    commands.required = True
    init = commands.add_parser("init", help="create the local site of this site database")
    init.add_argument("--site-code", required=True, help="3-character site code, e.g. PS1")
    init.add_argument("--name", default="", help="site name")
    init.add_argument("--full-administrator", metavar="LOGIN", default=None,
                      help="PostgreSQL: the login made the first Full Administrator (default: the connecting login)")
    init.add_argument("--json", action="store_true")
    init.set_defaults(func=cmd_init)
    add = commands.add_parser("add", help="register another site of the hierarchy")
    add.add_argument("--site-code", required=True)
    add.add_argument("--name", default="")
    add.set_defaults(func=cmd_add)
    lst = commands.add_parser("list", help="list the sites")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)


def cmd_init(args: argparse.Namespace) -> None:
    """The local site; on PostgreSQL also its roles, grants, row-level security and first Full
    Administrator; a new SQLite file is readable by its owner only (0600)."""
    from console.storage.engine import sqlite_path

    path = sqlite_path(args.db or default_url())
    new_file = path is not None and not path.exists()
    if path is not None and args.full_administrator:
        raise ConsoleError("--full-administrator is for a PostgreSQL site: an SQLite site has a single "
                           "administrator, the operating-system user")
    if new_file and path is not None:
        with contextlib.suppress(OSError):  # cannot: opening the site says why, in its words
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    console = open_site(args, create=True)
    site = console.init_site(args.site_code, args.name, full_administrator=args.full_administrator)
    identity = console.identity
    if args.json:
        emit_json({"SiteCode": site.code, "SiteName": site.name, "Database": console.url,
                   "Login": identity.login, "Roles": sorted(identity.roles)})
        return
    print(f"Site {site.code} ({site.name}) is ready in {console.url}")
    if path is None:
        print(f"Roles {', '.join(sorted(pg_role_name(site.code, r) for r in (*ADMINISTRATOR_ROLES, WORKER)))}; "
              f"Full Administrator: {args.full_administrator or identity.login}")


def cmd_add(args: argparse.Namespace) -> None:
    site = open_site(args).sites.add(args.site_code, args.name).value
    print(f"Registered site {site.code} ({site.name})")


def cmd_list(args: argparse.Namespace) -> None:
    sites = open_site(args).sites.all()
    if args.json:
        emit_json([{"SiteCode": s.code, "SiteName": s.name, "IsLocal": s.is_local} for s in sites])
        return
    table(["SiteCode", "SiteName", "Local"], [(s.code, s.name, "yes" if s.is_local else "") for s in sites])
