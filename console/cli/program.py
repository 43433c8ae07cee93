"""The ``bootimage`` program: a command run by this user's resident command server when one
serves (:mod:`console.cli.resident`), otherwise in this process (:func:`console.cli.main`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from console.cli.resident import OWN_PROCESS_COMMANDS, SERVER_FLAG, command_of


def entry(argv: Sequence[str] | None = None) -> int:
    """The exit status of ``bootimage ARGV``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == [SERVER_FLAG]:
        from console.cli.resident_server import serve

        return serve(args[1:])
    code = None
    if command_of(args) not in OWN_PROCESS_COMMANDS:  # image-info and the like start without the client
        from console.cli.resident_client import run_resident

        code = run_resident(args)
    if code is None:
        from console.cli import main

        return main(args)
    return code


def run() -> None:
    sys.exit(entry())
