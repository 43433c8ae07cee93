"""`bootimage distribute` end to end: the command queues the job, the console starts the embedded
detached worker, the worker puts the package on the folder DP, `bootimage content status`
shows it installed and `bootimage content validate` passes. Real CLI subprocesses."""

from __future__ import annotations

import json

import pytest

from console.core.content import boot_image_name
from console.core.distribution import DistributionPoint, TransportKind
from tests.distribution_fixtures import capture_wim, payload_tree, wait_for

pytestmark = pytest.mark.both_databases

PID = "PS100001"


@pytest.fixture
def cli_db_url(db_url: str) -> str:
    """The CLI runs against the same database as the ``console`` fixture."""
    return db_url


def test_distribute_from_the_cli_installs_the_image_on_the_dp(console, run, x64_facts, tmp_path):
    from console.core.content import ManifestFields

    console.packages.create(name="Boot", image_path="/images/boot.wim", image_index=1, image=x64_facts)
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    wim = capture_wim(payload_tree(tmp_path / "tree", files=8, kib=128), tmp_path / "boot.wim")
    console.revisions.library().store(PID, 1, {boot_image_name(PID): wim}, ManifestFields("test"), make_current=True)
    (tmp_path / "dp01").mkdir()
    console.distribution_points.add(DistributionPoint(name="DP01", transport=TransportKind.FOLDER,
                                                      address=str(tmp_path / "dp01")))
    run("distribute", PID, "--dp", "DP01")

    def installed() -> bool:
        status = json.loads(run("content", "status", PID, "--json").stdout)
        return [(r["ServerName"], r["StateName"], r["SourceVersion"]) for r in status["Items"]] == [("DP01", "INSTALLED", 1)]

    wait_for(installed, "the package to be installed on DP01", timeout=120)
    image = tmp_path / "dp01" / "SCCMContentLib" / "Packages" / PID / boot_image_name(PID)
    assert image.read_bytes() == wim.read_bytes()
    run("content", "validate", PID, "--dp", "DP01")
    wait_for(lambda: all(j.finished for j in console.jobs.list(package_id=PID)), "the validation", timeout=120)
    assert all(j.state == "succeeded" for j in console.jobs.list(package_id=PID))

