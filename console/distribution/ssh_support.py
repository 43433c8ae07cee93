"""What the SSH transport needs besides the connection: the DP address, the private event loop
that runs asyncssh for synchronous callers, host-key trust and the mapping of failures to
``TransportError`` causes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import os
import re
import socket
import threading
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncssh

from console.core.distribution import CAUSES, DistributionError, DistributionPoint, SecretStore, TransportError
from console.core.key_files import key_file_problem

T = TypeVar("T")

#: Site setting's stand-in for workers without one: a known_hosts file the SSH transport trusts.
KNOWN_HOSTS_ENV = "BOOTIMAGE_SSH_KNOWN_HOSTS"
#: Where an administrator already keeps trusted host keys (OpenSSH's own files), in this order.
DEFAULT_KNOWN_HOSTS = ("~/.ssh/known_hosts", "/etc/ssh/ssh_known_hosts")

ADDRESS = re.compile(r"^(?:(?P<user>[^@\s]+)@)?(?P<host>\[[^\]\s]+\]|[^:@\[\]\s/]+)(?::(?P<port>\d{1,5}))?:(?P<path>.*)$")


@dataclass(frozen=True)
class SshAddress:
    host: str
    port: int
    path: str  # absolute, or relative to the user's home folder ("" is the home folder)
    user: str = ""

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.port != 22 else host


@dataclass(frozen=True)
class SshTimeouts:
    connect: float = 20.0  # TCP connect, key exchange and authentication
    operation: float = 120.0  # one SFTP request or one pipelined block
    command: float = 3600.0  # sha256sum or cat over large files on the server
    keepalive: float = 15.0  # a silent server is dropped after 4 unanswered keepalives


def parse_address(text: str) -> SshAddress:
    """``[user@]host[:port]:/path`` (an IPv6 host in brackets)."""
    match = ADDRESS.match(text.strip())
    port = int(match["port"]) if match and match["port"] else 22
    if match is None or not 0 < port < 65536:
        raise DistributionError(f"SSH address {text!r}: write [user@]host[:port]:/path, e.g. dp01@dp01.contoso.com:/srv/dp")
    return SshAddress(match["host"].strip("[]"), port, match["path"].rstrip("/") or ("/" if match["path"] else ""),
                      match["user"] or "")


def known_hosts_files(setting: str | None) -> list[str]:
    """The known_hosts files to trust: the site's setting, else ``$BOOTIMAGE_SSH_KNOWN_HOSTS``,
    else OpenSSH's (``~/.ssh/known_hosts``, ``/etc/ssh/ssh_known_hosts``) that exist."""
    chosen = setting or os.environ.get(KNOWN_HOSTS_ENV, "")
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise TransportError(f"the SSH known_hosts file {path} does not exist", cause="auth")
        return [str(path)]
    return [str(p) for p in (Path(name).expanduser() for name in DEFAULT_KNOWN_HOSTS) if p.is_file()]


class LoopThread:
    """One asyncio event loop in a daemon thread, shared by every SSH connection of the process;
    synchronous callers (GUI tasks, CLI, worker) wait for its coroutines with a time limit."""

    _lock = threading.Lock()
    _shared: LoopThread | None = None

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(_quiet_abandoned)
        self.thread = threading.Thread(target=self.loop.run_forever, name="ssh-transport", daemon=True)
        self.thread.start()

    @classmethod
    def shared(cls) -> LoopThread:
        with cls._lock:
            if cls._shared is None or cls._shared.pid != os.getpid() or not cls._shared.thread.is_alive():
                cls._shared = cls()
            return cls._shared

    def submit(self, coro: Coroutine[Any, Any, T], timeout: float) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, timeout), self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return wait(self.submit(coro, timeout), timeout)


def _quiet_abandoned(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncssh's parallel SFTP requests outlive a write abandoned after a timeout or a failure
    (their errors are already reported by the write): do not print them at exit."""
    if isinstance(context.get("exception"), asyncssh.Error | OSError):
        return
    loop.default_exception_handler(context)


def wait(future: concurrent.futures.Future[T], timeout: float) -> T:
    """The coroutine's result; its own ``wait_for`` ends it first, this bound is a backstop."""
    try:
        return future.result(timeout + 5)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"no answer within {timeout:.0f} s") from None
    except concurrent.futures.CancelledError:
        raise TimeoutError("cancelled") from None


#: SFTP status -> cause (OpenSSH's server reports ENOSPC as a bare "Failure": see ``SshConnection``)
SFTP_CAUSES: list[tuple[type[BaseException], str]] = [
    (asyncssh.SFTPNoSuchFile, "not_found"),
    (asyncssh.SFTPPermissionDenied, "permission"),
    (asyncssh.SFTPNoSpaceOnFilesystem, "disk_full"),
    (asyncssh.SFTPQuotaExceeded, "disk_full"),
    (asyncssh.SFTPConnectionLost, "unreachable"),
    (asyncssh.SFTPNoConnection, "unreachable"),
]
LOST = (asyncssh.ConnectionLost, asyncssh.SFTPConnectionLost, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def cause_of(error: BaseException) -> tuple[str, str]:
    """(cause, detail) for a failure raised by asyncssh or the socket layer."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, TimeoutError):
        return "timeout", text
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return "auth", f"host key not trusted ({text}): add the server's key to known_hosts"
    if isinstance(error, asyncssh.PermissionDenied):
        return "auth", f"the server refused the credentials ({text})"
    if isinstance(error, asyncssh.KeyImportError):
        return "key_file", f"cannot use the key file ({text})"
    if isinstance(error, asyncssh.ChannelOpenError) and error.code == asyncssh.OPEN_CONNECT_FAILED:
        return "unreachable", f"connection lost ({text})"
    if isinstance(error, LOST):
        return "unreachable", f"connection lost ({text})"
    for kind, cause in SFTP_CAUSES:
        if isinstance(error, kind):
            return cause, text
    if isinstance(error, asyncssh.SFTPError):
        return ("disk_full" if "space" in text.lower() else "io"), text
    if isinstance(error, socket.gaierror):
        return "unreachable", f"host name not resolved ({text})"
    if isinstance(error, ConnectionRefusedError):
        return "unreachable", "connection refused (is sshd running, is the port right?)"
    if isinstance(error, OSError):
        if error.errno in (errno.ETIMEDOUT,):
            return "timeout", text
        if error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED, errno.EADDRNOTAVAIL):
            return "unreachable", error.strerror or text
        return "unreachable", text
    if isinstance(error, asyncssh.DisconnectError):
        return "unreachable", f"the server disconnected ({text})"
    return "io", text


def failure(error: BaseException, dp: str, what: str) -> TransportError:
    """A one-line ``TransportError`` naming the DP and the path or server."""
    if isinstance(error, TransportError):
        return error
    cause, detail = cause_of(error)
    summary = CAUSES[cause][1]
    detail = " ".join(detail.split())
    if detail.lower() == summary:
        return TransportError(f"{dp}: {what}: {summary}", cause=cause)
    return TransportError(f"{dp}: {what}: {summary}: {detail}", cause=cause)


def stderr_cause(stderr: str) -> str:
    """The cause a shell command's error text names (``cat``, ``sha256sum``, ``rm``)."""
    text = stderr.lower()
    if "no space left" in text or "disk quota" in text:
        return "disk_full"
    if "permission denied" in text or "read-only file system" in text or "operation not permitted" in text:
        return "permission"
    if "no such file" in text or "not a directory" in text:
        return "not_found"
    return "io"


def blocks(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``chunks`` regrouped into blocks of at least ``size`` bytes (the last one shorter), each
    byte copied at most once."""
    parts: list[bytes] = []
    held = 0
    for chunk in chunks:
        if not chunk:
            continue
        parts.append(chunk)
        held += len(chunk)
        if held >= size:
            yield parts[0] if len(parts) == 1 else b"".join(parts)
            parts, held = [], 0
    if parts:
        yield parts[0] if len(parts) == 1 else b"".join(parts)


def credentials(dp: DistributionPoint, secrets: SecretStore | None) -> dict[str, Any]:
    """asyncssh options: a key file when ``credential`` names one, else a password from the
    secrets store; with no credential, the account's own keys (``~/.ssh/id_*``) and agent."""
    reference = dp.credential.strip()
    if not reference:
        return {}
    path = Path(reference).expanduser()
    if path.is_file() or reference.startswith(("/", "~")):
        problem = key_file_problem(str(path))
        if problem:
            raise TransportError(f"{dp.name}: {problem}", cause="key_file")
        try:
            key = asyncssh.read_private_key(str(path))
        except (asyncssh.KeyImportError, OSError) as error:  # a passphrase, a key type asyncssh does not know
            raise TransportError(f"{dp.name}: the SSH key file {path} cannot be used: {error}", cause="key_file") from None
        return {"client_keys": [key], "agent_path": None, "preferred_auth": "publickey"}
    password = secrets.password(reference) if secrets is not None else None
    if password is None:
        raise TransportError(f"{dp.name}: no password stored for {reference!r} and no key file by that name: "
                             "enter the password in the distribution point's properties", cause="auth")
    return {"password": password, "client_keys": None, "agent_path": None,
            "preferred_auth": "password,keyboard-interactive"}
