"""The SSH transport against a private sshd: what an administrator reads when the credentials,
the server, the permissions or the disk are wrong, and the work done on the server."""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from console.core.distribution import TransportError
from console.distribution.connect import SiteTransports
from console.distribution.ssh import SshTimeouts, connect_ssh
from tests.servers.sshd import SshServer, descendants, keygen


class Secrets:
    """The site secrets as ``SecretStore`` gives them: reference -> password."""

    def __init__(self, **passwords: str) -> None:
        self.passwords = passwords

    def password(self, reference: str) -> str | None:
        return self.passwords.get(reference)

    def set_password(self, reference: str, password: str) -> None:
        self.passwords[reference] = password

    def forget(self, reference: str) -> None:
        self.passwords.pop(reference, None)


def refused(dp, secrets=None, **options) -> TransportError:
    with pytest.raises(TransportError) as caught:
        connect_ssh(dp, secrets, **options).close()
    return caught.value


def test_a_wrong_key_is_refused_as_authentication_and_not_retried(sshd_server: SshServer, ssh_dp, tmp_path):
    dp = sshd_server.dp(Path(ssh_dp.address.rsplit(":", 1)[1]), credential=str(keygen(tmp_path / "stranger")))
    error = refused(dp)
    assert error.cause == "auth"
    assert not error.retryable
    assert error.message.startswith("DP02.contoso.com: 127.0.0.1:")
    assert "authentication refused" in error.message
    assert "\n" not in error.message

    missing = refused(sshd_server.dp(Path(ssh_dp.address.rsplit(":", 1)[1]), credential=str(tmp_path / "gone")))
    assert (missing.cause, missing.retryable) == ("key_file", False)  # not "authentication refused"
    assert missing.message == (f"DP02.contoso.com: the SSH key file {tmp_path / 'gone'} does not exist; give the path "
                               "of the private key (such as ~/.ssh/id_ed25519)")
    public = Path(f"{keygen(tmp_path / 'mine')}.pub")
    wrong = refused(sshd_server.dp(Path(ssh_dp.address.rsplit(":", 1)[1]), credential=str(public)))
    assert wrong.cause == "key_file" and "holds a public key" in wrong.message


def test_a_password_from_the_secrets_store_logs_in_and_a_wrong_one_is_refused(sshd_server: SshServer, ssh_dp):
    folder = Path(ssh_dp.address.rsplit(":", 1)[1])
    dp = sshd_server.dp(folder, credential="dp02-password")
    conn = connect_ssh(dp, Secrets(**{"dp02-password": sshd_server.user.password}))
    conn.write_bytes("PkgLib/PS100004.json", b"{}")
    conn.close()
    assert (folder / "SCCMContentLib" / "PkgLib" / "PS100004.json").read_bytes() == b"{}"

    error = refused(dp, Secrets(**{"dp02-password": "not-the-password"}))
    assert (error.cause, error.retryable) == ("auth", False)
    assert "authentication refused" in error.message

    error = refused(dp, Secrets())
    assert error.cause == "auth"
    assert "no password stored for 'dp02-password'" in error.message


def test_the_user_name_may_come_from_the_dp_instead_of_the_address(sshd_server: SshServer, ssh_dp):
    folder = Path(ssh_dp.address.rsplit(":", 1)[1])
    dp = sshd_server.dp(folder, address=f"127.0.0.1:{sshd_server.port}:{folder}", username=sshd_server.user.name)
    conn = SiteTransports().connect(dp)
    try:
        assert conn.listdir("") == []
        assert (folder / "SCCMContentLib").stat().st_uid == sshd_server.user.uid
    finally:
        conn.close()


def test_a_server_whose_host_key_is_not_trusted_is_refused(ssh_dp, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    error = refused(ssh_dp, known_hosts=str(empty))
    assert error.cause == "auth"
    assert f"host key is not in {empty}" in error.message

    missing = refused(ssh_dp, known_hosts=str(tmp_path / "absent"))
    assert missing.cause == "auth"
    assert "known_hosts file" in missing.message


def test_a_stopped_server_is_unreachable_and_retryable(sshd_server: SshServer, ssh_dp):
    server = sshd_server.another()
    server.start()
    try:
        dp = server.dp(Path(ssh_dp.address.rsplit(":", 1)[1]))
        conn = SiteTransports().connect(dp)
        conn.write_bytes("PkgLib/a.json", b"1")
        server.stop()
        with pytest.raises(TransportError) as during:
            conn.write_bytes("PkgLib/b.json", b"2")
        with pytest.raises(TransportError) as hashing:
            conn.sha256("PkgLib/a.json")
        conn.close()
        assert hashing.value.cause == "unreachable", hashing.value.message
        assert (during.value.cause, during.value.retryable) == ("unreachable", True), during.value.message
        assert during.value.message.startswith("DP02.contoso.com: PkgLib/b")

        error = refused(dp)
        assert (error.cause, error.retryable) == ("unreachable", True)
        assert f"127.0.0.1:{server.port}" in error.message
        assert "connection refused" in error.message
    finally:
        server.stop()


def test_a_server_stopped_mid_stream_is_unreachable_and_leaves_a_prefix_to_resume_from(sshd_server: SshServer, ssh_dp):
    server = sshd_server.another()
    server.start()
    data = bytes(range(241)) * 100_000  # ~24 MB
    try:
        folder = Path(ssh_dp.address.rsplit(":", 1)[1])
        dp = server.dp(folder)
        conn = SiteTransports().connect(dp)

        def chunks():
            for start in range(0, len(data), 1 << 20):
                if start == 20 << 20:  # the first 4 MiB block has been acknowledged by now
                    server.stop()  # sshd and its sessions go away mid-file
                yield data[start:start + (1 << 20)]

        with pytest.raises(TransportError) as caught:
            conn.write_stream("Temp/boot.wim.part", chunks())
        conn.close()
        assert (caught.value.cause, caught.value.retryable) == ("unreachable", True), caught.value.message
        assert caught.value.message.startswith("DP02.contoso.com: Temp/boot.wim.part: host unreachable")
        kept = (folder / "SCCMContentLib" / "Temp" / "boot.wim.part").read_bytes()
        assert 4 << 20 <= len(kept) <= 20 << 20
        assert kept == data[:len(kept)]  # a prefix: the next run resumes from its size

        server.start()
        again = server.dp(folder)
        resumed = SiteTransports().connect(again)
        try:
            size = resumed.size("Temp/boot.wim.part")
            assert resumed.write_stream("Temp/boot.wim.part", [data[size:]], offset=size) == len(data)
            assert resumed.sha256("Temp/boot.wim.part") == hashlib.sha256(data).hexdigest()
        finally:
            resumed.close()
    finally:
        server.stop()


def test_a_server_that_never_answers_times_out(ssh_dp):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts TCP, never speaks SSH
        port = silent.getsockname()[1]
        dp = ssh_dp.__class__(**{**ssh_dp.__dict__, "address": f"127.0.0.1:{port}:/srv/dp"})
        started = time.monotonic()
        error = refused(dp, timeouts=SshTimeouts(connect=1.0))
    assert time.monotonic() - started < 15
    assert (error.cause, error.retryable) == ("timeout", True)


def test_a_server_that_stops_answering_mid_session_times_out_instead_of_hanging(sshd_server: SshServer, ssh_dp):
    server = sshd_server.another()
    server.start()
    try:
        dp = server.dp(Path(ssh_dp.address.rsplit(":", 1)[1]))
        conn = connect_ssh(dp, timeouts=SshTimeouts(operation=2.0))
        conn.write_bytes("PkgLib/a.json", b"1")
        assert server.process is not None
        sessions = descendants(server.process.pid)
        for pid in sessions:
            os.kill(pid, signal.SIGSTOP)  # the server hangs (a stalled disk, a frozen VM)
        try:
            started = time.monotonic()
            with pytest.raises(TransportError) as caught:
                conn.write_stream("FileLib/big", [b"x" * (8 << 20)])
            assert time.monotonic() - started < 20
        finally:
            for pid in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
        conn.close()
        assert (caught.value.cause, caught.value.retryable) == ("timeout", True), caught.value.message
        assert caught.value.message.startswith("DP02.contoso.com: FileLib/big: connection timed out")
    finally:
        server.stop()


def test_two_threads_stream_through_one_connection(ssh_dp):
    conn = SiteTransports().connect(ssh_dp)
    blobs = {f"FileLib/{n}/blob": bytes([n]) * (3 << 20) + bytes(range(256)) for n in range(4)}
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            sizes = list(pool.map(lambda item: conn.write_stream(item[0], iter([item[1][:1 << 20], item[1][1 << 20:]])),
                                  blobs.items()))
            hashes = list(pool.map(conn.sha256, blobs))
            back = list(pool.map(lambda name: b"".join(conn.read_stream(name, block=300_000)), blobs))
        assert sizes == [len(b) for b in blobs.values()]
        assert hashes == [hashlib.sha256(b).hexdigest() for b in blobs.values()]
        assert back == list(blobs.values())
    finally:
        conn.close()


class Stopped(Exception):
    """The caller's own reason to stop a stream (a cancelled job, an unreadable source)."""


def test_an_error_of_the_callers_chunks_passes_unchanged_and_the_connection_stays_usable(ssh_dp):
    def chunks():
        yield b"a" * (5 << 20)
        yield b"b" * (5 << 20)
        raise Stopped("job cancelled")

    conn = SiteTransports().connect(ssh_dp)
    try:
        with pytest.raises(Stopped):
            conn.write_stream("FileLib/tmp/part", chunks())
        size = conn.size("FileLib/tmp/part")  # what was sent stays for a resume, without holes
        assert size == 10 << 20
        assert conn.sha256("FileLib/tmp/part") == hashlib.sha256(b"a" * (5 << 20) + b"b" * (5 << 20)).hexdigest()
        assert conn.write_stream("FileLib/tmp/part", [b"c"], offset=3) == 4
        assert conn.read_bytes("FileLib/tmp/part") == b"aaac"
    finally:
        conn.close()


def test_a_folder_the_user_may_not_write_is_permission_denied(sshd_server: SshServer, ssh_dp):
    conn = SiteTransports().connect(ssh_dp)
    try:
        library = Path(ssh_dp.address.rsplit(":", 1)[1]) / "SCCMContentLib"
        locked = library / "Packages"
        locked.mkdir(mode=0o755)  # owned by root: the DP's account cannot write here
        secret = library / "secret.bin"
        secret.write_bytes(b"x")
        secret.chmod(0o600)
        with pytest.raises(TransportError) as caught:
            conn.write_stream("Packages/PS100004/boot.wim", [b"data"])
        assert (caught.value.cause, caught.value.retryable) == ("permission", False)
        assert caught.value.message.startswith("DP02.contoso.com: Packages/PS100004/boot.wim: permission denied")
        with pytest.raises(TransportError) as read:
            conn.read_bytes("secret.bin")
        assert read.value.cause == "permission"
        with pytest.raises(TransportError) as hashed:
            conn.sha256("secret.bin")
        assert hashed.value.cause == "permission"
    finally:
        conn.close()


def test_sha256_is_computed_on_the_server_without_reading_the_file_back(sshd_server: SshServer, ssh_dp):
    conn = SiteTransports().connect(ssh_dp)
    try:
        data = bytes(range(256)) * 4096
        conn.write_stream("FileLib/ab12/ab12", [data])
        on_disk = Path(ssh_dp.address.rsplit(":", 1)[1]) / "SCCMContentLib" / "FileLib" / "ab12" / "ab12"
        flipped = bytearray(on_disk.read_bytes())
        flipped[1000] ^= 0xFF
        on_disk.write_bytes(bytes(flipped))  # a byte flipped on the server, not through SFTP
        log_before = len(sshd_server.sftp_log)
        assert conn.sha256("FileLib/ab12/ab12") == hashlib.sha256(flipped).hexdigest()
        assert f'open "{on_disk}" flags WRITE' in sshd_server.sftp_log[:log_before]  # it logs every open...
        assert f'"{on_disk}"' not in sshd_server.sftp_log[log_before:]  # ...and sent no byte of this file
    finally:
        conn.close()


def test_a_write_resumes_on_a_new_connection_from_the_bytes_already_there(ssh_dp):
    data = bytes(range(251)) * 40_000  # ~10 MB, several pipelined blocks
    first = SiteTransports().connect(ssh_dp)
    first.write_stream("FileLib/tmp/boot.wim.part", [data[:6_000_000]])
    first.close()  # the connection drops
    second = SiteTransports().connect(ssh_dp)
    try:
        done = second.size("FileLib/tmp/boot.wim.part")
        assert done == 6_000_000
        chunks = (data[i:i + 65536] for i in range(done, len(data), 65536))
        assert second.write_stream("FileLib/tmp/boot.wim.part", chunks, offset=done) == len(data)
        assert second.sha256("FileLib/tmp/boot.wim.part") == hashlib.sha256(data).hexdigest()
    finally:
        second.close()


@pytest.fixture
def small_disk(sshd_server: SshServer, ssh_dp):
    """The DP's library on a 2 MiB tmpfs (skipped where mounting is not allowed)."""
    library = Path(ssh_dp.address.rsplit(":", 1)[1]) / "SCCMContentLib"
    library.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(library)],
                             capture_output=True, text=True, timeout=30)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs: {mounted.stderr.strip()}")
    sshd_server.user.own(library)
    yield ssh_dp
    with contextlib.suppress(subprocess.SubprocessError):
        subprocess.run(["umount", "-l", str(library)], capture_output=True, timeout=30)


def test_a_full_disk_is_named_as_such(small_disk):
    conn = SiteTransports().connect(small_disk)
    try:
        assert conn.free_space() <= 2 << 20
        with pytest.raises(TransportError) as caught:
            conn.write_stream("FileLib/big", [b"\0" * (3 << 20)])
        assert (caught.value.cause, caught.value.retryable) == ("disk_full", True)
        assert caught.value.message.startswith("DP02.contoso.com: FileLib/big: disk full")
        conn.remove("FileLib/big")
        conn.write_stream("FileLib/a", [b"a" * (1200 << 10)])
        with pytest.raises(TransportError) as joined:
            conn.concatenate(["FileLib/a", "FileLib/a"], "Packages/PS100004/boot.wim")
        assert joined.value.cause == "disk_full"
    finally:
        conn.close()


def test_a_batch_written_under_deferred_sync_lands_in_new_folders_and_is_synced_once(sshd_server: SshServer, ssh_dp):
    conn = SiteTransports().connect(ssh_dp)
    library = Path(ssh_dp.address.rsplit(":", 1)[1]) / "SCCMContentLib"
    try:
        with conn.deferred_sync():
            with conn.deferred_sync():  # nested: the outer one syncs
                conn.write_stream("FileLib/ab12/ab12", [b"a" * 1000])
            conn.write_stream("FileLib/cd34/cd34", [b"c" * 1000])
            conn.write_stream("FileLib/tmp/x", [b"x"])
            conn.rename("FileLib/tmp/x", "Packages/PS100004/x")  # the destination folder is new
            conn.concatenate(["FileLib/ab12/ab12", "FileLib/cd34/cd34"], "Packages/PS100005/boot.wim")
        assert (library / "FileLib" / "ab12" / "ab12").read_bytes() == b"a" * 1000
        assert (library / "Packages" / "PS100004" / "x").read_bytes() == b"x"
        assert (library / "Packages" / "PS100005" / "boot.wim").read_bytes() == b"a" * 1000 + b"c" * 1000
        assert sorted(conn.listdir("FileLib")) == ["ab12", "cd34", "tmp"]
        with pytest.raises(TransportError) as caught:
            conn.rename("FileLib/tmp/absent", "Packages/PS100006/absent")
        assert caught.value.cause == "not_found"
        assert not (library / "Packages" / "PS100006").exists()
    finally:
        conn.close()
