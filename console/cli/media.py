"""``bootimage media create``: boot media (a bootable ISO or disk image) of a package's current
built image, made by the site worker (Create Boot Media wizard's twin)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.cli.output import emit_json
from console.cli.runtime import open_site

LABELS = {"pass": "PASS", "warning": "WARNING", "failure": "FAILURE"}


def register(sub: Any) -> None:
    media = sub.add_parser("media", help="boot media: a bootable ISO or USB disk image of a boot image")
    commands = media.add_subparsers(dest="media_command", metavar="MEDIA_COMMAND")
    commands.required = True
    for name, func, text in (
        ("create", cmd_create, "queue a job that writes the medium; prints its ContextID"),
        ("preflight", cmd_preflight, "check that a medium can be made (exit 1 when a check fails)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("package_id", metavar="ID", help="PackageID, e.g. PS100004 (its current built version)")
        target = command.add_mutually_exclusive_group(required=True)
        target.add_argument("--iso", metavar="OUT.iso", help="a bootable ISO image (BIOS and UEFI)")
        target.add_argument("--disk", metavar="OUT.img", help="a USB disk image (MBR, FAT32; UEFI, BIOS via SYSLINUX)")
        command.add_argument("--prestart-command", metavar="COMMAND", default=None,
                             help="this medium's prestart command (its own copy of the image; the package's "
                                  "revisions do not change)")
        command.add_argument("--json", action="store_true")
        if name == "create":
            command.add_argument("--wait", action="store_true", help="show the job's progress and exit with its result")
        command.set_defaults(func=func)


def _request(args: argparse.Namespace) -> Any:
    from console.core.services.boot_media import MediaRequest

    return MediaRequest(args.package_id, args.iso if args.iso is not None else args.disk,
                        "iso" if args.iso is not None else "disk", args.prestart_command)


def cmd_preflight(args: argparse.Namespace) -> int:
    console = open_site(args)
    checks = console.media.preflight(_request(args))
    failures = [c for c in checks if c.failed]
    if args.json:
        emit_json({"PackageID": args.package_id.strip().upper(), "Passed": not failures,
                   "Checks": [{"Id": c.id, "Severity": c.severity, "Message": c.message} for c in checks]})
    else:
        for c in checks:
            print(f"{LABELS[c.severity]:<8} {c.id}: {c.message}")
    if failures:
        print(f"error: {failures[0].message}" + (f" (and {len(failures) - 1} more failure(s))" if len(failures) > 1 else ""),
              file=sys.stderr)
        return 1
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    from console.cli.build import queued_job

    console = open_site(args)
    return queued_job(console, console.media.create(_request(args)).value, args, done_text="medium written")
