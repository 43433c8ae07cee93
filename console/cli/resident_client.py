"""The ``bootimage`` side of the resident command server (see :mod:`console.cli.resident`).

Imports only what Python itself starts with: a command that a server runs costs this process a
connect, one message with its standard streams attached, and a wait for the exit status."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from console.cli import resident

#: signals the client passes on to the command's process (a terminal's Ctrl+C reaches only this one)
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
CONNECT_TIMEOUT = 2.0


def run_resident(argv: Sequence[str]) -> int | None:
    """The exit status of ``argv`` run by this user's resident server, or None when this process
    must run the command itself (no server yet: one is started for the next command; resident
    mode off; an unsafe socket folder; the server's code changed)."""
    if not resident.enabled():  # (commands that always run in their own process never get here)
        return None
    folder = resident.private_folder(create=True)
    if folder is None:
        return None
    key = resident.server_key()
    connection = _connect(resident.socket_path(folder, key))
    if connection is None:
        _start_server(key)
        return None
    with connection:
        return _run_through(connection, argv, key)


def _connect(path: os.PathLike[str]) -> socket.socket | None:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(CONNECT_TIMEOUT)
    try:
        client.connect(os.fspath(path))
    except OSError:
        client.close()
        return None
    client.settimeout(None)
    return client


def _streams() -> list[int] | None:
    """Descriptors 0–2 and the working folder, or None when one of them is closed or gone."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
        return [0, 1, 2, os.open(".", os.O_RDONLY | os.O_DIRECTORY)]
    except OSError:
        return None


def _run_through(connection: socket.socket, argv: Sequence[str], key: str) -> int | None:
    fds = _streams()
    if fds is None:
        return None
    umask = os.umask(0)
    os.umask(umask)
    request = {
        "key": key, "code_root": resident.code_root(), "argv": list(argv), "argv0": sys.argv[0],
        "path": sys.path, "env": dict(os.environ), "umask": umask, "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "limits": resident.limits(),
        "streams": [_stream_settings(s) for s in (sys.stdin, sys.stdout, sys.stderr)],
    }
    previous = {sig: signal.signal(sig, _forwarder(connection)) for sig in FORWARDED}
    previous[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, _suspender(connection))
    try:
        try:
            socket.send_fds(connection, [resident.pack(request)], fds)
        except OSError:
            return None
        finally:
            os.close(fds[3])
        reply = _read_reply(connection)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return _exit_status(reply)


def _stream_settings(stream: object) -> dict[str, object]:
    return {"encoding": getattr(stream, "encoding", None) or "utf-8",
            "errors": getattr(stream, "errors", None) or "strict",
            "line_buffering": bool(getattr(stream, "line_buffering", False))}


def _forwarder(connection: socket.socket) -> Callable[[int, FrameType | None], None]:
    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(f"sig {signum}\n".encode())

    return forward


def _suspender(connection: socket.socket) -> Callable[[int, FrameType | None], None]:
    """Ctrl+Z: stop the command, then this process as a shell expects; ``fg`` continues both."""
    def suspend(_signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(f"sig {signal.SIGSTOP}\n".encode())
        handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until the shell continues us
        signal.signal(signal.SIGTSTP, handler)
        with contextlib.suppress(OSError):
            connection.sendall(f"sig {signal.SIGCONT}\n".encode())

    return suspend


def _read_reply(connection: socket.socket) -> str:
    """The server's last line: ``exit N`` or ``signal S`` after ``started``; ``stale`` or
    ``refused`` instead; ``started`` alone when the server ended while the command ran; '' when
    it ended before starting the command."""
    data = b""
    while True:
        chunk = connection.recv(256)
        if not chunk:
            break
        data += chunk
        if data.endswith(b"\n") and not data.endswith(b"started\n"):
            break
    lines = data.decode("ascii", "replace").split()
    return " ".join(lines[-2:]) if len(lines) >= 2 and lines[-2] in ("exit", "signal") else " ".join(lines[-1:])


def _exit_status(reply: str) -> int | None:
    if not reply:  # the server ended before it started the command: run it here
        return None
    word, _, value = reply.partition(" ")
    if word == "exit" and value.lstrip("-").isdigit():
        return int(value)
    if word == "signal" and value.isdigit():
        signum = int(value)
        sys.stdout.flush()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # end as the command ended, so shells see the same status
        return 128 + signum
    if word in ("stale", "refused"):  # the server's code changed on disk, it is not ours, or it cannot take our ulimit
        return None
    print("error: the resident command server stopped while running the command "
          f"(set {resident.ENABLE_VARIABLE}=0 to run each command in its own process)", file=sys.stderr)
    return 3


def _start_server(key: str) -> None:
    """Start this user's server for ``key`` in the background, detached from this terminal and
    this process (a daemon's double fork: nothing for this process to reap); it serves from the
    next command on. Failing to start it only costs that speed."""
    from console.self_command import self_command, self_environment

    command = self_command("bootimage", resident.SERVER_FLAG, key)
    # a server needs no site and no password: each command brings its own environment
    environment = {k: v for k, v in self_environment().items() if k not in ("BOOTIMAGE_DB", "PGPASSWORD")}
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        return
    try:  # the first child: a new session, then the server in a grandchild init adopts
        os.setsid()
        if os.fork() == 0:
            os.chdir("/")
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.execve(command[0], command, environment)
    finally:
        os._exit(0)
