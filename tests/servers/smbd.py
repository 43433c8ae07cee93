r"""A private Samba server for the SMB transport tests: its own smb.conf, state, lock, private,
pid and log folders in a temporary folder, listening on 127.0.0.1 and a free high port, a
share ``dp`` (read-write) and a share ``ro`` (read only), and a Unix user made for the test
run whose files smbd writes (removed at the end).

Fixtures: ``smb_server`` (one for the session), ``private_smb_server`` (one per test, for tests
that stop it), ``dp_secrets`` (a site secrets file in the test's folder) and ``smb_dp`` (a
``DistributionPoint`` on a fresh folder of the ``dp`` share, its password in ``dp_secrets``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.core.distribution import DistributionPoint, TransportKind
from console.distribution.secrets import SiteSecretsFile

PASSWORD = "Dp-Secret-1"
CREDENTIAL = "smb:DP01.contoso.com"
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


CONF = """[global]
  server role = standalone server
  smb ports = {port}
  interfaces = 127.0.0.1
  bind interfaces only = yes
  disable netbios = yes
  state directory = {state}
  lock directory = {state}
  cache directory = {state}
  private dir = {state}
  pid directory = {state}
  ncalrpc dir = {state}/ncalrpc
  binddns dir = {state}/bind-dns
  usershare path = {state}/usershares
  usershare max shares = 0
  log file = {state}/log.%m
  passdb backend = tdbsam:{state}/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  server min protocol = SMB2_10
[dp]
  path = {root}/dp
  read only = no
  valid users = {user}
[ro]
  path = {root}/ro
  read only = yes
  valid users = {user}
"""


class SmbServer:
    def __init__(self, root: Path, user: str, password: str = PASSWORD) -> None:
        self.root = root
        self.user = user
        self.password = password
        self.port = free_port()
        self.conf = root / "smb.conf"
        self.process: subprocess.Popen[bytes] | None = None
        state = root / "state"
        for folder in (state, state / "usershares", root / "dp", root / "ro"):
            folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(root / "dp", user, user)
        self.conf.write_text(CONF.format(port=self.port, state=state, root=root, user=user))
        subprocess.run(["smbpasswd", "-c", str(self.conf), "-a", "-s", user], input=f"{password}\n{password}\n",
                       text=True, capture_output=True, timeout=30, check=True)

    @property
    def share(self) -> Path:
        """The ``dp`` share's folder on this machine."""
        return self.root / "dp"

    def address(self, share: str = "dp", *folders: str) -> str:
        return "\\".join([f"\\\\127.0.0.1:{self.port}", share, *folders])

    def start(self) -> None:
        log = open(self.root / "smbd.out", "ab")  # noqa: SIM115 - kept open for the process
        # In the foreground smbd exits when its stdin closes (so it gets a pipe, closed at stop)
        # and signals its whole process group when it stops (so it gets a session of its own).
        self.process = subprocess.Popen(
            ["smbd", "--foreground", "--no-process-group", "--debug-stdout", "-s", str(self.conf)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.root / "smbd.out").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"smbd did not start on port {self.port}:\n{output}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # smbd and its children, started in their own group
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@contextlib.contextmanager
def unix_user() -> Iterator[str]:
    """A Unix user for smbd to write files as (the SMB user maps onto it)."""
    if os.geteuid() != 0:
        pytest.skip("the SMB tests need root to run smbd and make its test user")
    if shutil.which("smbd") is None or shutil.which("smbpasswd") is None:
        pytest.skip("Samba (smbd, smbpasswd) is not installed: apt-get install samba")
    name = f"bismb{os.getpid() % 1000000}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                   capture_output=True, timeout=30, check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True, timeout=30, check=False)


@contextlib.contextmanager
def running_server(user: str) -> Iterator[SmbServer]:
    root = Path(tempfile.mkdtemp(prefix="bootimage-smbd-"))
    root.chmod(0o755)  # smbd reaches the shares as the test user
    server = SmbServer(root, user)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def smb_user() -> Iterator[str]:
    with unix_user() as name:
        yield name


@pytest.fixture(scope="session")
def smb_server(smb_user: str) -> Iterator[SmbServer]:
    with running_server(smb_user) as server:
        yield server


@pytest.fixture
def private_smb_server(smb_user: str) -> Iterator[SmbServer]:
    """A server of the test's own, which it may stop."""
    with running_server(smb_user) as server:
        yield server


@pytest.fixture
def dp_secrets(tmp_path: Path) -> SiteSecretsFile:
    return SiteSecretsFile(tmp_path / "site-secrets.json")


def smb_point(server: SmbServer, secrets: SiteSecretsFile, *, folder: str | None = None) -> DistributionPoint:
    """A DP on a fresh folder of ``server``'s ``dp`` share, its password stored in ``secrets``."""
    name = folder or f"dp-{uuid.uuid4().hex[:8]}"
    (server.share / name).mkdir()
    shutil.chown(server.share / name, server.user, server.user)
    secrets.set_password(CREDENTIAL, server.password)
    return DistributionPoint(name="DP01.contoso.com", transport=TransportKind.SMB, address=server.address("dp", name),
                             site_code="PS1", username=server.user, credential=CREDENTIAL)


@pytest.fixture
def smb_dp(smb_server: SmbServer, dp_secrets: SiteSecretsFile) -> DistributionPoint:
    return smb_point(smb_server, dp_secrets)
