"""SFTP benchmark (``make bench``): a 256 MiB file sent to a private sshd on loopback with our SSH
transport (asyncssh, pipelined SFTP) against OpenSSH's own ``sftp -b`` client, in the same run.

Each contender sends the same file ``ROUNDS`` times, alternating; the best round of each counts
(the machine is shared). Both are timed as a user sees them: connect, authenticate, send, close
(``sftp`` as a whole process). OpenSSH runs twice: with its default cipher (ChaCha20-Poly1305)
and with AES-128-GCM, the cipher our transport prefers.

Where the time goes: CPU seconds of the client (our process; ``sftp`` and its ``ssh``) and of
the server (sshd's session processes and ``sftp-server``, read from the listener's
``cutime``/``cstime`` in /proc, which collect its children's time) are printed per contender.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from console.distribution.connect import SiteTransports
from tests.servers.sshd import SshServer, descendants, sshd_server  # noqa: F401 - the private sshd

pytestmark = pytest.mark.bench

SIZE = 256 * 1024 * 1024
ROUNDS = 5
MIN_MB_S = 80.0


def chunks(path: Path, block: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while data := handle.read(block):
            yield data


@dataclass
class Round:
    wall: float
    client_cpu: float
    server_cpu: float


class ServerCpu(threading.Thread):
    """CPU seconds of sshd's session processes and sftp-server, sampled every 20 ms from /proc
    (their times vanish when they exit: sshd does not collect them in its cutime)."""

    def __init__(self, server: SshServer) -> None:
        super().__init__(daemon=True)
        assert server.process is not None
        self.listener = server.process.pid
        self.seen: dict[tuple[int, str], float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.done.wait(0.02):
            for pid in descendants(self.listener):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = Path(f"/proc/{pid}/stat").read_text()
                    fields = stat[stat.rindex(")") + 2:].split()
                    self.seen[(pid, fields[19])] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    def stop(self) -> float:
        self.done.set()
        self.join(10)
        return sum(self.seen.values())


def measured(server: SshServer, send: Callable[[], None], children: bool) -> Round:
    sampler = ServerCpu(server)
    sampler.start()
    before, started = os.times(), time.perf_counter()
    send()
    wall = time.perf_counter() - started
    after = os.times()
    client = (after.children_user + after.children_system - before.children_user - before.children_system
              if children else after.user + after.system - before.user - before.system)
    return Round(wall, client, sampler.stop())


def ours(server: SshServer, folder: Path, source: Path) -> None:
    dp = server.dp(folder, library_root="")
    conn = SiteTransports(ssh_known_hosts=str(server.known_hosts)).connect(dp)
    size = conn.write_stream("ours.bin", chunks(source))
    conn.close()
    assert size == SIZE


def openssh(server: SshServer, folder: Path, source: Path, cipher: str = "") -> None:
    batch = folder.parent / "batch.txt"
    batch.write_text(f"put {source} {folder}/openssh.bin\n")
    command = ["sftp", "-q", "-b", str(batch), *server.ssh_options(), "-P", str(server.port)]
    if cipher:
        command += ["-c", cipher]
    subprocess.run([*command, f"{server.user.name}@127.0.0.1"], check=True, capture_output=True, timeout=600)
    assert (folder / "openssh.bin").stat().st_size == SIZE


def test_sftp_to_loopback_sshd_at_80_mb_s_and_against_openssh(sshd_server: SshServer, tmp_path):  # noqa: F811
    if shutil.which("sftp") is None:
        pytest.skip("OpenSSH's sftp client is not installed (openssh-client)")
    source = tmp_path / "boot.wim"
    with open(source, "wb") as handle:  # incompressible, in the page cache for every contender alike
        for _ in range(SIZE // (16 << 20)):
            handle.write(os.urandom(16 << 20))
    senders: dict[str, Callable[[Path], None]] = {
        "ours": lambda folder: ours(sshd_server, folder, source),
        "openssh": lambda folder: openssh(sshd_server, folder, source),
        "openssh-aes128-gcm": lambda folder: openssh(sshd_server, folder, source, "aes128-gcm@openssh.com"),
    }
    rounds: dict[str, list[Round]] = {name: [] for name in senders}
    for _ in range(ROUNDS):
        for name, send in senders.items():
            folder = sshd_server.folder("bench")
            rounds[name].append(measured(sshd_server, partial(send, folder), children=name != "ours"))
            shutil.rmtree(folder)
    rates = {name: SIZE / min(r.wall for r in values) / 1e6 for name, values in rounds.items()}
    print(f"\nSFTP upload of {SIZE >> 20} MiB to sshd on 127.0.0.1, best of {ROUNDS} (connect to close):")
    for name, values in rounds.items():
        best = min(values, key=lambda r: r.wall)
        print(f"  {name:20s} {rates[name]:7.1f} MB/s   best round: wall {best.wall:.2f} s, client CPU "
              f"{best.client_cpu:.2f} s, server CPU {best.server_cpu:.2f} s;  all: "
              + ", ".join(f"{r.wall:.2f}" for r in values))
    print(f"  ratio ours / openssh (default cipher): {rates['ours'] / rates['openssh']:.2f}")
    print(f"  ratio ours / openssh (aes128-gcm):     {rates['ours'] / rates['openssh-aes128-gcm']:.2f}")
    best_openssh = max(rates["openssh"], rates["openssh-aes128-gcm"])
    assert rates["ours"] >= MIN_MB_S, (
        f"our SFTP upload ran at {rates['ours']:.1f} MB/s (< {MIN_MB_S:.0f}); OpenSSH's sftp reached "
        f"{best_openssh:.1f} MB/s in the same run, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
