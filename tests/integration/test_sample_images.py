""""Create sample boot images": small WinPE-like WIMs built with wimlib and imported, then built
like any boot image (real build jobs run by a real worker, real wimlib and hivex)."""

from __future__ import annotations

import json

import pytest

from console.core.services.boot_media import MediaRequest
from console.wim.reader import WimReader
from console.wim.samples import create_sample_boot_images
from tests.wim_fixtures import assert_matches_wimlib, require_tool


def test_sample_wims_look_like_real_boot_images(tmp_path):
    require_tool("wimlib-imagex")
    paths = create_sample_boot_images(tmp_path)
    assert [p.name for p in paths] == ["winpe11-x64-boot.wim", "winpe10-x86-boot.wim", "setup-media-x64-boot.wim"]
    for path in paths:
        assert 50_000 < path.stat().st_size < 1_000_000, "small, a few hundred KB"
        info = WimReader().read(path)
        assert all(i.is_windows_pe and i.architecture and i.os_version.startswith("10.0.") for i in info.images)
        assert_matches_wimlib(info, path)
    setup = WimReader().read(paths[2])
    assert setup.boot_index == 2 and [i.flags for i in setup.images] == ["9", "2"]
    assert WimReader().read(paths[1]).images[0].languages == ("en-US", "de-DE")


def test_console_creates_and_imports_the_samples(console, tmp_path):
    require_tool("wimlib-imagex")
    steps: list[tuple[int, int, str]] = []
    created = console.create_sample_boot_images(tmp_path, progress=lambda v, m, t: steps.append((v, m, t)))
    assert [(p["Name"], p["Architecture"], p["ImageIndex"]) for p in created] == [
        ("Sample WinPE 11 (x64)", "x64", 1), ("Sample WinPE 10 (x86)", "x86", 1), ("Sample Windows Setup (x64)", "x64", 2),
    ]
    assert steps[-1] == (6, 6, "Created 3 sample boot image(s)")
    again = console.create_sample_boot_images(tmp_path, cancelled=lambda: len(console.packages.query().items) >= 4)
    assert [p["Name"] for p in again] == ["Sample WinPE 11 (x64) (2)"], "stops when cancelled, names stay unique"
    assert console.packages.query().total == 4


FAST_JOBS = {"BOOTIMAGE_JOB_LEASE_SECONDS": "5", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "1",
             "BOOTIMAGE_WORKER_POLL_SECONDS": "0.2", "BOOTIMAGE_JOB_RETRY_SECONDS": "1"}


@pytest.fixture
def cli_db_url(db_url: str) -> str:
    """The CLI runs against the same database as the ``console`` fixture."""
    return db_url


def test_every_sample_passes_preflight_and_builds_through_the_build_job(console, run, tmp_path, monkeypatch):
    require_tool("wimlib-imagex")
    require_tool("hivexsh")
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    created = console.create_sample_boot_images()  # as the first-run page and File › Create Sample Boot Images do
    assert len(created) == 3
    assert [p.name for p in (tmp_path / "data" / "bootimage-console" / "samples").glob("*/*.wim")]
    for package in created:
        pid = str(package["PackageID"])
        checks = {c.id: c for c in console.builds.preflight(pid)}
        assert not [c.message for c in checks.values() if c.failed], pid
        assert checks["hives.open"].severity == "pass" and checks["components.missing"].severity == "pass"
        assert "components.site" not in checks, "the samples carry the components ConfigMgr requires"
        result = run("update-image", pid, "--wait", "--json", check=False)
        assert result.returncode == 0, result.stderr
        job = json.loads(result.stdout)
        assert job["State"] == "succeeded" and job["CompletedSteps"][-1] == "record"
        [revision] = console.revisions.revisions(pid)
        assert revision.current and console.packages.get(pid)["SourceVersion"] == 1
        [wim] = console.revisions.library().materialize(pid, 1, tmp_path / "out" / pid)
        info = WimReader().read(wim)
        assert info.image_count == 1 and info.images[0].is_windows_pe
        assert info.images[0].architecture == package["Architecture"]
        # not Windows: a medium is refused before anything is queued, naming the missing boot files
        [boot] = [c for c in console.media.preflight(MediaRequest(pid, str(tmp_path / "sample.iso"))) if c.id == "media.boot-files"]
        assert boot.failed and "Windows\\Boot\\DVD\\PCAT\\etfsboot.com" in boot.message
