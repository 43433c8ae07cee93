"""The ``distribute`` job's scenarios, run on folder DPs (tests/integration/test_distribution_job.py)
and on DPs behind a real smbd and sshd (test_distribution_transports.py): install, update (only
changed chunks travel), validate (a flipped byte and a deleted file are named), redistribute
repairs, remove keeps objects another package uses. Every check of the DP's content is made on
the server's side: the folder that holds what the DP's server wrote (``Distribution.dp_root``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from console.core.content import boot_image_name
from console.core.distribution import DpState
from console.core.jobs import JobState
from tests.distribution_fixtures import Distribution, capture_wim, filelib_objects, payload_tree, sha

PID = "PS100001"
OTHER = "PS100002"


@pytest.fixture
def packages(console: Any, x64_facts: Any) -> tuple[str, str]:
    for n in range(2):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1,
                                image=x64_facts)
    return PID, OTHER


@pytest.fixture
def built(dist: Distribution, packages: tuple[str, str], tmp_path: Path) -> tuple[Path, Path]:
    """PS100001 version 1: a 15 MiB non-solid WIM in the site's library (stored as chunks)."""
    tree = payload_tree(tmp_path / "tree")
    wim = capture_wim(tree, tmp_path / "v1.wim")
    dist.store_wim(PID, 1, wim)
    return tree, wim


def assert_only_verified_objects(root: Path) -> None:
    for name, path in filelib_objects(root).items():
        assert sha(path) == name, f"FileLib holds {name} whose bytes do not match it"
    pointer = root / "PkgLib" / f"{PID}.json"
    if pointer.exists():  # a pointer only to a version whose objects are all there
        version = json.loads(pointer.read_text())["current_version"]
        manifest = json.loads((root / "DataLib" / f"{PID}.{version}.json").read_text())
        for file in manifest["files"]:
            for digest, _size in file.get("chunks") or [[file["sha256"], file["size"]]]:
                assert (root / "FileLib" / digest[:4] / digest).is_file()


def distribute_then_update(dist: Distribution, built: tuple[Path, Path], tmp_path: Path, *,
                           wire: Callable[[], int] | None = None) -> None:
    """``wire``: the bytes sent to the DP's server so far, counted on the network (a relay)."""
    tree, wim = built
    dist.add_dp("DP01")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info + dist.logs()
    assert job.completed_steps == ("connect", "send", "manifest", "pointer", "materialize", "pxe", "record")
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
    if wire is not None:
        assert wire() >= wim.stat().st_size  # the image really went over the network

    # a rebuild that changes one file of 48: only the chunks holding it travel
    changed = next(iter(sorted(tree.rglob("*.dll"))))
    changed.write_bytes(bytes(reversed(changed.read_bytes())))
    wim2 = capture_wim(tree, tmp_path / "v2.wim")
    dist.store_wim(PID, 2, wim2)
    dist.console.content.queue_update(PID)
    before = wire() if wire is not None else 0
    dist.run_until_idle()
    update = dist.jobs(PID)[-1]
    assert update.payload["action"] == "update" and update.state == JobState.SUCCEEDED, update.extended_error_info
    sent = update.step_results["send"]["bytes_sent"]
    assert 0 < sent <= wim2.stat().st_size * 0.10, f"an update sent {sent} bytes of {wim2.stat().st_size}"
    if wire is not None:
        on_wire = wire() - before
        assert sent <= on_wire <= wim2.stat().st_size * 0.15, \
            f"an update put {on_wire} bytes on the network for {sent} bytes of changed chunks"
    assert image.read_bytes() == wim2.read_bytes()
    row = dist.row(PID, "DP01")
    assert row.state == DpState.INSTALLED and row.source_version == 2
    assert json.loads((root / "PkgLib" / f"{PID}.json").read_text())["current_version"] == 2
    assert sorted(p.name for p in (root / "DataLib").iterdir()) == [f"{PID}.2.json"]
    # the objects only version 1 used are gone from the DP; version 2's are all there
    needed = {s for s, _ in dist.library.manifest(PID, 2).blobs()}
    assert set(filelib_objects(root)) == needed


def validate_then_redistribute(dist: Distribution, built: tuple[Path, Path]) -> None:
    _tree, wim = built
    dist.add_dp("DP01")
    dist.console.content.add_distribution_points(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED, dist.jobs(PID)[-1].extended_error_info
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
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED, dist.jobs(PID)[-1].extended_error_info
    assert image.read_bytes() == wim.read_bytes() and victim.is_file() and sha(victim) == victim.name
    dist.console.content.validate(PID, ["DP01"])
    dist.run_until_idle()
    assert dist.jobs(PID)[-1].state == JobState.SUCCEEDED
    assert dist.row(PID, "DP01").state == DpState.INSTALLED


def remove_keeps_shared_objects(dist: Distribution, built: tuple[Path, Path], tmp_path: Path) -> None:
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
    assert all(j.state == JobState.SUCCEEDED for j in dist.jobs(PID) + dist.jobs(OTHER)), dist.logs()
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


def kill_mid_file_then_resume(dist: Distribution, wim: Path, fractions: tuple[float, ...]) -> None:
    """A worker killed with ``kill -9`` at each of ``fractions`` of the send to DP01 (added with a
    rate limit by the caller): no unverified object and no pointer at any kill point, then one
    more worker finishes, resuming from the bytes already on the DP."""
    import signal
    import time

    from tests.distribution_fixtures import wait_for

    root = dist.dp_root("DP01")
    size = wim.stat().st_size
    for fraction in fractions:  # bounded: one kill per position
        worker = dist.worker()

        def reached(fraction: float = fraction) -> bool:
            [job] = dist.jobs(PID)
            return job.step == "send" and job.progress >= fraction * size

        wait_for(reached, f"the send to reach {fraction:.0%}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        assert_only_verified_objects(root)
        assert not (root / "PkgLib" / f"{PID}.json").exists()
        time.sleep(2.2)  # the lease (2 s) expires: the next worker takes the job over
    dist.run_until_idle()
    [job] = dist.jobs(PID)
    assert job.state == JobState.SUCCEEDED, job.extended_error_info + dist.logs()
    assert job.attempts == len(fractions) + 1
    assert_only_verified_objects(root)
    assert (root / "Packages" / PID / boot_image_name(PID)).read_bytes() == wim.read_bytes()
    assert list((root / "Temp").iterdir()) == []
    assert job.step_results["send"]["bytes_sent"] < size * 1.3  # not sent again from the start each time
