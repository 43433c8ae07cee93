"""``bootimage resident status|stop``: this user's resident command servers
(see :mod:`console.cli.resident`)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from console.cli import resident
from console.cli.output import emit_json


def register(sub: Any) -> None:
    parser = sub.add_parser("resident", help="the resident command servers that start later commands fast "
                            f"({resident.ENABLE_VARIABLE}=0 turns them off)")
    actions = parser.add_subparsers(dest="resident_action", metavar="ACTION")
    actions.required = True
    status = actions.add_parser("status", help="list this user's servers: process, commands served, running, stale")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    stop = actions.add_parser("stop", help="stop this user's servers (commands they run go on to their end)")
    stop.add_argument("--json", action="store_true")
    stop.set_defaults(func=cmd_stop)


def servers() -> list[tuple[Path, dict[str, Any]]]:
    """Each listening server's socket and status; sockets nobody answers on are skipped."""
    folder = resident.private_folder(create=False)
    found = []
    for path in sorted(folder.glob("*.sock")) if folder else []:
        try:
            status = json.loads(resident.control(path, "status"))
        except (OSError, ValueError):
            continue
        if isinstance(status, dict):
            status["this_installation"] = status.get("key") == resident.server_key()
            found.append((path, status))
    return found


def cmd_status(args: argparse.Namespace) -> None:
    found = [status for _path, status in servers()]
    problem = resident.folder_problem()
    if args.json:
        emit_json({"enabled": resident.enabled(), "folder": str(resident.socket_folder()),
                   "folder_problem": problem, "servers": found})
        return
    if not resident.enabled():
        print(f"resident servers are off ({resident.ENABLE_VARIABLE}=0 or not available here)")
    if problem:
        print(f"resident servers are not used: {problem}; every command runs in its own process")
    if not found:
        print(f"no resident server runs (folder {resident.socket_folder()})")
    for status in found:
        age = time.time() - float(status["started"])
        print(f"process {status['pid']}: {status['served']} commands served in {age:.0f} s, "
              f"{len(status['running'])} running{', stale (stops when idle)' if status['stale'] else ''}"
              f"{', this installation' if status['this_installation'] else ''}\n"
              f"  {status['python']} ({status['code_root']}), stops after {status['idle_seconds']:.0f} s idle")


def cmd_stop(args: argparse.Namespace) -> None:
    stopped = []
    for path, status in servers():
        try:
            if resident.control(path, "stop") == "stopping":
                stopped.append(status["pid"])
        except OSError:
            continue
    if args.json:
        emit_json({"stopped": stopped})
    else:
        print(f"stopped {len(stopped)} resident server{'s' if len(stopped) != 1 else ''}")
