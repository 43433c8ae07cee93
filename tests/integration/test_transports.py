"""Every transport behaves the same against its real server (folder: the file system; SSH:
a private sshd; SMB: a private smbd — their fixtures add themselves to TRANSPORTS)."""

from __future__ import annotations

import hashlib

import pytest

from console.core.distribution import DistributionPoint, TransportError, TransportKind
from console.distribution.connect import SiteTransports

#: fixture names that give a DistributionPoint on a real server (the SMB and SSH fixtures add theirs)
TRANSPORTS = ["folder_dp", "smb_dp"]


@pytest.fixture
def folder_dp(tmp_path):
    root = tmp_path / "dp01"
    root.mkdir()
    return DistributionPoint(name="DP01.contoso.com", transport=TransportKind.FOLDER, address=str(root), site_code="PS1")


@pytest.fixture(params=TRANSPORTS)
def connection(request, dp_secrets):
    dp = request.getfixturevalue(request.param)
    conn = SiteTransports(dp_secrets).connect(dp)  # the DP's password, if any, is in dp_secrets
    yield conn
    conn.close()


def test_a_small_file_is_written_read_back_listed_and_removed(connection):
    connection.write_bytes("PkgLib/PS100004.json", b'{"current": 3}')
    assert connection.read_bytes("PkgLib/PS100004.json") == b'{"current": 3}'
    assert connection.listdir("PkgLib") == ["PS100004.json"]
    assert connection.size("PkgLib/PS100004.json") == 14
    connection.remove("PkgLib/PS100004.json")
    assert not connection.exists("PkgLib/PS100004.json")
    assert connection.size("PkgLib/PS100004.json") is None
    connection.remove("PkgLib/PS100004.json")  # absent: no error


def test_a_stream_resumes_from_an_offset_and_hashes_on_the_server(connection):
    data = bytes(range(256)) * 8192  # 2 MiB
    connection.write_stream("FileLib/tmp/part", [data[:700_000]])
    size = connection.write_stream("FileLib/tmp/part", [data[500_000:]], offset=500_000)
    assert size == len(data)
    assert connection.sha256("FileLib/tmp/part") == hashlib.sha256(data).hexdigest()
    assert b"".join(connection.read_stream("FileLib/tmp/part")) == data


def test_parts_are_concatenated_on_the_server_and_renamed_into_place(connection):
    connection.write_bytes("FileLib/a", b"first ")
    connection.write_bytes("FileLib/b", b"second")
    connection.concatenate(["FileLib/a", "FileLib/b"], "Packages/PS100004/.boot.wim.tmp")
    connection.rename("Packages/PS100004/.boot.wim.tmp", "Packages/PS100004/boot.PS100004.wim")
    assert connection.read_bytes("Packages/PS100004/boot.PS100004.wim") == b"first second"
    assert connection.listdir("Packages/PS100004") == ["boot.PS100004.wim"]
    assert connection.free_space() > 0


def test_paths_outside_the_library_are_refused(connection):
    with pytest.raises(TransportError):
        connection.read_bytes("../etc/passwd")


def test_a_missing_file_is_named_as_not_found(connection):
    with pytest.raises(TransportError) as caught:
        connection.read_bytes("DataLib/PS100004.9.json")
    assert caught.value.cause == "not_found"
    assert not caught.value.retryable
