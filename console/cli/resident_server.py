"""The resident command server (see :mod:`console.cli.resident`): imports the console once, then
forks a child per command that becomes the command's process.

The server itself never opens a database, starts a thread or runs a command, so every child
starts from the same clean state a new process would. One loop, bounded by the idle time:
accept a command, fork it, pass signals the client forwards to its child, report each child's
exit status to its client, and kill a child whose client went away (``kill -9`` of the command
ends the command, as it would have ended its own process)."""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import pkgutil
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.cli import resident

#: what commands import inside functions, beside the console's own modules: imported once here
PRELOAD = ("platformdirs", "pwd", "orjson", "lxml.etree", "sqlalchemy.dialects.sqlite.pysqlite",
           "sqlalchemy.dialects.postgresql.psycopg")
#: the console's modules a command never needs (the GUI, entry points, migration scripts)
NOT_PRELOADED = ("console.ui", "console.launcher", "console.__main__", "console.cli.__main__",
                 "console.storage.migrations", "console.cli.resident_server")
#: how often the loop wakes when nothing happens (idle time, socket still there)
TICK = 2.0


@dataclass
class Child:
    pid: int
    connection: socket.socket


@dataclass
class Server:
    key: str
    folder: Path
    listener: socket.socket
    lock_fd: int
    started: float = field(default_factory=time.time)
    served: int = 0
    last_active: float = field(default_factory=time.monotonic)
    last_checked: float = field(default_factory=time.monotonic)
    children: dict[int, Child] = field(default_factory=dict)
    module_stamps: dict[str, int] = field(default_factory=dict)
    parser: Any = None


def serve(args: list[str]) -> int:
    """``bootimage --resident-server KEY``: serve until idle, stale or stopped."""
    if len(args) != 1 or not resident.enabled():
        return 2
    folder = resident.private_folder(create=True)
    if folder is None:
        return 1
    key = args[0]
    with open(folder / f"{key}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return 0  # another server for this key is starting or serving
        server = _listen(key, folder, lock.fileno())
        try:
            _preload(server)
            _loop(server)
        finally:
            _close(server)
    return 0


def _listen(key: str, folder: Path, lock_fd: int) -> Server:
    path = resident.socket_path(folder, key)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a server that died left it; we hold the lock, so it is not in use
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.fspath(path))
    listener.listen(16)
    return Server(key, folder, listener, lock_fd)


def _preload(server: Server) -> None:
    from console.cli import build_parser

    server.parser = build_parser()
    import console

    names = [info.name for info in pkgutil.walk_packages(console.__path__, "console.")]
    for name in [*PRELOAD, *names]:
        if not name.startswith(NOT_PRELOADED):
            with contextlib.suppress(Exception):  # a command that needs it reports the failure itself
                importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    from console.app import load_catalog, load_registry
    from console.paths import resources_dir

    configure_mappers()  # the ORM's mapping work, done once
    load_registry()  # the class definitions and the optional components (read once, cached)
    load_catalog()
    resources = [p for p in resources_dir().rglob("*") if p.is_file()]
    server.module_stamps = _stamps([*(getattr(m, "__file__", None) for m in list(sys.modules.values())), *resources])


def _stamps(paths: list[Any]) -> dict[str, int]:
    """The modification time of each file: the server is stale when one changes."""
    stamps = {}
    for path in filter(None, paths):
        with contextlib.suppress(OSError):
            stamps[str(path)] = os.stat(path).st_mtime_ns
    return stamps


def _stale(server: Server) -> bool:
    """True when a module this server imported changed or vanished on disk (an upgrade)."""
    for path, stamp in server.module_stamps.items():
        try:
            if os.stat(path).st_mtime_ns != stamp:
                return True
        except OSError:
            return True
    return False


def _loop(server: Server) -> None:
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    selector = selectors.DefaultSelector()
    selector.register(server.listener, selectors.EVENT_READ, "accept")
    selector.register(wake_read, selectors.EVENT_READ, "wake")
    socket_inode = os.stat(resident.socket_path(server.folder, server.key)).st_ino
    try:
        while True:
            for selected, _ in selector.select(TICK):
                if selected.data == "accept":
                    _accept(server, selector, wake_read)
                elif selected.data == "wake":
                    os.read(wake_read, 512)
                else:
                    _from_client(server, selected.data)
            _reap(server, selector)
            if not server.children and _should_stop(server, socket_inode):
                return
    except KeyboardInterrupt:
        return
    finally:
        signal.set_wakeup_fd(-1)
        os.close(wake_read)
        os.close(wake_write)


def _should_stop(server: Server, socket_inode: int) -> bool:
    """Idle too long, the socket removed or replaced, or the installation changed (checked at
    most once a tick: an upgrade or removal of the console ends its servers within seconds)."""
    now = time.monotonic()
    if now - server.last_active > resident.idle_seconds():
        return True
    try:
        if os.stat(resident.socket_path(server.folder, server.key)).st_ino != socket_inode:
            return True
    except OSError:
        return True  # removed: whoever removed it wants us gone
    if now - server.last_checked < TICK:
        return False
    server.last_checked = now
    return _stale(server)


def _accept(server: Server, selector: selectors.BaseSelector, wake_read: int) -> None:
    connection, _ = server.listener.accept()
    fds: list[int] = []
    try:
        connection.settimeout(5.0)
        request, fds = _receive(connection)
        reply = _check(server, connection, request, fds)
        if reply:
            connection.sendall(f"{reply}\n".encode())
            connection.close()
            if reply in ("stale", "stopping"):
                os.unlink(resident.socket_path(server.folder, server.key))  # the loop then stops
            return
        connection.settimeout(None)
        server.served += 1
        server.last_active = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _become_command(server, connection, request, fds, wake_read)
        server.children[pid] = Child(pid, connection)
        selector.register(connection, selectors.EVENT_READ, pid)
        with contextlib.suppress(OSError):  # a client already gone is seen by the loop: its command is killed
            connection.sendall(b"started\n")
    except (OSError, ValueError):
        connection.close()
    finally:
        for fd in fds:
            os.close(fd)


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    prefix, fds, _flags, _address = socket.recv_fds(connection, resident.HEADER_SIZE, 8)
    if len(prefix) < resident.HEADER_SIZE:
        raise ValueError("short request")
    length = resident.unpack_length(prefix)
    body = b""
    while len(body) < length:
        chunk = connection.recv(length - len(body))
        if not chunk:
            raise ValueError("truncated request")
        body += chunk
    request = json.loads(body.decode("utf-8", "surrogateescape"))
    if not isinstance(request, dict):
        raise ValueError("request is not an object")
    return request, list(fds)


def _check(server: Server, connection: socket.socket, request: dict[str, Any], fds: list[int]) -> str:
    """'' when the request may run here, else the reply that refuses it."""
    creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    if int.from_bytes(creds[4:8], sys.byteorder) != os.geteuid():
        return "refused"
    control = request.get("control")
    if control == "status":
        return json.dumps(_status(server))
    if control == "stop":
        return "stopping"
    if len(fds) != 4 or request.get("key") != server.key or request.get("code_root") != resident.code_root():
        return "refused"
    if resident.limits_out_of_reach(request.get("limits")):  # its own process keeps its ``ulimit``
        return "refused"
    return "stale" if _stale(server) else ""


def _from_client(server: Server, pid: int) -> None:
    child = server.children.get(pid)
    if child is None:
        return
    try:
        data = child.connection.recv(256)
    except OSError:
        data = b""
    if not data:  # the client is gone (killed): so is its command
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return
    for line in data.decode("ascii", "replace").splitlines():
        word, _, value = line.partition(" ")
        if word == "sig" and value.isdigit():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(pid, int(value))


def _reap(server: Server, selector: selectors.BaseSelector) -> None:
    while server.children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        child = server.children.pop(pid, None)
        if child is None:
            continue
        server.last_active = time.monotonic()
        reply = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                 else f"exit {os.waitstatus_to_exitcode(status)}")
        with contextlib.suppress(OSError):
            child.connection.sendall(f"{reply}\n".encode())
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(child.connection)
        child.connection.close()


def _become_command(server: Server, connection: socket.socket, request: dict[str, Any], fds: list[int],
                    wake_read: int) -> None:
    """In the forked child: take the client's place and run its command; never returns."""
    code = 3
    try:
        from console.cli.resident_child import run_command

        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        server.listener.close()
        os.close(server.lock_fd)  # a command still running must not keep a successor from starting
        os.close(wake_read)
        for other in server.children.values():
            other.connection.close()
        code = run_command(server.parser, request, fds)
    finally:
        os._exit(code)


def _status(server: Server) -> dict[str, Any]:
    return {"pid": os.getpid(), "key": server.key, "started": server.started, "served": server.served,
            "running": sorted(server.children), "idle_seconds": resident.idle_seconds(),
            "code_root": resident.code_root(), "python": sys.executable, "stale": _stale(server),
            "socket": os.fspath(resident.socket_path(server.folder, server.key))}


def _close(server: Server) -> None:
    """Remove the socket: still this server's, as a successor needs the lock this server holds
    until it has returned."""
    server.listener.close()
    with contextlib.suppress(OSError):
        resident.socket_path(server.folder, server.key).unlink()
