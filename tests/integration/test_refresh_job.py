"""RefreshPkgSource on the worker: a changed source queues a build (whose record step updates
every DP), an unchanged one updates the DPs that are behind; ``RefreshPkgSourceFlag=true``
queues it once and reads back false. Real workers, real SQLite site, real content library."""

from __future__ import annotations

import os

import pytest

from console.core.distribution import DpState
from console.core.jobs import JobState
from console.core.revision_types import BuiltImage
from tests.distribution_fixtures import dist  # noqa: F401
from tests.integration.conftest import site_identity

pytestmark = pytest.mark.both_databases

PID = "PS100001"


@pytest.fixture
def package(dist, console, x64_facts, tmp_path):  # noqa: F811
    source = tmp_path / "boot.wim"
    source.write_bytes(b"stand-in source image")
    os.utime(source, (1_000_000_000, 1_000_000_000))  # older than any revision
    console.packages.create(name="Boot", image_path=str(source), image_index=1, image=x64_facts)
    return source


def refresh_jobs(site, kind: str = "refresh") -> list:
    return [j for j in site.console.jobs.list(package_id=PID) if j.kind == kind]


def test_an_unchanged_source_is_not_rebuilt_and_the_dps_that_are_behind_are_updated(dist, package, tmp_path):  # noqa: F811
    content = tmp_path / "boot.PS100001.wim"
    content.write_bytes(os.urandom(100_000))
    # revision 1, recorded as a build records it (from the package's current properties)
    dist.console.revisions.record_build(PID, BuiltImage(files={"boot.PS100001.wim": content}))
    dist.add_dp("DP01")
    dist.add_dp("DP02")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    dist.console.content.add_distribution_points(PID, ["DP02"])
    dist.console.content.refresh(PID)
    dist.run_until_idle()
    [job] = refresh_jobs(dist)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info
    assert job.step_results["check"] == {"rebuild": False, "reason": "the source is unchanged"}
    assert job.step_results["queue"] == {"updates": 2}
    assert refresh_jobs(dist, "build") == []
    assert all(dist.row(PID, dp).state == DpState.INSTALLED for dp in ("DP01", "DP02"))

    # the package's scratch space changes: the next refresh rebuilds
    dist.console.packages.put(PID, {"ScratchSpace": 256})
    assert "ScratchSpace" in dist.console.revisions.source_change(PID)
    package.touch()
    assert "ImagePath" not in (dist.console.revisions.source_change(PID) or "")  # properties are named first


def test_refresh_pkg_source_flag_queues_a_refresh_once_and_reads_back_false(dist, package):  # noqa: F811
    dist.console.packages.put(PID, {"RefreshPkgSourceFlag": True})
    [job] = refresh_jobs(dist)
    assert job.state == JobState.QUEUED
    assert dist.console.packages.get(PID, lazy=True)["RefreshPkgSourceFlag"] is False
    dist.console.packages.put(PID, {"Description": "no refresh this time"})
    assert len(refresh_jobs(dist)) == 1


def test_a_package_without_a_revision_is_rebuilt_and_one_whose_revision_is_current_is_not(dist, package):  # noqa: F811
    assert dist.console.revisions.source_change(PID) == f"{PID} has no built revision yet"
    dist.console.content.refresh(PID)
    dist.run_until_idle()
    [job] = refresh_jobs(dist)
    assert job.step_results["check"]["rebuild"] is True
    assert job.step_results["queue"]["build"] == refresh_jobs(dist, "build")[0].context_id


def test_a_source_wim_newer_than_the_revision_is_a_reason_to_rebuild(dist, package, tmp_path):  # noqa: F811
    content = tmp_path / "boot.PS100001.wim"
    content.write_bytes(os.urandom(1000))
    dist.console.revisions.record_build(PID, BuiltImage(files={"boot.PS100001.wim": content}))
    assert dist.console.revisions.source_change(PID) is None
    package.touch()
    assert dist.console.revisions.source_change(PID) == f"{package} (ImagePath) changed after revision 1 was built"


def test_a_refresh_schedule_that_came_due_is_queued_by_the_worker_once(dist, package):  # noqa: F811
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    dist.console.packages.put(PID, {"PkgSourceFlag": 2, "RefreshSchedule": [
        {"__class": "SMS_ST_RecurInterval", "DaySpan": 1, "StartTime": start}]})
    dist.env_extra["BOOTIMAGE_REFRESH_CHECK_SECONDS"] = "0.2"
    dist.run_until_idle()
    [job] = refresh_jobs(dist)
    assert job.state == JobState.SUCCEEDED and job.queued_by == site_identity(dist.console.url)  # the worker's
    assert job.step_results["check"]["rebuild"] is True  # no revision yet: a build was queued
    assert "the RefreshSchedule of PS100001 came due" in dist.logs()
    dist.run_until_idle()
    assert len(refresh_jobs(dist)) == 1  # not due again until tomorrow's occurrence
