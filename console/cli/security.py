"""``bootimage scope`` and ``bootimage admin``: security scopes, the scopes of an object (the
twin of Set Security Scopes…), and the administrators of a PostgreSQL site with their roles."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.errors import ConsoleError


def register(sub: Any) -> None:
    scope = sub.add_parser("scope", help="security scopes and the scopes of boot images, drivers and DPs")
    commands = scope.add_subparsers(dest="scope_command", metavar="SCOPE_COMMAND")
    commands.required = True
    lst = commands.add_parser("list", help="list the security scopes of the site")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_scope_list)
    add = commands.add_parser("add", help="add a security scope")
    add.add_argument("name")
    add.add_argument("--description", default="")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_scope_add)
    remove = commands.add_parser("remove", help="remove a security scope no object or administrator uses")
    remove.add_argument("name")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=cmd_scope_remove)
    show = commands.add_parser("show", help="the security scopes of a boot image (PackageID), driver (CI_ID) or DP (name)")
    show.add_argument("object_id", metavar="ID")
    show.add_argument("--kind", choices=KINDS, help="what ID names (default: digits a driver, a PackageID a boot image, else a DP)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_scope_show)
    set_ = commands.add_parser("set", help="set the security scopes of a boot image (PackageID), driver (CI_ID) or DP (name)")
    set_.add_argument("object_id", metavar="ID")
    set_.add_argument("--scope", action="append", required=True, help="a scope (repeat for several)")
    set_.add_argument("--kind", choices=KINDS, help="what ID names (default: digits a driver, a PackageID a boot image, else a DP)")
    set_.add_argument("--json", action="store_true")
    set_.set_defaults(func=cmd_scope_set)

    admin = sub.add_parser("admin", help="administrators of a PostgreSQL site, their roles and scopes")
    commands = admin.add_subparsers(dest="admin_command", metavar="ADMIN_COMMAND")
    commands.required = True
    lst = commands.add_parser("list", help="list the administrators")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_admin_list)
    add = commands.add_parser("add", help="make a PostgreSQL login an administrator with a role and scopes")
    add.add_argument("login")
    add.add_argument("--role", required=True, help='e.g. "Operating System Deployment Manager" or osd_manager')
    add.add_argument("--scope", action="append", default=[], help="a scope (repeat; default: Default; All: every object)")
    add.add_argument("--create-login", action="store_true", help="create the PostgreSQL login too (needs CREATEROLE)")
    add.add_argument("--password-file", type=Path, help="with --create-login: a file holding the new login's password")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=cmd_admin_add)
    remove = commands.add_parser("remove", help="take every role of this site from a login")
    remove.add_argument("login")
    remove.add_argument("--json", action="store_true")
    remove.set_defaults(func=cmd_admin_remove)


KINDS = {"package": "package", "driver": "driver", "dp": "distribution point"}


def _kind(args: argparse.Namespace) -> str | None:
    return KINDS[args.kind] if args.kind else None


def cmd_scope_list(args: argparse.Namespace) -> None:
    scopes = open_site(args).security.scopes()
    if args.json:
        emit_json([{"Name": s.name, "Description": s.description} for s in scopes])
        return
    table(["Name", "Description"], [(s.name, s.description) for s in scopes])


def cmd_scope_add(args: argparse.Namespace) -> None:
    scope = open_site(args).security.add_scope(args.name, args.description).value
    if args.json:
        emit_json({"Name": scope.name, "Description": scope.description})
        return
    print(f"Added security scope {scope.name}")


def cmd_scope_remove(args: argparse.Namespace) -> None:
    name = open_site(args).security.remove_scope(args.name).value
    if args.json:
        emit_json({"Name": name, "Removed": True})
        return
    print(f"Removed security scope {name}")


def cmd_scope_show(args: argparse.Namespace) -> None:
    security = open_site(args).security
    kind = _kind(args)
    scopes = security.object_scopes(args.object_id, kind)
    if args.json:
        emit_json({"ID": args.object_id, "Kind": kind or security.kind_of(args.object_id), "SecuredScopeNames": scopes})
        return
    print(", ".join(scopes))


def cmd_scope_set(args: argparse.Namespace) -> None:
    security = open_site(args).security
    kind = _kind(args)
    scopes = security.set_object_scopes(args.object_id, args.scope, kind).value
    if args.json:
        emit_json({"ID": args.object_id, "Kind": kind or security.kind_of(args.object_id), "SecuredScopeNames": scopes})
        return
    print(f"{args.object_id}: security scopes {', '.join(scopes)}")


def cmd_admin_list(args: argparse.Namespace) -> None:
    admins = open_site(args).security.administrators()
    if args.json:
        emit_json([{"Login": a.login, "Roles": list(a.roles), "Scopes": list(a.scopes), "AddedBy": a.added_by,
                    "AddedAt": a.added_at.isoformat() if a.added_at else None} for a in admins])
        return
    table(["Login", "Roles", "Scopes", "Added by"],
          [(a.login, ", ".join(a.roles), ", ".join(a.scopes), a.added_by) for a in admins])


def cmd_admin_add(args: argparse.Namespace) -> None:
    password = None
    if args.create_login:
        if args.password_file is None:
            raise ConsoleError("--create-login needs --password-file FILE (the new login's password, never on the command line)")
        try:
            password = args.password_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConsoleError(f"cannot read the password file {args.password_file}: {exc}") from None
        if not password:
            raise ConsoleError(f"the password file {args.password_file} is empty")
    elif args.password_file is not None:
        raise ConsoleError("--password-file goes with --create-login")
    admin = open_site(args).security.add_administrator(args.login, args.role, args.scope, password=password).value
    if args.json:
        emit_json({"Login": admin.login, "Roles": list(admin.roles), "Scopes": list(admin.scopes)})
        return
    print(f"{admin.login} is now {', '.join(admin.roles)} with scopes {', '.join(admin.scopes)}")


def cmd_admin_remove(args: argparse.Namespace) -> None:
    login = open_site(args).security.remove_administrator(args.login).value
    if args.json:
        emit_json({"Login": login, "Removed": True})
        return
    print(f"{login} is no longer an administrator of this site")
