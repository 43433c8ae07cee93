"""The ``distribute`` job end to end with real ``bootimage worker`` processes, a real SQLite
site, the real content library and folder distribution points: install, update (only changed
chunks travel), validate (a flipped byte and a deleted file are named), redistribute repairs,
remove keeps objects another package uses (the scenarios, in tests/distribution_scenarios.py,
run on SMB and SSH DPs too: test_distribution_transports.py)."""

from __future__ import annotations

import pytest

from console.core.distribution import DpState
from console.core.jobs import JobState
from tests.distribution_fixtures import dist, filelib_objects  # noqa: F401 (dist is a fixture)
from tests.distribution_scenarios import (  # noqa: F401 (packages and built are fixtures)
    PID,
    built,
    distribute_then_update,
    packages,
    remove_keeps_shared_objects,
    validate_then_redistribute,
)

pytestmark = pytest.mark.both_databases


def test_distribute_puts_the_library_and_the_image_on_the_dp_then_an_update_sends_only_changed_chunks(
        dist, built, tmp_path):  # noqa: F811
    distribute_then_update(dist, built, tmp_path)


def test_validate_names_a_flipped_byte_and_a_deleted_file_and_redistribute_repairs(dist, built):  # noqa: F811
    validate_then_redistribute(dist, built)


def test_remove_frees_objects_no_other_package_uses_and_keeps_shared_ones(dist, built, tmp_path):  # noqa: F811
    remove_keeps_shared_objects(dist, built, tmp_path)


def test_an_object_missing_from_the_sites_library_fails_the_install_and_names_the_site_not_the_dp(dist, built):  # noqa: F811
    dist.add_dp("DP01")
    victim = sorted(filelib_objects(dist.library.root).values())[0]
    victim.unlink()
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    [job] = dist.jobs(PID)
    assert job.state == JobState.FAILED and job.attempts == 1
    assert "the site's content library cannot read" in job.extended_error_info and victim.name in job.extended_error_info
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALL_FAILED and "site's content library" in row.last_error
    assert not (dist.dp_root("DP01") / "PkgLib" / f"{PID}.json").exists()
