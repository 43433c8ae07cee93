"""Object locks (SEDO): ``bootimage lock list`` and ``bootimage lock release ID``.

(``bootimage unlock`` is WMI's Unlock of site ownership, something else.) Commands that change a
package take no lock of their own: the change checks, inside its own write transaction, that no
other console holds a live lock on the package, and is refused otherwise.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from console.cli.output import emit_json, table
from console.cli.runtime import open_site
from console.core.values import format_datetime

if TYPE_CHECKING:
    from datetime import datetime

    from console.core.object_locks import ObjectLock


def register(sub: Any) -> None:
    lock = sub.add_parser("lock", help="object locks: which Properties sheets and wizards are open where (SEDO)")
    locks = lock.add_subparsers(dest="lock_command", metavar="LOCK_COMMAND")
    locks.required = True
    listing = locks.add_parser("list", help="every lock: object, holder, console, since, last heartbeat, expired?")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_list)
    release = locks.add_parser("release", help="release a lock (another administrator's: Full Administrator only)")
    release.add_argument("key", metavar="ID", help="the lock's LockID, or the locked object's ID (e.g. PS100004)")
    release.add_argument("--json", action="store_true")
    release.set_defaults(func=cmd_release)


def lock_json(lock: ObjectLock, now: datetime) -> dict[str, Any]:
    return {"LockID": lock.lock_id, "ObjectType": lock.object_type, "ObjectID": lock.object_id,
            "Holder": lock.login, "Console": lock.console.text, "ConsoleHost": lock.console.host,
            "ConsolePID": lock.console.pid, "Purpose": lock.purpose, "AcquiredAt": format_datetime(lock.acquired_at),
            "HeartbeatAt": format_datetime(lock.heartbeat_at), "Expired": lock.expired(now)}


def cmd_list(args: argparse.Namespace) -> None:
    site = open_site(args)
    now = site.context.clock()
    locks = site.locks.list()
    if args.json:
        emit_json([lock_json(lock, now) for lock in locks])
        return
    if not locks:
        print("no object is locked")
        return
    table(["Object", "Holder", "Console", "Open", "Since (UTC)", "Last heartbeat (UTC)", "Expired", "LockID"],
          [(lock.object_id, lock.holder, lock.console.text, lock.purpose, format_datetime(lock.acquired_at),
            format_datetime(lock.heartbeat_at), "yes" if lock.expired(now) else "no", lock.lock_id)
           for lock in locks])


def cmd_release(args: argparse.Namespace) -> None:
    site = open_site(args)
    lock = site.locks.release(args.key).value
    if args.json:
        emit_json(lock_json(lock, site.context.clock()))
        return
    print(f"released the lock {lock.holder} held on {lock.object_id} (console {lock.console.text}, since "
          f"{format_datetime(lock.acquired_at)} UTC)")
