"""Faults in distribution jobs with real workers: kill -9 mid-file (resumed; FileLib never holds
a partial object, the pointer only a complete version), a full disk (a small tmpfs), a DP that
goes away and comes back, permission denied (an unprivileged worker), a closed schedule window,
and two workers on one queue under the site's limit of DPs served at once."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from console.app import ensure_default_site, open_console
from console.core.content import boot_image_name
from console.core.distribution import DpState
from console.core.jobs import JobState
from tests.distribution_fixtures import (  # noqa: F401
    Distribution,
    capture_wim,
    dist,
    filelib_objects,
    payload_tree,
    quiet,
    sha,
    wait_for,
)
from tests.distribution_scenarios import assert_only_verified_objects, kill_mid_file_then_resume

pytestmark = pytest.mark.both_databases

PID = "PS100001"


@pytest.fixture
def built(dist, console, x64_facts, tmp_path):  # noqa: F811
    for n in range(3):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1,
                                image=x64_facts)
    wim = capture_wim(payload_tree(tmp_path / "tree"), tmp_path / "v1.wim")
    dist.store_wim(PID, 1, wim)
    return wim


def test_kill_9_mid_file_resumes_without_partial_objects_or_a_pointer_to_a_partial_version(dist, built):  # noqa: F811
    dist.add_dp("DP01", rate_limit_kbps=3072)  # ~5 s for the image: time to kill the worker mid-file
    dist.console.content.add_distribution_points(PID, ["DP01"])
    kill_mid_file_then_resume(dist, built, (0.2, 0.45, 0.7))


def test_a_full_disk_on_the_dp_is_named_and_retried_then_failed(dist, built, tmp_path):  # noqa: F811
    mount = tmp_path / "full"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        dist.add_dp("DPFULL", address=mount)
        dist.console.content.add_distribution_points(PID, ["DPFULL"])
        worker = dist.worker()
        wait_for(lambda: dist.row(PID, "DPFULL").state == DpState.INSTALL_RETRYING, "a retry")
        row = dist.row(PID, "DPFULL")
        assert row.error_cause == "disk_full" and row.last_error.startswith("disk full")
        assert row.next_retry is not None
        wait_for(lambda: dist.jobs(PID)[0].finished, "the last attempt")
        worker.kill()
        [job] = dist.jobs(PID)
        assert job.state == JobState.FAILED and job.attempts == 3 and "disk full" in job.extended_error_info
        row = dist.row(PID, "DPFULL")
        assert row.state == DpState.INSTALL_FAILED and row.last_error.startswith("disk full")
        assert not (mount / "SCCMContentLib" / "PkgLib" / f"{PID}.json").exists()
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_an_unreachable_dp_is_retried_with_its_cause_and_served_when_it_comes_back(dist, built, tmp_path):  # noqa: F811
    dist.env_extra["BOOTIMAGE_JOB_RETRY_SECONDS"] = "3"
    dist.env_extra["BOOTIMAGE_JOB_MAX_ATTEMPTS"] = "5"
    dist.add_dp("DP02")
    shutil.rmtree(tmp_path / "DP02")  # the share is not mounted
    dist.console.content.add_distribution_points(PID, ["DP02"])
    worker = dist.worker()
    wait_for(lambda: dist.row(PID, "DP02").state == DpState.INSTALL_RETRYING, "a retry")
    row = dist.row(PID, "DP02")
    assert row.error_cause == "unreachable" and row.last_error.startswith("host unreachable")
    assert row.next_retry is not None and row.next_retry > datetime.now(row.next_retry.tzinfo)
    (tmp_path / "DP02").mkdir()  # it comes back
    wait_for(lambda: dist.jobs(PID)[0].finished, "the job to end")
    worker.kill()
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info
    row = dist.row(PID, "DP02")
    assert row.state == DpState.INSTALLED and row.last_error == "" and row.next_retry is None


def test_a_closed_schedule_window_makes_the_job_wait_for_the_next_open_hour(dist, built):  # noqa: F811
    hour = datetime.now().astimezone().hour
    schedule = "".join("c" if h in (hour, (hour + 1) % 24) else "o" for h in range(24))
    dist.add_dp("DP03", schedule=schedule)
    dist.console.content.add_distribution_points(PID, ["DP03"])
    worker = dist.worker()
    wait_for(lambda: "schedule" in dist.jobs(PID)[0].progress_text and dist.jobs(PID)[0].state == JobState.QUEUED,
             "the job to wait")
    worker.kill()
    [job] = dist.jobs(PID)
    assert job.attempts == 0 and job.next_attempt_at is not None  # waiting is not a failed attempt
    row = dist.row(PID, "DP03")
    opens = row.next_retry.astimezone()
    assert opens.hour == (hour + 2) % 24 and opens.minute == 0
    assert row.state == DpState.INSTALL_PENDING and f"open at {opens:%H:%M}" in row.last_error
    assert not (dist.dp_root("DP03") / "FileLib").exists()


def test_two_workers_never_run_a_job_twice_and_the_site_limit_of_dps_served_at_once_holds(dist, built):  # noqa: F811
    dist.console.settings.set_max_concurrent_dps(1)
    names = [f"DP1{n}" for n in range(3)]
    for name in names:
        dist.add_dp(name, rate_limit_kbps=20480)
    dist.store(f"PS10000{2}", 1, {"boot.PS100002.wim": built})
    dist.console.content.add_distribution_points(PID, names)
    dist.console.content.add_distribution_points("PS100002", names)
    a, b = dist.worker("--until-idle"), dist.worker("--until-idle")
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    jobs = dist.jobs(PID) + dist.jobs("PS100002")
    assert len(jobs) == 6 and all(j.state == JobState.SUCCEEDED for j in jobs), dist.logs()
    # each job's steps ran once, by one worker
    runs = Counter(re.findall(r"job (\{[0-9A-F-]+\}): step send done", dist.logs()))
    assert set(runs) == {j.context_id for j in jobs} and set(runs.values()) == {1}
    # at most one DP served at a time: the connect..record spans never overlap
    spans = sorted((datetime.fromisoformat(j.completed[0].finished_at), datetime.fromisoformat(j.completed[-1].finished_at))
                   for j in jobs)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end
    assert "the site's limit is 1" in dist.logs()


def _as_nobody() -> list[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to run the worker as user nobody")
    command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
    probe = subprocess.run([*command, "-c", "import console.cli"], capture_output=True, cwd="/", timeout=60)
    if probe.returncode != 0:
        pytest.skip("user nobody cannot reach this checkout or its .venv")
    return command


def test_permission_denied_on_the_dp_is_named_and_not_retried(x64_facts):
    as_nobody = _as_nobody()
    folder = Path(tempfile.mkdtemp(prefix="bootimage-dp-perm-"))
    try:
        folder.chmod(0o777)
        url = f"sqlite:///{folder / 'site.db'}"
        site = open_console(url, user="alice@console1")
        try:
            ensure_default_site(site)
            quiet(site)
            site.packages.create(name="Boot", image_path="/images/boot.wim", image_index=1, image=x64_facts)
            site.settings.set_content_library_root(str(folder / "ContentLib"))
            dist_site = Distribution(site, folder)
            data = folder / "boot.wim"
            data.write_bytes(os.urandom(200_000))
            dist_site.store(PID, 1, {boot_image_name(PID): data})
            locked = folder / "locked"
            dist_site.add_dp("DPLOCK", address=locked)
            locked.chmod(0o755)  # root's: user nobody cannot create the library in it
            site.content.add_distribution_points(PID, ["DPLOCK"])
            for path in [folder, *folder.rglob("*")]:
                if path != locked and not path.is_relative_to(locked):
                    path.chmod(0o777 if path.is_dir() else 0o666)
            process = dist_site.worker("--until-idle", user=as_nobody)
            assert process.wait(timeout=120) == 0, dist_site.logs()
            [job] = dist_site.jobs(PID)
            assert job.state == JobState.FAILED and job.attempts == 1  # no retry storm
            assert "permission denied" in job.extended_error_info.lower()
            row = site.content.row(PID, "DPLOCK")
            assert row.state == DpState.INSTALL_FAILED and row.error_cause == "permission"
            assert row.last_error.startswith("permission denied") and row.next_retry is None
        finally:
            site.close()
    finally:
        shutil.rmtree(folder)


def test_one_package_goes_to_several_dps_at_once_on_several_workers(dist, built):  # noqa: F811
    names = ["DP21", "DP22"]
    for name in names:
        dist.add_dp(name, rate_limit_kbps=6144)  # ~2.5 s each
    dist.console.content.add_distribution_points(PID, names)
    a, b = dist.worker("--until-idle"), dist.worker("--until-idle")
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    jobs = dist.jobs(PID)
    assert all(j.state == JobState.SUCCEEDED for j in jobs), dist.logs()
    spans = sorted((datetime.fromisoformat(j.completed[0].finished_at), datetime.fromisoformat(j.completed[-1].finished_at))
                   for j in jobs)
    assert spans[1][0] < spans[0][1]  # the two DPs were served at the same time
    assert len({run.worker for j in jobs for run in j.completed}) == 2


def test_cancel_stops_the_send_at_its_next_checkpoint_and_the_dp_keeps_no_pointer(dist, built):  # noqa: F811
    dist.add_dp("DP31", rate_limit_kbps=2048)
    dist.console.content.add_distribution_points(PID, ["DP31"])
    worker = dist.worker()
    wait_for(lambda: dist.jobs(PID)[0].step == "send" and dist.jobs(PID)[0].progress > 0, "the send to start")
    dist.console.jobs.cancel(dist.jobs(PID)[0].context_id)
    wait_for(lambda: dist.jobs(PID)[0].finished, "the job to stop", timeout=30)
    worker.kill()
    [job] = dist.jobs(PID)
    assert job.state == JobState.CANCELLED and job.step_results.get("send") is None
    row = dist.row(PID, "DP31")
    assert row.state == DpState.INSTALL_FAILED and row.last_error == "install was cancelled"
    root = dist.dp_root("DP31")
    assert not (root / "PkgLib" / f"{PID}.json").exists()
    assert_only_verified_objects(root)
    assert list((root / "Temp").iterdir()) == []  # what was in flight is deleted: the job ended


def test_closing_the_schedule_window_mid_transfer_pauses_the_send_until_it_opens(dist, built):  # noqa: F811
    dist.add_dp("DP41", rate_limit_kbps=2048)  # ~7 s for the image
    dist.console.content.add_distribution_points(PID, ["DP41"])
    worker = dist.worker()
    wait_for(lambda: dist.jobs(PID)[0].step == "send" and dist.jobs(PID)[0].progress > 0, "the send to start")
    hour = datetime.now().astimezone().hour
    closed = "".join("c" if h in (hour, (hour + 1) % 24) else "o" for h in range(24))
    dist.console.distribution_points.edit("DP41", schedule=closed)
    wait_for(lambda: dist.jobs(PID)[0].state == JobState.QUEUED, "the send to pause", timeout=30)
    worker.kill()
    [job] = dist.jobs(PID)
    assert "schedule of DP41 is closed" in job.progress_text and job.attempts == 0
    assert job.step == "send" and job.checkpoint  # the bytes sent so far are kept for the resumed run
    row = dist.row(PID, "DP41")
    assert row.next_retry is not None and row.next_retry.astimezone().hour == (hour + 2) % 24
    root = dist.dp_root("DP41")
    assert not (root / "PkgLib" / f"{PID}.json").exists()
    assert_only_verified_objects(root)


def test_a_dp_in_maintenance_mode_receives_nothing_until_maintenance_is_switched_off(dist, built):  # noqa: F811
    dist.env_extra["BOOTIMAGE_JOB_RETRY_SECONDS"] = "1"  # how often a waiting job looks again
    dist.add_dp("DP51", maintenance=True)
    dist.console.content.add_distribution_points(PID, ["DP51"])
    worker = dist.worker()
    try:
        wait_for(lambda: "maintenance" in dist.jobs(PID)[0].progress_text, "the job to wait")
        row = dist.row(PID, "DP51")
        assert row.state == DpState.INSTALL_PENDING
        assert row.last_error == "distribution point in maintenance mode; waiting"
        time.sleep(2.5)  # it looks again (at least once) and still sends nothing
        [job] = dist.jobs(PID)
        assert job.state == JobState.QUEUED and job.attempts == 0  # waiting is not a failed attempt
        root = dist.dp_root("DP51")
        assert not (root / "FileLib").exists() or not filelib_objects(root)
        assert not (root / "PkgLib" / f"{PID}.json").exists()
        dist.console.distribution_points.edit("DP51", maintenance=False)
        wait_for(lambda: dist.jobs(PID)[0].finished, "the job to run once maintenance is off")
    finally:
        worker.kill()
        worker.wait(timeout=30)
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info + dist.logs()
    row = dist.row(PID, "DP51")
    assert row.state == DpState.INSTALLED and row.last_error == ""
    assert (dist.dp_root("DP51") / "Packages" / PID / boot_image_name(PID)).read_bytes() == built.read_bytes()


def test_switching_maintenance_on_mid_transfer_pauses_the_send(dist, built):  # noqa: F811
    dist.env_extra["BOOTIMAGE_JOB_RETRY_SECONDS"] = "1"
    dist.add_dp("DP52", rate_limit_kbps=2048)  # ~7 s for the image
    dist.console.content.add_distribution_points(PID, ["DP52"])
    worker = dist.worker()
    try:
        wait_for(lambda: dist.jobs(PID)[0].step == "send" and dist.jobs(PID)[0].progress > 0, "the send to start")
        dist.console.distribution_points.edit("DP52", maintenance=True)
        wait_for(lambda: "maintenance" in dist.jobs(PID)[0].progress_text, "the send to pause", timeout=30)
        [job] = dist.jobs(PID)
        assert job.step == "send" and job.attempts == 0 and not job.finished
        assert dist.row(PID, "DP52").last_error == "distribution point in maintenance mode; waiting"
        assert not (dist.dp_root("DP52") / "PkgLib" / f"{PID}.json").exists()
        dist.console.distribution_points.edit("DP52", maintenance=False)
        wait_for(lambda: dist.jobs(PID)[0].finished, "the job to end")
    finally:
        worker.kill()
        worker.wait(timeout=30)
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info
    assert dist.row(PID, "DP52").state == DpState.INSTALLED


def test_validate_still_runs_on_a_dp_in_maintenance_mode_it_only_reads(dist, built):  # noqa: F811
    dist.add_dp("DP53")
    dist.console.content.add_distribution_points(PID, ["DP53"])
    dist.run_until_idle()
    dist.console.distribution_points.edit("DP53", maintenance=True)
    dist.console.content.validate(PID, ["DP53"])
    dist.run_until_idle()
    validate = [j for j in dist.jobs(PID) if j.payload.get("action") == "validate"]
    assert [j.state for j in validate] == [JobState.SUCCEEDED], dist.logs()
    assert dist.row(PID, "DP53").state == DpState.INSTALLED


def test_content_is_validated_on_a_schedule_and_a_damaged_file_is_found_without_anyone_asking(dist, built):  # noqa: F811
    """ConfigMgr validates DP content on a schedule: the worker queues a validation of every
    package on every DP it is installed on once ContentValidationHours have passed since the
    last cycle, and not again before."""
    from console.core.services.content_distribution import VALIDATION_LAST_RUN

    dist.add_dp("DP61")
    dist.console.content.add_distribution_points(PID, ["DP61"])
    dist.run_until_idle()
    assert dist.row(PID, "DP61").state == DpState.INSTALLED
    materialized = dist.dp_root("DP61") / "Packages" / PID / boot_image_name(PID)
    data = bytearray(materialized.read_bytes())
    data[len(data) // 2] ^= 0xFF
    materialized.write_bytes(bytes(data))
    console = dist.console
    assert console.settings.content_validation_hours() == 168  # weekly by default
    console.settings.set_content_validation_hours(1)
    with console.context.uow(write=True) as uow:  # the last cycle ran two hours ago
        uow.settings.set(VALIDATION_LAST_RUN, "2000-01-01T00:00:00+00:00", modified_by="test",
                         modified_at=console.context.clock())
        uow.commit()
    dist.run_until_idle()  # nobody asked: the worker's schedule check queues the cycle
    validations = [j for j in dist.jobs(PID) if j.payload.get("action") == "validate"]
    assert len(validations) == 1 and validations[0].finished  # a validation that finds damage fails its job
    row = dist.row(PID, "DP61")
    assert row.state == DpState.INSTALL_FAILED and boot_image_name(PID) in row.last_error, row.last_error
    assert any("Content validation cycle: 1 validation(s) queued" in m.text for m in console.status.query())
    assert console.content.queue_validation_cycle(1) == 0, "not due again within the hour"
    with pytest.raises(Exception, match="on demand only"):
        console.settings.set_content_validation_hours(-1)
