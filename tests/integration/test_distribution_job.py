"""The ``distribute`` job end to end with real ``bootimage worker`` processes, a real SQLite
site, the real content library and folder distribution points: install, update (only changed
chunks travel), validate (a flipped byte and a deleted file are named), redistribute repairs,
remove keeps objects another package uses."""

from __future__ import annotations

import json

import pytest

from console.core.content import boot_image_name
from console.core.distribution import DpState
from console.core.jobs import JobState
from tests.distribution_fixtures import capture_wim, dist, filelib_objects, payload_tree, sha  # noqa: F401

PID = "PS100001"
OTHER = "PS100002"


@pytest.fixture
def packages(console, x64_facts):
    for n in range(2):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1,
                                image=x64_facts)
    return PID, OTHER


@pytest.fixture
def built(dist, packages, tmp_path):  # noqa: F811
    """PS100001 version 1: a 15 MiB non-solid WIM in the site's library (stored as chunks)."""
    tree = payload_tree(tmp_path / "tree")
    wim = capture_wim(tree, tmp_path / "v1.wim")
    dist.store_wim(PID, 1, wim)
    return tree, wim


def test_distribute_puts_the_library_and_the_image_on_the_dp_then_an_update_sends_only_changed_chunks(
        dist, built, tmp_path):  # noqa: F811
    tree, wim = built
    dist.add_dp("DP01")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info
    assert job.completed_steps == ("connect", "send", "manifest", "pointer", "materialize", "record")
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALLED and row.source_version == 1 and row.last_copied is not None
    root = dist.dp_root("DP01")
    site_objects = filelib_objects(dist.library.root)
    dp_objects = filelib_objects(root)
    assert set(dp_objects) == set(site_objects) and len(dp_objects) > 20  # chunked
    assert all(sha(path) == name for name, path in dp_objects.items())
    assert json.loads((root / "PkgLib" / f"{PID}.json").read_text())["current_version"] == 1
    assert (root / "DataLib" / f"{PID}.1.json").is_file()
    image = root / "Packages" / PID / boot_image_name(PID)
    assert image.read_bytes() == wim.read_bytes()
    assert list((root / "Temp").iterdir()) == []
    first = job.step_results["send"]
    assert first["bytes_sent"] == wim.stat().st_size

    # a rebuild that changes one file of 48: only the chunks holding it travel
    changed = next(iter(sorted(tree.rglob("*.dll"))))
    changed.write_bytes(bytes(reversed(changed.read_bytes())))
    wim2 = capture_wim(tree, tmp_path / "v2.wim")
    dist.store_wim(PID, 2, wim2)
    dist.console.content.queue_update(PID)
    dist.run_until_idle()
    update = dist.jobs(PID)[-1]
    assert update.payload["action"] == "update" and update.state == JobState.SUCCEEDED, update.extended_error_info
    sent = update.step_results["send"]["bytes_sent"]
    assert 0 < sent <= wim2.stat().st_size * 0.10, f"an update sent {sent} bytes of {wim2.stat().st_size}"
    assert image.read_bytes() == wim2.read_bytes()
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALLED and row.source_version == 2
    assert json.loads((root / "PkgLib" / f"{PID}.json").read_text())["current_version"] == 2
    assert sorted(p.name for p in (root / "DataLib").iterdir()) == [f"{PID}.2.json"]
    # the objects only version 1 used are gone from the DP; version 2's are all there
    needed = {s for s, _ in dist.library.manifest(PID, 2).blobs()}
    assert set(filelib_objects(root)) == needed


def test_validate_names_a_flipped_byte_and_a_deleted_file_and_redistribute_repairs(dist, built):  # noqa: F811
    _tree, wim = built
    dist.add_dp("DP01")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    root = dist.dp_root("DP01")
    image = root / "Packages" / PID / boot_image_name(PID)
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0xFF
    image.write_bytes(bytes(data))
    victim = sorted(filelib_objects(root).values())[3]
    victim.unlink()
    dist.console.content.validate(PID, ["DP01"])
    dist.run_until_idle()
    check = dist.jobs(PID)[-1]
    assert check.payload["action"] == "validate" and check.state == JobState.FAILED
    assert f"Packages/{PID}/{boot_image_name(PID)} is damaged" in check.extended_error_info
    assert f"FileLib/{victim.name[:4]}/{victim.name}" in check.extended_error_info
    assert "is missing" in check.extended_error_info
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALL_FAILED and "damaged" in row.last_error

    dist.console.content.redistribute(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED
    assert image.read_bytes() == wim.read_bytes() and victim.is_file()
    dist.console.content.validate(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED
    assert dist.row(PID, "DP01").state == DpState.INSTALLED


def test_remove_frees_objects_no_other_package_uses_and_keeps_shared_ones(dist, built, tmp_path):  # noqa: F811
    _tree, wim = built
    shared = tmp_path / "shared.cab"
    shared.write_bytes(b"shared by both packages\n" * 1000)
    own = tmp_path / "own.txt"
    own.write_bytes(b"only PS100002\n")
    dist.store(PID, 2, {boot_image_name(PID): wim, "shared.cab": shared})
    dist.store(OTHER, 1, {"shared.cab": shared, "own.txt": own})
    dist.add_dp("DP01")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.console.content.add_distribution_points(OTHER, ["DP01"])
    dist.run_until_idle()
    assert all(j.state == JobState.SUCCEEDED for j in dist.jobs(PID) + dist.jobs(OTHER))
    root = dist.dp_root("DP01")
    shared_sha = sha(shared)
    assert shared_sha in filelib_objects(root)

    dist.console.content.remove(PID, ["DP01"])
    dist.run_until_idle()
    job = dist.jobs(PID)[-1]
    assert job.payload["action"] == "remove" and job.state == JobState.SUCCEEDED, job.extended_error_info
    assert dist.row(PID, "DP01") is None
    left = set(filelib_objects(root))
    assert left == {shared_sha, sha(own)}  # PS100001's own chunks are gone, the shared file stays
    assert not (root / "PkgLib" / f"{PID}.json").exists() and not (root / "Packages" / PID).exists()
    assert not any(p.name.startswith(PID) for p in (root / "DataLib").iterdir())
    assert (root / "Packages" / OTHER / "shared.cab").read_bytes() == shared.read_bytes()
    dist.console.content.validate(OTHER, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(OTHER)[-1].state == JobState.SUCCEEDED


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
