"""The SMB transport against a private smbd: what an administrator reads when the password is
wrong, the server is down or a folder is read-only, and that reassembly copies on the server."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import subprocess

import pytest

from console.core.distribution import TransportError
from console.distribution.connect import SiteTransports
from console.distribution.smb import SmbConnection, parse_address
from tests.servers.relay import CountingRelay
from tests.servers.smbd import CREDENTIAL, smb_point


@pytest.fixture
def relay(smb_server):
    """Every byte between the client and smbd goes through here and is counted."""
    counting = CountingRelay(smb_server.port).start()
    yield counting
    counting.stop()


def through(dp, relay):
    return dataclasses.replace(dp, address=dp.address.replace(f":{relay.target_port}\\", f":{relay.port}\\"))


def test_addresses_take_backslashes_or_slashes_and_an_optional_port():
    assert str(parse_address(r"\\dp01.contoso.com\SCCMContentLib$")) == r"\\dp01.contoso.com\SCCMContentLib$"
    address = parse_address("//127.0.0.1:4455/dp/site/PS1")
    assert (address.host, address.port, address.share, address.path) == ("127.0.0.1", 4455, "dp", ("site", "PS1"))
    with pytest.raises(TransportError, match="is not an SMB address: give"):
        parse_address("dp01/share")


def test_a_wrong_password_is_refused_as_authentication_and_not_retried(smb_dp, dp_secrets):
    dp_secrets.set_password(CREDENTIAL, "not-the-password")
    with pytest.raises(TransportError) as caught:
        SiteTransports(dp_secrets).connect(smb_dp)
    assert caught.value.cause == "auth"
    assert not caught.value.retryable
    message = str(caught.value)
    assert message.startswith("DP01.contoso.com: \\\\127.0.0.1:")
    assert "authentication refused (STATUS_LOGON_FAILURE)" in message
    assert "\n" not in message


def test_a_dp_without_a_stored_password_says_which_one_is_missing(smb_dp, tmp_path):
    from console.distribution.secrets import SiteSecretsFile

    with pytest.raises(TransportError, match=r"no password is stored for 'smb:DP01\.contoso\.com'") as caught:
        SiteTransports(SiteSecretsFile(tmp_path / "empty.json")).connect(smb_dp)
    assert caught.value.cause == "auth"


def test_a_stopped_server_is_unreachable_then_the_connection_recovers(private_smb_server, dp_secrets):
    dp = smb_point(private_smb_server, dp_secrets)
    conn = SiteTransports(dp_secrets).connect(dp)
    try:
        conn.write_bytes("PkgLib/PS100004.json", b"{}")
        private_smb_server.stop()
        with pytest.raises(TransportError) as during:
            conn.read_bytes("PkgLib/PS100004.json")
        assert during.value.cause == "unreachable"
        assert during.value.retryable
        with pytest.raises(TransportError, match="host unreachable") as fresh:
            SiteTransports(dp_secrets).connect(dp)
        assert fresh.value.cause == "unreachable"
        assert "DP01.contoso.com" in str(fresh.value)

        private_smb_server.start()  # the same port again: the open connection object reconnects
        assert conn.read_bytes("PkgLib/PS100004.json") == b"{}"
    finally:
        conn.close()


def test_a_read_only_share_and_a_folder_the_user_cannot_write_are_permission_denied(smb_server, dp_secrets):
    dp = smb_point(smb_server, dp_secrets)
    locked = smb_server.share / dp.address.rsplit("\\", 1)[1] / "SCCMContentLib" / "Packages"
    locked.mkdir(parents=True)  # made by root, mode 0755: the SMB user cannot write in it
    os.chown(locked.parent, *_ids(smb_server.user))
    conn = SiteTransports(dp_secrets).connect(dp)
    try:
        with pytest.raises(TransportError) as caught:
            conn.write_bytes("Packages/PS100004/boot.wim", b"x")
        assert caught.value.cause == "permission"
        assert "permission denied (STATUS_ACCESS_DENIED)" in str(caught.value)
        assert "Packages" in str(caught.value)
    finally:
        conn.close()

    read_only = dataclasses.replace(dp, address=smb_server.address("ro"), library_root="")
    conn = SiteTransports(dp_secrets).connect(read_only)
    try:
        with pytest.raises(TransportError) as caught:
            conn.write_bytes("PkgLib/PS100004.json", b"{}")
        assert caught.value.cause == "permission"
        assert not caught.value.retryable
    finally:
        conn.close()


def test_files_on_the_share_belong_to_the_smb_user(smb_server, smb_dp, dp_secrets):
    conn = SiteTransports(dp_secrets).connect(smb_dp)
    try:
        conn.write_bytes("FileLib/ab/abcd", b"data")
    finally:
        conn.close()
    written = smb_server.share / smb_dp.address.rsplit("\\", 1)[1] / "SCCMContentLib" / "FileLib" / "ab" / "abcd"
    assert written.read_bytes() == b"data"
    assert written.stat().st_uid == _ids(smb_server.user)[0]


def test_several_streams_share_one_connection(smb_dp, dp_secrets):
    from concurrent.futures import ThreadPoolExecutor

    blobs = {f"FileLib/{i:02x}/{i}": os.urandom((1 << 20) + i) for i in range(6)}
    conn = SiteTransports(dp_secrets).connect(smb_dp)
    try:
        with ThreadPoolExecutor(3) as pool:
            sizes = list(pool.map(lambda item: conn.write_stream(item[0], [item[1]]), blobs.items()))
            hashes = list(pool.map(conn.sha256, blobs))
        assert sizes == [len(b) for b in blobs.values()]
        assert hashes == [hashlib.sha256(b).hexdigest() for b in blobs.values()]
    finally:
        conn.close()


def test_concatenate_copies_on_the_server_without_sending_the_parts_again(smb_dp, dp_secrets, relay):
    parts = [os.urandom(3 << 20), os.urandom((2 << 20) + 12345)]
    conn = SiteTransports(dp_secrets).connect(through(smb_dp, relay))
    try:
        for i, data in enumerate(parts):
            conn.write_stream(f"FileLib/tmp/{i}", [data])
        before = relay.sent
        conn.concatenate(["FileLib/tmp/0", "FileLib/tmp/1"], "Packages/PS100004/.boot.wim.tmp")
        sent = relay.sent - before
        assert conn.copy_mode == "server-side copy"
        assert conn.sha256("Packages/PS100004/.boot.wim.tmp") == hashlib.sha256(b"".join(parts)).hexdigest()
    finally:
        conn.close()
    assert sent < 64 << 10, f"{sent} bytes went to the server to join {sum(map(len, parts))} bytes"


def test_without_server_side_copy_the_parts_cross_the_network(smb_dp, dp_secrets, relay):
    """The measure above means something: the read-and-write fallback sends every byte."""
    dp = through(smb_dp, relay)
    conn = SmbConnection(dp.name, parse_address(dp.address), dp.username, dp_secrets.password(CREDENTIAL) or "",
                         dp.library_root, server_copy=False)
    try:
        data = os.urandom(3 << 20)
        conn.write_stream("FileLib/tmp/0", [data])
        before = relay.sent
        conn.concatenate(["FileLib/tmp/0", "FileLib/tmp/0"], "FileLib/joined")
        assert relay.sent - before > len(data)
        assert conn.read_bytes("FileLib/joined") == data + data
        assert conn.copy_mode == "read and write"
    finally:
        conn.close()


def test_a_write_resumes_on_a_new_connection_from_the_bytes_already_there(smb_dp, dp_secrets, relay):
    data = os.urandom(4 << 20)
    dp = through(smb_dp, relay)
    first = SiteTransports(dp_secrets).connect(dp)
    first.write_stream("FileLib/tmp/boot.wim", [data[:3_000_000]])
    first.close()  # the connection dropped after 3 MB

    second = SiteTransports(dp_secrets).connect(dp)
    try:
        done = second.size("FileLib/tmp/boot.wim")
        assert done == 3_000_000
        before = relay.sent
        size = second.write_stream("FileLib/tmp/boot.wim", [data[2_500_000:]], offset=2_500_000)
        resent = relay.sent - before
        assert size == len(data)
        assert second.sha256("FileLib/tmp/boot.wim") == hashlib.sha256(data).hexdigest()
    finally:
        second.close()
    assert resent < len(data) - 2_400_000, "the bytes before the offset were sent again"


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def test_a_server_that_never_answers_times_out_within_the_bound():
    import socket
    import time

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never speaks SMB
        address = parse_address(f"//127.0.0.1:{silent.getsockname()[1]}/dp")
        started = time.monotonic()
        with pytest.raises(TransportError, match="connection timed out") as caught:
            SmbConnection("DP01.contoso.com", address, "user", "password", timeout=2)
        assert time.monotonic() - started < 10
    assert caught.value.cause == "timeout"
    assert caught.value.retryable


def test_a_server_that_stops_answering_mid_session_times_out_and_close_does_not_hang(private_smb_server, dp_secrets):
    import signal
    import time

    dp = smb_point(private_smb_server, dp_secrets)
    conn = SmbConnection(dp.name, parse_address(dp.address), dp.username, dp_secrets.password(CREDENTIAL) or "",
                         dp.library_root, silence=2)
    conn.write_bytes("PkgLib/PS100004.json", b"{}")
    group = private_smb_server.process.pid
    os.killpg(group, signal.SIGSTOP)  # smbd and its children freeze: the socket stays open, nothing answers
    try:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            conn.read_bytes("PkgLib/PS100004.json")
        assert caught.value.cause == "timeout"
        assert "connection timed out" in str(caught.value)
        conn.close()
        assert time.monotonic() - started < 20
    finally:
        os.killpg(group, signal.SIGCONT)


def test_a_port_nobody_listens_on_is_unreachable():
    from tests.servers.smbd import free_port

    with pytest.raises(TransportError, match=r"DP01.contoso.com: \\\\127.0.0.1:\d+\\dp as user: host unreachable") as caught:
        SmbConnection("DP01.contoso.com", parse_address(f"//127.0.0.1:{free_port()}/dp"), "user", "password")
    assert caught.value.cause == "unreachable"


@pytest.fixture
def small_disk(smb_server, smb_dp):
    """The DP's library on a 2 MiB tmpfs (skipped where mounting is not allowed)."""
    library = smb_server.share / smb_dp.address.rsplit("\\", 1)[1] / "SCCMContentLib"
    library.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(library)],
                             capture_output=True, text=True, timeout=30, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs: {mounted.stderr.strip()}")
    shutil.chown(library, smb_server.user, smb_server.user)
    yield smb_dp
    with contextlib.suppress(subprocess.SubprocessError):
        subprocess.run(["umount", "-l", str(library)], capture_output=True, timeout=30, check=False)


def test_a_full_disk_is_named_as_such(small_disk, dp_secrets):
    conn = SiteTransports(dp_secrets).connect(small_disk)
    try:
        assert conn.free_space() <= 2 << 20
        with pytest.raises(TransportError) as caught:
            conn.write_stream("FileLib/big", [b"\0" * (3 << 20)])
        assert (caught.value.cause, caught.value.retryable) == ("disk_full", True)
        assert "FileLib\\big: disk full (STATUS_DISK_FULL)" in str(caught.value)
        conn.remove("FileLib/big")
        conn.write_stream("FileLib/a", [b"a" * (1200 << 10)])
        with pytest.raises(TransportError) as joined:
            conn.concatenate(["FileLib/a", "FileLib/a"], "Packages/PS100004/boot.wim")
        assert joined.value.cause == "disk_full"
    finally:
        conn.close()
