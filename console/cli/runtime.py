"""Opening the site database for a command (imports the database layer lazily)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.app import Console


def open_site(args: argparse.Namespace) -> Console:
    from console.app import open_console

    return open_console(args.db)
