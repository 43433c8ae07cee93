"""``bootimage about``: the version, the installation and where it keeps its data (Help › About)."""

from __future__ import annotations

import argparse
from typing import Any

from console.cli.output import emit_json


def register(sub: Any) -> None:
    parser = sub.add_parser("about", help="show the version, the installation, its tools and its data folders")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=cmd_about)


def cmd_about(args: argparse.Namespace) -> None:
    from console.about import about_details
    from console.paths import default_database_url

    details = about_details(args.db or default_database_url())
    if args.json:
        emit_json(details)
        return
    width = max(map(len, details))
    for label, value in details.items():
        print(f"{label + ':':<{width + 1}} {value}")
