"""``bootimage``: the headless twin of the console (modelled on the ConfigMgr cmdlets).

Command modules import the database layer only inside their handlers, so commands
that only read files (``image-info``) start without SQLAlchemy or Qt.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from console import __version__
from console.cli.resident import command_of

if TYPE_CHECKING:
    import argparse

#: Command modules (console.cli.<name>), imported when the parser is built.
COMMAND_MODULES = ["site", "packages", "image", "drivers", "methods", "jobs", "revisions", "build", "classes",
                   "distribution", "content", "media", "security", "locks", "audit", "about", "resident_admin"]
#: Commands that only read files: only their own module is imported, so they start fast.
FILE_ONLY_COMMANDS = {"image-info": "image", "about": "about", "resident": "resident_admin"}

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def build_parser(modules: Sequence[str] = tuple(COMMAND_MODULES)) -> argparse.ArgumentParser:
    import argparse
    import importlib

    parser = argparse.ArgumentParser(
        prog="bootimage",
        description="Administer Windows PE boot image packages from the command line.",
        epilog="Global --db (or BOOTIMAGE_DB) selects the site database; default: the embedded SQLite site.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--db", metavar="URL", default=None, help="SQLAlchemy URL of the site database")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    parser.add_argument("--pretty", action="store_true", help="indent --json output (compact by default)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in modules:
        importlib.import_module(f"console.cli.{name}").register(sub)
    from console.cli.argtypes import bound_plain_ints

    bound_plain_ints(parser)  # no whole number SQLite cannot store gets through
    from console.cli.help_texts import fill_shared_help

    fill_shared_help(parser)
    _pretty_beside_json(parser)
    return parser


def _pretty_beside_json(parser: argparse.ArgumentParser) -> None:
    """``--pretty`` is also accepted after every command that has ``--json``."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if any("--json" in a.option_strings for a in sub._actions):
                    sub.add_argument("--pretty", action="store_true", default=argparse.SUPPRESS,
                                     help="indent the JSON output (compact by default)")
                _pretty_beside_json(sub)


def main(argv: Sequence[str] | None = None, *, parser: argparse.ArgumentParser | None = None) -> int:
    """Run one command in this process (``parser``: one already built, as a resident server has)."""
    if parser is None:
        parser = build_parser(_modules_for(sys.argv[1:] if argv is None else argv))
    from console.cli.argtypes import non_utf8_argument
    from console.cli.output import escaped_output

    with escaped_output():  # names, INF strings and usage errors never reach the terminal raw
        args = parser.parse_args(argv)
        if problem := non_utf8_argument(parser, args):
            parser.error(problem)
        from console.cli.output import set_pretty

        set_pretty(bool(getattr(args, "pretty", False)))
        return _run(args)


def _run(args: argparse.Namespace) -> int:
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
            import traceback

            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    """Just the command's module for a file-only command, otherwise all of them."""
    command = command_of(argv)
    return (FILE_ONLY_COMMANDS[command],) if command in FILE_ONLY_COMMANDS else tuple(COMMAND_MODULES)
