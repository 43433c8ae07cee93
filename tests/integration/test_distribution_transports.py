"""The ``distribute`` job against real servers: DPs registered in the site through the service
(the password in the site secrets file, which the worker reads), served by a private smbd
(tests/servers/smbd.py) and a private sshd (tests/servers/sshd.py), with real ``bootimage
worker`` processes. The scenarios of the folder DPs (tests/distribution_scenarios.py) run on
both, checked on the server's side (the share's folder, the sshd user's folder) and, for the
update, on the network too (a relay counts the bytes sent to the server); then the faults a
real server brings: a wrong password, and the server stopped mid-transfer and started again."""

from __future__ import annotations

import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from console.core.content import boot_image_name
from console.core.distribution import DpState, TransportKind
from console.core.jobs import JobState
from tests.distribution_fixtures import Distribution, Place, dist, wait_for  # noqa: F401 (dist is a fixture)
from tests.distribution_scenarios import (  # noqa: F401 (packages and built are fixtures)
    PID,
    assert_only_verified_objects,
    built,
    distribute_then_update,
    kill_mid_file_then_resume,
    packages,
    remove_keeps_shared_objects,
    validate_then_redistribute,
)
from tests.servers.relay import CountingRelay
from tests.servers.smbd import SmbServer
from tests.servers.sshd import SshServer

pytestmark = pytest.mark.both_databases

TRANSPORTS = ["smb", "ssh"]
WRONG = "not-the-password"


def smb_place(server: SmbServer, *, port: int | None = None, password: str | None = None) -> Place:
    """DPs on fresh folders of the server's ``dp`` share (reached on ``port``: a relay's)."""

    def place(name: str) -> tuple[dict[str, object], str | None, Path]:
        folder = server.share / f"{name.lower()}-{secrets.token_hex(4)}"
        folder.mkdir()
        shutil.chown(folder, server.user, server.user)
        address = "\\".join([f"\\\\127.0.0.1:{port or server.port}", "dp", folder.name])
        return ({"transport": TransportKind.SMB, "address": address, "username": server.user},
                password or server.password, folder)

    return place


def ssh_place(server: SshServer, *, port: int | None = None, password: str | None = None) -> Place:
    """DPs on fresh folders in the sshd user's home, reached with the user's key file (or, given
    ``password``, with a password from the site secrets file)."""

    def place(name: str) -> tuple[dict[str, object], str | None, Path]:
        folder = server.folder(f"{name.lower()}-{secrets.token_hex(4)}")
        fields: dict[str, object] = {"transport": TransportKind.SSH,
                                     "address": f"{server.user.name}@127.0.0.1:{port or server.port}:{folder}",
                                     "credential": "" if password else str(server.user.key)}
        return fields, password, folder

    return place


def trust(server: SshServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *ports: int) -> None:
    """The worker (it inherits the environment) trusts the server on its port and on ``ports``."""
    key = (server.root / "host_key.pub").read_text().split()
    known = tmp_path / "known_hosts"
    known.write_text(server.known_hosts.read_text() + "".join(f"[127.0.0.1]:{p} {key[0]} {key[1]}\n" for p in ports))
    monkeypatch.setenv("BOOTIMAGE_SSH_KNOWN_HOSTS", str(known))


@pytest.fixture(params=TRANSPORTS)
def wire(request: pytest.FixtureRequest, dist: Distribution, tmp_path: Path,  # noqa: F811
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], int]]:
    """DPs of ``dist`` on the session's smbd or sshd, reached through a relay, and a worker
    serving them; yields a function that tells how many bytes have gone to the server so far."""
    if request.param == "smb":
        smb: SmbServer = request.getfixturevalue("smb_server")
        relay = CountingRelay(smb.port).start()
        dist.place = smb_place(smb, port=relay.port)
    else:
        ssh: SshServer = request.getfixturevalue("sshd_server")
        relay = CountingRelay(ssh.port).start()
        trust(ssh, monkeypatch, tmp_path, relay.port)
        dist.place = ssh_place(ssh, port=relay.port)
    dist.serve()
    yield lambda: relay.sent
    relay.stop()


@pytest.fixture(params=TRANSPORTS)
def on_server(request: pytest.FixtureRequest, dist: Distribution, tmp_path: Path,  # noqa: F811
              monkeypatch: pytest.MonkeyPatch) -> str:
    """DPs of ``dist`` on the session's smbd or sshd (with the user's password), reached
    directly, and a worker serving them."""
    if request.param == "smb":
        dist.place = smb_place(request.getfixturevalue("smb_server"))
    else:
        ssh: SshServer = request.getfixturevalue("sshd_server")
        trust(ssh, monkeypatch, tmp_path)
        dist.place = ssh_place(ssh, password=ssh.user.password)  # the worker reads it from the site secrets file
    dist.serve()
    return str(request.param)


def test_distribute_puts_library_and_image_on_the_server_and_an_update_sends_only_changed_chunks(
        dist, built, tmp_path, wire):  # noqa: F811
    distribute_then_update(dist, built, tmp_path, wire=wire)


def test_validate_names_a_flipped_byte_and_a_deleted_file_on_the_server_and_redistribute_repairs(
        dist, built, on_server):  # noqa: F811
    validate_then_redistribute(dist, built)


def test_remove_frees_the_objects_no_other_package_uses_on_the_server(dist, built, tmp_path, on_server):  # noqa: F811
    remove_keeps_shared_objects(dist, built, tmp_path)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_wrong_password_fails_at_once_with_authentication_refused_and_the_right_one_then_serves(
        dist, built, transport, request, tmp_path, monkeypatch):  # noqa: F811
    _tree, wim = built
    if transport == "smb":
        server: SmbServer | SshServer = request.getfixturevalue("smb_server")
        right = server.password
        dist.place = smb_place(server, password=WRONG)
    else:
        server = request.getfixturevalue("sshd_server")
        right = server.user.password
        trust(server, monkeypatch, tmp_path)
        dist.place = ssh_place(server, password=WRONG)
        refused_before = server.log.count("Failed password for")
    dist.serve()  # one worker throughout: it sees the password the administrator fixes
    dist.add_dp("DP01")
    assert dist.console.open_secrets().password(dist.console.distribution_points.get("DP01").credential) == WRONG
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    [job] = dist.jobs(PID)
    assert job.state == JobState.FAILED and job.attempts == 1, job.extended_error_info  # no retry storm
    assert "authentication refused" in job.extended_error_info
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALL_FAILED and row.error_cause == "auth" and row.next_retry is None
    assert row.last_error.startswith("authentication refused"), row.last_error
    assert not (dist.dp_root("DP01") / "PkgLib").exists()
    if isinstance(server, SshServer):  # the server saw one refused login, not one per retry
        assert server.log.count("Failed password for") - refused_before == 1, server.log[-3000:]

    dist.console.distribution_points.edit("DP01", password=right)
    dist.console.content.redistribute(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED, dist.jobs(PID)[-1].extended_error_info + dist.logs()
    assert dist.row(PID, "DP01").state == DpState.INSTALLED
    assert (dist.dp_root("DP01") / "Packages" / PID / boot_image_name(PID)).read_bytes() == wim.read_bytes()


@pytest.fixture
def stoppable(request: pytest.FixtureRequest, dist: Distribution, tmp_path: Path,  # noqa: F811
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """A server of the test's own (``request.param``: smb or ssh) holding ``dist``'s DPs;
    yields (stop, start again on the same port)."""
    if request.param == "smb":
        smb: SmbServer = request.getfixturevalue("private_smb_server")
        dist.place = smb_place(smb)
        yield smb.stop, smb.start
        return
    ssh = request.getfixturevalue("sshd_server").another()
    ssh.start()
    try:
        monkeypatch.setenv("BOOTIMAGE_SSH_KNOWN_HOSTS", str(ssh.known_hosts))
        dist.place = ssh_place(ssh)
        port = ssh.port
        yield ssh.stop, lambda: ssh.start(port)
    finally:
        ssh.stop()


@pytest.mark.parametrize("stoppable", TRANSPORTS, indirect=True)
def test_a_server_stopped_mid_transfer_is_retried_as_unreachable_and_served_when_it_comes_back(
        dist, built, stoppable):  # noqa: F811
    _tree, wim = built
    stop, start = stoppable
    dist.env_extra["BOOTIMAGE_JOB_RETRY_SECONDS"] = "2"
    dist.env_extra["BOOTIMAGE_JOB_MAX_ATTEMPTS"] = "5"
    dist.add_dp("DP01", rate_limit_kbps=3072)  # ~5 s for the image: time to stop the server mid-transfer
    dist.console.content.add_distribution_points(PID, ["DP01"])
    size = wim.stat().st_size
    worker = dist.worker()
    wait_for(lambda: dist.jobs(PID)[0].step == "send" and dist.jobs(PID)[0].progress >= 0.2 * size,
             "the send to reach 20%")
    stop()
    wait_for(lambda: dist.row(PID, "DP01").state == DpState.INSTALL_RETRYING, "a retry", timeout=60)
    row = dist.row(PID, "DP01")
    assert row.error_cause == "unreachable" and row.last_error.startswith("host unreachable"), row.last_error
    assert row.next_retry is not None and row.next_retry > datetime.now(row.next_retry.tzinfo)
    [job] = dist.jobs(PID)
    assert not job.finished and job.progress < size  # waiting for its next attempt
    start()  # it comes back, on the same port
    wait_for(lambda: dist.jobs(PID)[0].finished, "the job to end", timeout=120)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info + dist.logs()
    assert 2 <= job.attempts <= 5
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALLED and row.last_error == "" and row.next_retry is None
    root = dist.dp_root("DP01")
    assert (root / "Packages" / PID / boot_image_name(PID)).read_bytes() == wim.read_bytes()
    assert list((root / "Temp").iterdir()) == []
    assert job.step_results["send"]["bytes_sent"] < size * 1.3  # resumed, not sent again from the start


@pytest.mark.slow
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_worker_killed_mid_file_is_resumed_from_the_servers_bytes(
        dist, built, transport, request, tmp_path, monkeypatch):  # noqa: F811
    _tree, wim = built
    if transport == "smb":
        dist.place = smb_place(request.getfixturevalue("smb_server"))
    else:
        ssh: SshServer = request.getfixturevalue("sshd_server")
        trust(ssh, monkeypatch, tmp_path)
        dist.place = ssh_place(ssh)
    dist.add_dp("DP01", rate_limit_kbps=3072)  # ~5 s for the image: time to kill the worker mid-file
    dist.console.content.add_distribution_points(PID, ["DP01"])
    kill_mid_file_then_resume(dist, wim, (0.25, 0.6))


@pytest.mark.parametrize("stoppable", [
    "smb", pytest.param("ssh", marks=pytest.mark.slow)], indirect=True)
def test_what_a_job_that_gave_up_on_an_unreachable_server_left_in_flight_goes_with_the_next_job(
        dist, built, stoppable):  # noqa: F811
    _tree, wim = built
    stop, start = stoppable
    dist.env_extra["BOOTIMAGE_JOB_RETRY_SECONDS"] = "0.5"
    dist.env_extra["BOOTIMAGE_JOB_MAX_ATTEMPTS"] = "2"
    dist.add_dp("DP01", rate_limit_kbps=3072)
    dist.console.content.add_distribution_points(PID, ["DP01"])
    worker = dist.serve()
    size = wim.stat().st_size
    wait_for(lambda: dist.jobs(PID)[0].step == "send" and dist.jobs(PID)[0].progress >= 0.3 * size,
             "the send to reach 30%")
    stop()
    wait_for(lambda: dist.jobs(PID)[0].finished, "the job to give up", timeout=60)
    [job] = dist.jobs(PID)
    assert job.state == JobState.FAILED and "host unreachable" in job.extended_error_info, job.extended_error_info
    root = dist.dp_root("DP01")
    assert list((root / "Temp").iterdir())  # its partial objects: the server was gone, nothing could delete them
    start()
    dist.console.content.redistribute(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED, dist.jobs(PID)[-1].extended_error_info + dist.logs()
    assert (root / "Packages" / PID / boot_image_name(PID)).read_bytes() == wim.read_bytes()
    assert list((root / "Temp").iterdir()) == []  # the dead job's bytes do not stay on the DP for ever
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
