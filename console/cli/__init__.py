"""``bootimage``: the headless twin of the console (modelled on the ConfigMgr cmdlets).

Command modules import the database layer only inside their handlers, so commands
that only read files (``image-info``) start without SQLAlchemy or Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from console import __version__
from console.cli import classes, drivers, methods, packages, site

COMMAND_MODULES = [site, packages, drivers, methods, classes]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bootimage",
        description="Administer Windows PE boot image packages from the command line.",
        epilog="Global --db (or BOOTIMAGE_DB) selects the site database; default: the embedded SQLite site.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", metavar="URL", default=None, help="SQLAlchemy URL of the site database")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from console.core.errors import ConsoleError

    try:
        result = args.func(args)
        return EXIT_OK if result is None else int(result)
    except ConsoleError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if args.debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


def run() -> None:
    sys.exit(main())
