"""The resident command server: what its client and server share (POSIX only).

Importing SQLAlchemy alone costs a new Python process ~10× what ``python -c pass`` costs, so a
``bootimage`` command spends most of its time starting. The first command of a user starts a
*resident server* in the background (``bootimage --resident-server KEY``): a process that has
imported the console once and then forks a fresh child for every later command, as ConfigMgr's
cmdlets run in one PowerShell session that imported their module once. The child takes the
command's standard streams, working folder, umask, niceness, resource limits (``ulimit``) and
environment, runs it exactly as a
process of its own would, and its exit status (or the signal that ended it) is the command's.

One server serves one user and one installation: its socket lives in a private folder
(``$XDG_RUNTIME_DIR/bootimage-console`` or ``/tmp/bootimage-console-UID``, mode 0700, owned by
the user) and is named after a *key* of the interpreter, the ``console`` package's folder, the
module search path and the interpreter's flags. It stops when idle
(:data:`IDLE_SECONDS`), when any module it imported changes on disk (an upgrade; the command
that notices runs in its own process instead), when its socket is removed, or on
``bootimage resident stop``. ``BOOTIMAGE_RESIDENT=0`` runs every command in its own process.
"""

from __future__ import annotations

import os
import stat
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: the hidden first argument that makes ``bootimage`` a resident server
SERVER_FLAG = "--resident-server"
#: ``BOOTIMAGE_RESIDENT=0`` (or ``no``/``off``/``false``): every command in its own process
ENABLE_VARIABLE = "BOOTIMAGE_RESIDENT"
#: overrides the folder of the sockets (tests and administrators)
DIR_VARIABLE = "BOOTIMAGE_RESIDENT_DIR"
#: a server with no command for this long stops (``BOOTIMAGE_RESIDENT_IDLE`` overrides, seconds)
IDLE_SECONDS = 900.0
IDLE_VARIABLE = "BOOTIMAGE_RESIDENT_IDLE"
#: commands that never go through the server: the long-running worker (its process id, signals
#: and lifetime are the service's), the server's own command, and those that start lean anyway
OWN_PROCESS_COMMANDS = frozenset({"worker", "resident", "image-info", "about"})
#: how long ``bootimage resident`` waits for a server's answer
CONTROL_TIMEOUT = 5.0

#: what Python reads once at start-up (locale, encodings): a client that sets them differently
#: gets a server of its own
KEY_VARIABLES = ("LC_ALL", "LC_CTYPE", "LANG", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONHASHSEED")
#: the resource limits (``ulimit``) a served command takes from its client
LIMITS = ("RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_MEMLOCK",
          "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_STACK")
_HEADER = struct.Struct("!I")
MAX_REQUEST = 4 * 1024 * 1024


def command_of(argv: Sequence[str]) -> str:
    """The command word of ``argv`` (the first argument that is neither an option nor --db's value)."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] == "--db" else 1
    return argv[i] if i < len(argv) else ""


def enabled(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    if environ.get(ENABLE_VARIABLE, "1").strip().lower() in ("0", "no", "off", "false"):
        return False
    import socket  # the peer's user id (SO_PEERCRED) is Linux's: elsewhere each command runs in its own process

    return os.name == "posix" and hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "SO_PEERCRED")


def idle_seconds() -> float:
    try:
        return max(1.0, float(os.environ.get(IDLE_VARIABLE, IDLE_SECONDS)))
    except ValueError:
        return IDLE_SECONDS


def code_root() -> str:
    """The folder holding the ``console`` package this process runs."""
    return str(Path(__file__).resolve().parent.parent.parent)


def server_key() -> str:
    """What a server must share with its client to run the client's commands as the client would."""
    import hashlib  # here, not at the top: commands that run in their own process never need it

    parts = [sys.executable, code_root(), *sys.path[1:], repr(sys.flags), *sys.warnoptions,
             repr(sorted(sys._xoptions.items())), str(os.geteuid()),
             *(f"{name}={os.environ.get(name, '')}" for name in KEY_VARIABLES)]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:20]


def socket_folder() -> Path:
    """The user's private folder of server sockets (not created here)."""
    if override := os.environ.get(DIR_VARIABLE):
        return Path(override)
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        return Path(runtime) / "bootimage-console"
    return Path("/tmp") / f"bootimage-console-{os.geteuid()}"


def folder_problem() -> str:
    """Why :func:`socket_folder` is not used ('' when it is fine or does not exist yet)."""
    folder = socket_folder()
    try:
        info = os.lstat(folder)
    except OSError:
        return ""
    if not stat.S_ISDIR(info.st_mode):
        return f"{folder} is not a folder"
    if info.st_uid != os.geteuid():
        return f"{folder} belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"{folder} is open to other users (mode {stat.S_IMODE(info.st_mode):o}; it must be 700)"
    return ""


def private_folder(create: bool) -> Path | None:
    """:func:`socket_folder` when it is a real folder owned by this user and closed to others
    (created so when ``create``), else None: a socket anyone else could replace is never used."""
    folder = socket_folder()
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    if not folder.exists() or folder_problem():
        return None
    return folder


def socket_path(folder: Path, key: str) -> Path:
    return folder / f"{key}.sock"


def pack(message: dict[str, Any]) -> bytes:
    import json

    body = json.dumps(message, separators=(",", ":")).encode("utf-8", "surrogateescape")
    return _HEADER.pack(len(body)) + body


def unpack_length(prefix: bytes) -> int:
    (length,) = _HEADER.unpack(prefix)
    if length > MAX_REQUEST:
        raise ValueError(f"request of {length} bytes")
    return int(length)


HEADER_SIZE = _HEADER.size


def control(path: Path, action: str) -> str:
    """Send ``action`` (status, stop) to the server listening at ``path``; its one-line answer."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(CONTROL_TIMEOUT)
        connection.connect(os.fspath(path))
        connection.sendall(pack({"control": action}))
        data = b""
        while not data.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace").strip()


def limits() -> dict[str, list[int]]:
    """This process's resource limits: name -> [soft, hard] (``resource.RLIM_INFINITY`` for none)."""
    import resource

    return {name: list(resource.getrlimit(getattr(resource, name))) for name in LIMITS if hasattr(resource, name)}


def limits_out_of_reach(wanted: object) -> list[str]:
    """The limits of ``wanted`` (a client's :func:`limits`) that a child of this process cannot
    take: a hard limit above this process's (only a privileged process may raise one). A server
    inherits the limits of the command that started it; a later client with higher ones runs its
    command in its own process instead."""
    import resource

    if not isinstance(wanted, dict):
        return ["(no limits sent)"]
    unlimited = resource.RLIM_INFINITY
    out = []
    for name, have in limits().items():
        value = wanted.get(name)
        if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
            out.append(name)
            continue
        hard = value[1]
        if have[1] != unlimited and (hard == unlimited or hard > have[1]):
            out.append(name)
    return out
