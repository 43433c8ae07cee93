"""Opening the site database for a command (imports the database layer lazily), and asking
before a command removes something."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from console.core.errors import ConsoleError

if TYPE_CHECKING:
    from console.app import Console


def open_site(args: argparse.Namespace, *, create: bool = False) -> Console:
    """The site database of ``--db`` / ``BOOTIMAGE_DB``. Only a creating command (``site
    init``) may create a SQLite file that does not exist yet; the others say it is missing."""
    from console.app import open_console

    return open_console(args.db, create=create)


def confirm_removal(args: argparse.Namespace, what: str, question: str) -> bool:
    """True with ``--force`` or when the user answers yes to ``question``. Without a terminal
    to ask on, the removal of ``what`` is refused (an error, never a silent removal)."""
    if args.force:
        return True
    if not sys.stdin.isatty():
        raise ConsoleError(f"refusing to remove {what} without confirmation; add --force")
    answer = input(f"{question} [y/N] ")
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("not removed")
    return False
