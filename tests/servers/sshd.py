"""A private OpenSSH server for the SSH transport's tests (Debian's ``openssh-server``).

``/usr/sbin/sshd -D -e -f CONFIG -p PORT`` listens on 127.0.0.1 and a free high port, with a
host key made by ``ssh-keygen`` for this run and a private configuration: no PAM, ``StrictModes
no`` (the keys live in a temporary folder), ``AuthorizedKeysFile`` a file of ours, SFTP served by
``sftp-server`` logging every open and close to a file (``sftp_log``), only the test user
allowed in.

sshd refuses root by default, and root would make permission tests meaningless, so the session
creates an unprivileged user (``useradd``, a name unique to this test process, a random password
set with ``chpasswd``: an account with a locked password cannot log in without PAM) and deletes
it at the end. The fixtures skip with the reason when this cannot be done (not root, no sshd).
Clients trust the server through ``known_hosts``, a file made from the host key.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from console.core.distribution import DistributionPoint, TransportKind

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
START_SECONDS = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keygen(path: Path, comment: str = "bootimage-tests") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, capture_output=True, timeout=30)
    return path


@dataclass
class SshUser:
    """An unprivileged account the server lets in, with a key pair and a password."""

    name: str
    home: Path
    password: str
    key: Path  # private key file (its public half is authorized)
    uid: int = 0
    gid: int = 0

    def own(self, path: Path) -> Path:
        os.chown(path, self.uid, self.gid)
        return path


@dataclass
class SshServer:
    root: Path
    user: SshUser
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    known_hosts: Path = field(default_factory=Path)

    @property
    def log(self) -> str:
        path = self.root / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, port: int | None = None) -> None:
        """Start sshd (on ``port``, e.g. its previous one; None: a free port) and wait (bounded)
        until it answers with its banner."""
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
        self.port = port or free_port()
        config = self.root / f"sshd_config.{self.port}"
        config.write_text("\n".join([
            "ListenAddress 127.0.0.1",
            f"HostKey {self.root / 'host_key'}",
            f"PidFile {self.root / f'sshd.{self.port}.pid'}",
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}",
            "StrictModes no", "UsePAM no", "UseDNS no", "PrintMotd no", "PermitRootLogin no",
            f"AllowUsers {self.user.name}",
            "PubkeyAuthentication yes", "PasswordAuthentication yes", "KbdInteractiveAuthentication no",
            "MaxStartups 100", "MaxSessions 100", "LogLevel VERBOSE",
            f"Subsystem sftp {self.sftp_subsystem()}", "",
        ]))
        log = open(self.root / "sshd.log", "ab")  # noqa: SIM115 - the server writes it until stopped
        try:
            self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config), "-p", str(self.port)],
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        finally:
            log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited with {self.process.returncode}: {self.log[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.settimeout(2)
                if sock.recv(64).startswith(b"SSH-"):
                    host_key = (self.root / "host_key.pub").read_text().split()
                    with open(self.known_hosts, "a") as known:
                        known.write(f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n")
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not answer on 127.0.0.1:{self.port} within {START_SECONDS:.0f} s: {self.log[-2000:]}")

    def stop(self) -> None:
        """Stop the server and its session processes (as a server going down would)."""
        if self.process is not None and self.process.poll() is None:
            for pid in descendants(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def another(self) -> SshServer:
        """A second server (not started) for the same user, host key and known_hosts."""
        return SshServer(self.root, self.user, known_hosts=self.known_hosts)

    @property
    def sftp_log(self) -> str:
        """What the SFTP server logged (every open and close, with bytes read and written)."""
        path = self.root / "sftp.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sftp_subsystem(self) -> str:
        if not Path(SFTP_SERVER).exists():
            return "internal-sftp"
        log = self.root / "sftp.log"
        log.touch()
        self.user.own(log)
        return f"{SFTP_SERVER} -e -l INFO 2>>{log}"  # run by the user's shell: stderr goes to the log

    def address(self, path: Path | str) -> str:
        return f"{self.user.name}@127.0.0.1:{self.port}:{path}"

    def folder(self, name: str) -> Path:
        """A fresh folder in the user's home, owned by the user."""
        path = self.user.home / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir()
        return self.user.own(path)

    def dp(self, folder: Path, **fields: object) -> DistributionPoint:
        values: dict[str, object] = {"name": "DP02.contoso.com", "transport": TransportKind.SSH,
                                     "address": self.address(folder), "site_code": "PS1",
                                     "credential": str(self.user.key)}
        values.update(fields)
        return DistributionPoint(**values)  # type: ignore[arg-type]

    def ssh_options(self) -> list[str]:
        """OpenSSH client options for this server (``ssh``, ``sftp``, ``scp``)."""
        return ["-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-i", str(self.user.key)]


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them (read from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2:].split()[1])
                parents.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo and len(found) < 10_000:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def unavailable() -> str:
    if os.geteuid() != 0:
        return "the sshd fixture creates a test user: run the tests as root (CI does)"
    if not Path(SSHD).exists():
        return "openssh-server is not installed (`make` installs packaging/debian-packages.txt)"
    for tool in ("ssh-keygen", "useradd", "userdel", "chpasswd"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return ""


USER_PREFIX = "bic_ssh_"


def remove_stale_users() -> None:
    """Test users left behind by a test process that was killed (its pid is gone)."""
    for entry in pwd.getpwall():
        if entry.pw_name.startswith(USER_PREFIX) and entry.pw_name[len(USER_PREFIX):].isdigit():
            try:
                os.kill(int(entry.pw_name[len(USER_PREFIX):]), 0)
            except ProcessLookupError:
                remove_user(entry.pw_name)
            except OSError:
                pass


def account_tool(command: list[str], stdin: str = "") -> None:
    """useradd/chpasswd, again for a while when another process holds /etc/passwd's lock."""
    for attempt in range(20):
        result = subprocess.run(command, input=stdin.encode(), capture_output=True, timeout=60)
        if result.returncode == 0:
            return
        if b"lock" not in result.stderr.lower() or attempt == 19:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace').strip()}")
        time.sleep(0.25)


def create(root: Path) -> SshServer:
    """The server's files and its user (not started)."""
    remove_stale_users()
    name = f"{USER_PREFIX}{os.getpid()}"
    home = root / "home"
    home.mkdir()
    password = secrets.token_urlsafe(12)
    account_tool(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh", "--comment",
                  "bootimage-console tests", name])
    account_tool(["chpasswd"], f"{name}:{password}\n")
    entry = pwd.getpwnam(name)
    user = SshUser(name, home, password, keygen(root / "client_key"), entry.pw_uid, entry.pw_gid)
    user.own(home)
    keygen(root / "host_key", "host")
    (root / "authorized_keys").write_text((root / "client_key.pub").read_text())
    (root / "authorized_keys").chmod(0o644)
    return SshServer(root, user, known_hosts=root / "known_hosts")


def remove_user(name: str) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(["userdel", "--force", name], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def sshd_server() -> Iterator[SshServer]:
    """One sshd and its user for the test session."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="bootimage-sshd-"))
    root.chmod(0o755)  # the user reads authorized_keys and reaches its home through it
    server = None
    try:
        server = create(root)
        server.start()
        yield server
    finally:
        if server is not None:
            server.stop()
            remove_user(server.user.name)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def ssh_dp(sshd_server: SshServer, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> DistributionPoint:
    """A DP in a fresh folder on the session's sshd, reached with the user's key; clients trust
    the server through its known_hosts (``BOOTIMAGE_SSH_KNOWN_HOSTS``)."""
    monkeypatch.setenv("BOOTIMAGE_SSH_KNOWN_HOSTS", str(sshd_server.known_hosts))
    return sshd_server.dp(sshd_server.folder(f"dp-{secrets.token_hex(4)}"))
