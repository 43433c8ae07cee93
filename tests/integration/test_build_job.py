"""UpdateImage end to end: `bootimage update-image --wait` queues a build job, the console starts
a detached worker (the embedded default), the worker runs pre-flight, export, customize, verify
and record with real wimlib and hivex, and the package's new revision is the verified image.
Real SQLite site, real WIM with a real SYSTEM hive, real driver folders (stand-in driver files,
see tests/servicing_fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from tests.servicing_fixtures import DISK_INF, TINY_JPEG, driver_folder, winpe_wim
from tests.wim_fixtures import require_tool

pytestmark = pytest.mark.both_databases

FAST_JOBS = {"BOOTIMAGE_JOB_LEASE_SECONDS": "5", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "1",
             "BOOTIMAGE_WORKER_POLL_SECONDS": "0.2", "BOOTIMAGE_JOB_RETRY_SECONDS": "1"}


@pytest.fixture(autouse=True)
def _tools(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("wimlib-imagex")
    require_tool("hivexget")
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def cli_db_url(db_url: str) -> str:
    """The CLI runs against the same database as the ``console`` fixture."""
    return db_url


@pytest.fixture
def built_site(console, tmp_path: Path):
    source = winpe_wim(tmp_path / "sources" / "boot.wim")
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(source), 1, name="Built").value["PackageID"]
    inf = driver_folder(tmp_path / "drivers", DISK_INF)
    ci_id = console.drivers.create_from_inf(str(inf.parent), inf.name).value.ci_id
    console.drivers.add_drivers_to_boot_image(pid, [ci_id])
    background = tmp_path / "background.jpg"
    background.write_bytes(TINY_JPEG)
    console.packages.put(pid, {"ScratchSpace": 128, "BackgroundBitmapPath": str(background), "EnableLabShell": True})
    return pid, source


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_update_image_builds_records_a_revision_and_leaves_the_source_alone(console, run, built_site, tmp_path):
    pid, source = built_site
    before = _sha(source)
    version = console.packages.get(pid)["SourceVersion"]
    result = run("update-image", pid, "--wait", "--json", check=False)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["State"] == "succeeded" and job["Status"] == 0
    assert job["CompletedSteps"] == ["preflight", "export", "customize", "verify", "record"]
    # QueryOSDBinaryInjectionStatus of the finished job
    status = console.packages.query_osd_binary_injection_status(job["ContextID"])
    assert status.status == 0
    package = console.packages.get(pid, lazy=True)
    assert package["SourceVersion"] == version + 1
    assert package["PackageSize"] > 0
    revisions = console.revisions.revisions(pid)
    assert [r.version for r in revisions] == [version + 1] and revisions[0].current
    # the current image, taken from the content library, carries the customizations
    out = tmp_path / "out"
    [wim] = console.revisions.library().materialize(pid, version + 1, out)
    assert wim.name == f"boot.{pid}.wim"
    extract = tmp_path / "extract"
    subprocess.run(["wimlib-imagex", "extract", str(wim), "1", "/Windows/System32/config/SYSTEM",
                    f"--dest-dir={extract}"], check=True, capture_output=True, env={"WIMLIB_IMAGEX_IGNORE_CASE": "1"})
    scratch = subprocess.run(["hivexget", str(extract / "SYSTEM"), "\\ControlSet001\\Services\\FBWF",
                              "WinPECacheThreshold"], check=True, capture_output=True, text=True).stdout.strip()
    assert scratch == "128"
    listing = subprocess.run(["wimlib-imagex", "dir", str(wim), "1"], check=True, capture_output=True, text=True).stdout
    driver = console.packages.get(pid, lazy=True)["ReferencedDrivers"][0]["ID"]
    assert f"/Drivers/{driver}/{DISK_INF.name}".lower() in listing.lower()
    # the source WIM is never modified and the work folder is gone
    assert _sha(source) == before
    assert not any((tmp_path / "ContentLib" / "Work").iterdir())


def test_a_failing_preflight_fails_the_job_with_its_cause_and_records_nothing(console, run, built_site):
    pid, source = built_site
    version = console.packages.get(pid)["SourceVersion"]
    source.unlink()
    result = run("update-image", pid, "--wait", check=False)
    assert result.returncode == 1
    assert "pre-flight failed" in result.stderr and str(source) in result.stderr
    assert console.revisions.revisions(pid) == []
    assert console.packages.get(pid)["SourceVersion"] == version
    [job] = console.jobs.list(package_id=pid)
    assert job.state == "failed" and job.completed_steps == ()


def test_update_default_image_is_for_default_boot_images_only(console, built_site):
    from console.core.errors import ValidationError

    pid, _ = built_site
    with pytest.raises(ValidationError, match="is not a default boot image"):
        console.packages.update_default_image(pid)


def test_reload_from_adk_points_the_package_at_a_fresh_export_then_builds(console, run, built_site, tmp_path):
    import shutil

    pid, source = built_site
    adk = tmp_path / "Assessment and Deployment Kit"
    winpe = adk / "Windows Preinstallation Environment" / "amd64" / "en-us"
    winpe.mkdir(parents=True)
    shutil.copyfile(source, winpe / "winpe.wim")  # the fixture WIM stands in for the ADK's winpe.wim
    console.settings.set_windows_adk_path(str(adk))
    result = run("update-image", pid, "--reload-from-adk", "--wait", "--json", check=False)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["CompletedSteps"][:2] == ["reload", "preflight"]
    package = console.packages.get(pid, lazy=True)
    new_source = Path(package["ImagePath"])
    assert new_source.parent == tmp_path / "ContentLib" / "Sources" / pid and new_source.is_file()
    assert package["ImageIndex"] == 1 and package["Architecture"] == "x64"
    assert console.revisions.revisions(pid)[0].current
    assert any("now uses the Windows ADK" in m.text for m in console.status.query(package_id=pid))


def test_a_successful_build_queues_an_update_for_every_dp_of_the_package(console, run, built_site, tmp_path):
    from console.core.distribution import DistributionPoint, TransportKind

    pid, _ = built_site
    for name in ("DP01", "DP02"):
        (tmp_path / name).mkdir()
        console.distribution_points.add(DistributionPoint(name=name, transport=TransportKind.FOLDER,
                                                          address=str(tmp_path / name)))
    console.content.after_queue = lambda: None  # the build's worker below is the only one
    console.content.add_distribution_points(pid, ["DP01", "DP02"])
    version = console.packages.get(pid)["SourceVersion"]
    result = run("update-image", pid, "--wait", "--json", check=False)
    assert result.returncode == 0, result.stderr
    updates = [j for j in console.jobs.list(package_id=pid) if j.kind == "distribute" and j.payload["action"] == "update"]
    assert sorted((j.payload["dp"], j.payload["version"]) for j in updates) == [("DP01", version + 1), ("DP02", version + 1)]
    assert {r.target_version for r in console.content.content_status(pid).items} == {version + 1}


def test_a_build_records_its_image_listing_and_registry_values_so_diff_shows_them(console, run, tmp_path):
    """Two builds that differ in scratch space and a driver: `bootimage diff` names the hive
    value old -> new and the driver's files added inside the image (read from what each build
    recorded with its revision, not guessed from the properties)."""
    source = winpe_wim(tmp_path / "sources" / "boot.wim")
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(source), 1, name="Diffed").value["PackageID"]
    console.packages.put(pid, {"ScratchSpace": 64})
    assert run("update-image", pid, "--wait", check=False).returncode == 0
    inf = driver_folder(tmp_path / "drivers", DISK_INF)
    ci_id = console.drivers.create_from_inf(str(inf.parent), inf.name).value.ci_id
    console.drivers.add_drivers_to_boot_image(pid, [ci_id])
    console.packages.put(pid, {"ScratchSpace": 256})
    second = run("update-image", pid, "--wait", check=False)
    assert second.returncode == 0, second.stderr

    library = console.revisions.library()
    [wim] = library.materialize(pid, 2, tmp_path / "out")
    listed = subprocess.run(["wimlib-imagex", "dir", str(wim), "1"], check=True, capture_output=True, text=True).stdout
    files = library.manifest(pid, 2).image_listing
    assert files is not None and set(files) <= set(listed.splitlines()) and "/Windows/System32/config/SYSTEM" in files
    text = run("diff", pid, "1", "2").stdout
    assert "HKLM\\SYSTEM\\ControlSet001\\Services\\FBWF\\WinPECacheThreshold: 64 -> 256" in text
    assert f"+ /Drivers/{ci_id}/{DISK_INF.name}" in text and f"+ /Drivers/{ci_id}/amd64/disk.sys" in text
    assert "~ /Windows/System32/config/SYSTEM" in text and "~ /Windows/System32/startnet.cmd" in text
    assert "unknown" not in text
    diff = json.loads(run("diff", pid, "1", "2", "--json").stdout)
    assert diff["registry_known"] and diff["image_listing_known"]
    assert [(r["old"], r["new"]) for r in diff["registry"]] == [(64, 256)]
    assert "registry: 1 value(s) changed" in console.revisions.revisions(pid)[0].changes
