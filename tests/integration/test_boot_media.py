"""Create Boot Media end to end: `bootimage media create --wait` queues a ``media`` job, a real
worker (started detached, the embedded default) takes the package's current built image from
the content library, extracts its boot files with wimlib and writes the ISO with xorriso (or a
disk image with sfdisk, mkfs.fat, syslinux and mtools). The ISO's tree and El Torito catalog are
read back with xorriso, the medium's boot.wim with wimlib. The boot files are stand-ins of the
right names and plausible content (tests/media_fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from console.wim.capture import ImageSpec, capture
from tests.media_fixtures import BOOT_FILES, boot_file_contents, record_media_build
from tests.servicing_fixtures import winpe_tree
from tests.wim_fixtures import require_tool

pytestmark = pytest.mark.both_databases

FAST_JOBS = {"BOOTIMAGE_JOB_LEASE_SECONDS": "5", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "1",
             "BOOTIMAGE_WORKER_POLL_SECONDS": "0.2", "BOOTIMAGE_JOB_RETRY_SECONDS": "1"}


@pytest.fixture(autouse=True)
def _tools(monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in ("wimlib-imagex", "xorriso", "hivexget"):
        require_tool(tool)
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def cli_db_url(db_url: str) -> str:
    """The CLI runs against the same database as the ``console`` fixture."""
    return db_url


@pytest.fixture
def media_package(console: Any, x64_package: Any, tmp_path: Path) -> tuple[str, dict[str, bytes]]:
    pid = str(x64_package["PackageID"])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    return pid, record_media_build(console, pid, tmp_path / "build")


def xorriso(iso: Path, *commands: str) -> str:
    proc = subprocess.run(["xorriso", "-indev", str(iso), *commands], capture_output=True, text=True, timeout=60,
                          check=True)
    return proc.stdout + proc.stderr


def iso_files(iso: Path) -> set[str]:
    out = subprocess.run(["xorriso", "-indev", str(iso), "-find", "/", "-type", "f"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return {line.strip().strip("'") for line in out.splitlines() if line.strip().startswith("'/")}


def iso_file(iso: Path, path: str, dest: Path) -> bytes:
    subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", path, str(dest)],
                   capture_output=True, timeout=60, check=True)
    return dest.read_bytes()


def wim_file(wim: Path, path: str, dest: Path) -> bytes:
    subprocess.run(["wimlib-imagex", "extract", str(wim), "1", path, f"--dest-dir={dest}", "--no-acls"],
                   check=True, capture_output=True, env={**os.environ, "WIMLIB_IMAGEX_IGNORE_CASE": "1"})
    return (dest / path.rsplit("/", 1)[-1]).read_bytes()


def test_an_iso_made_by_the_worker_boots_bios_and_uefi_from_the_images_own_boot_files(
        console: Any, run: Any, media_package: Any, tmp_path: Path) -> None:
    pid, contents = media_package
    out = tmp_path / "out" / "winpe.iso"
    out.parent.mkdir()
    result = run("media", "create", pid, "--iso", str(out), "--wait", "--json", check=False)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["State"] == "succeeded"
    assert job["CompletedSteps"] == ["preflight", "image", "layout", "write"]
    assert out.is_file() and not (out.parent / ".winpe.iso.part").exists()
    # the file tree: the copype media layout, every boot file byte for byte from the image
    files = iso_files(out)
    assert files >= {"/" + p for p in BOOT_FILES.values()} | {"/sources/boot.wim"}
    for image_path, media_path in BOOT_FILES.items():
        assert iso_file(out, "/" + media_path, tmp_path / "x" / media_path) == contents[image_path], media_path
    # sources/boot.wim is the package's current version, unchanged
    current = console.revisions.library().current(pid)
    [wim] = [f for f in current.files if f.path.endswith(".wim")]
    medium_wim = iso_file(out, "/sources/boot.wim", tmp_path / "x" / "boot.wim")
    assert hashlib.sha256(medium_wim).hexdigest() == wim.sha256
    # the El Torito boot catalog: a BIOS entry (etfsboot.com, no emulation, 8 sectors) and a UEFI one
    report = xorriso(out, "-report_el_torito", "plain")
    images = [line.split() for line in report.splitlines() if line.startswith("El Torito boot img :")]
    platforms = {row[6]: row for row in images}
    assert set(platforms) == {"BIOS", "UEFI"}, report
    assert platforms["BIOS"][8] == "none" and platforms["BIOS"][11] == "8", report
    assert platforms["UEFI"][8] == "none", report
    paths = {line.split()[-1] for line in report.splitlines() if line.startswith("El Torito img path :")}
    assert paths == {"/boot/etfsboot.com", "/efi/microsoft/boot/efisys.bin"}, report
    # the work folder is gone
    assert not any((tmp_path / "ContentLib" / "Work").iterdir())


def test_a_prestart_override_lands_in_the_mediums_copy_and_the_package_keeps_its_revisions(
        console: Any, run: Any, media_package: Any, tmp_path: Path) -> None:
    pid, _contents = media_package
    console.packages.put(pid, {"PreExecCommandLine": "cmd /c echo package"})
    before = [(r.version, r.current) for r in console.revisions.revisions(pid)]
    version = console.packages.get(pid)["SourceVersion"]
    out = tmp_path / "prestart.iso"
    command = "cmd /c X:\\Tools\\menu.cmd --site PS1"
    result = run("media", "create", pid, "--iso", str(out), "--prestart-command", command, "--wait", "--json",
                 check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["CompletedSteps"] == ["preflight", "image", "prestart", "layout", "write"]
    medium_wim = tmp_path / "medium.wim"
    iso_file(out, "/sources/boot.wim", medium_wim)
    script = wim_file(medium_wim, "/Windows/System32/startnet.cmd", tmp_path / "script").decode("utf-8")
    assert command in script.split("\r\n") and "cmd /c echo package" not in script
    assert "startnet.cmd" in wim_file(medium_wim, "/Windows/System32/winpeshl.ini", tmp_path / "ini").decode("ascii")
    # the boot files are still there in the medium's copy and on the medium
    assert {"/" + p for p in BOOT_FILES.values()} <= iso_files(out)
    # the package: same revisions, same current version, same SourceVersion
    assert [(r.version, r.current) for r in console.revisions.revisions(pid)] == before
    assert console.packages.get(pid)["SourceVersion"] == version
    assert console.packages.get(pid, lazy=True)["PreExecCommandLine"] == "cmd /c echo package"


def test_an_image_without_the_boot_files_is_refused_by_preflight_naming_them(
        console: Any, run: Any, x64_package: Any, tmp_path: Path) -> None:
    pid = str(x64_package["PackageID"])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    record_media_build(console, pid, tmp_path / "build", leave_out=("Windows/Boot/DVD/PCAT/etfsboot.com",
                                                                     "Windows/Boot/DVD/EFI/en-US/efisys.bin"))
    out = tmp_path / "winpe.iso"
    result = run("media", "create", pid, "--iso", str(out), check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and "Windows\\Boot\\DVD\\PCAT\\etfsboot.com" in line
    assert "Windows\\Boot\\DVD\\EFI\\en-US\\efisys.bin or Windows\\Boot\\DVD\\EFI\\en-US\\efisys_noprompt.bin" in line
    assert "bootmgr" not in line.split("lacks", 1)[1].split(";")[0]  # only the missing ones are named
    assert console.jobs.list(package_id=pid) == [] and not out.exists()


def test_an_image_without_any_boot_files_names_each_one(console: Any, run: Any, x64_package: Any,
                                                         tmp_path: Path) -> None:
    pid = str(x64_package["PackageID"])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    record_media_build(console, pid, tmp_path / "build", boot_files=False)
    result = run("media", "preflight", pid, "--iso", str(tmp_path / "x.iso"), "--json", check=False)
    assert result.returncode == 1
    checks = json.loads(result.stdout)["Checks"]
    assert [c["Id"] for c in checks] == ["media.boot-files", "media.output", "media.space", "media.work-space"]
    assert checks[3]["Severity"] == "pass" and str(tmp_path / "ContentLib") in checks[3]["Message"]
    [check] = [c for c in checks if c["Id"] == "media.boot-files"]
    for path in BOOT_FILES:
        assert path.replace("/", "\\") in check["Message"]


def test_a_package_that_was_never_built_is_refused(console: Any, run: Any, x64_package: Any, tmp_path: Path) -> None:
    pid = str(x64_package["PackageID"])
    result = run("media", "create", pid, "--iso", str(tmp_path / "x.iso"), check=False)
    assert result.returncode == 1
    assert f"{pid} has no built image yet" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_output_folder_is_refused(console: Any, run: Any, media_package: Any, tmp_path: Path) -> None:
    pid, _ = media_package
    out = tmp_path / "no" / "such" / "winpe.iso"
    result = run("media", "create", pid, "--iso", str(out), check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert f"the output folder {out.parent} does not exist" in line
    assert console.jobs.list(package_id=pid) == []


def test_iso_and_disk_together_is_a_usage_error(run: Any, tmp_path: Path) -> None:
    result = run("media", "create", "PS100001", "--iso", "a.iso", "--disk", "b.img", check=False)
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


UNWRITABLE_CHILD = """
import sys
from console.core.boot_media import output_checks
for check in output_checks(sys.argv[1], 1024):
    print(check.severity, check.message)
"""


def test_an_output_folder_the_user_cannot_write_is_refused() -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: check as nobody
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is not available to drop privileges")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    folder = Path(tempfile.mkdtemp(prefix="bootimage-media-"))
    try:
        folder.chmod(0o755)
        proc = subprocess.run([*prefix, sys.executable, "-c", UNWRITABLE_CHILD, str(folder / "winpe.iso")],
                              capture_output=True, text=True, timeout=60, cwd="/", check=False,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
        if prefix and "No module named" in proc.stderr:
            pytest.skip("user nobody cannot reach this checkout or its .venv")
        assert proc.returncode == 0, proc.stderr
        [line] = proc.stdout.strip().splitlines()
        assert line == f"failure the output folder {folder} is not writable (Permission denied); choose another folder"
        assert list(folder.iterdir()) == []
    finally:
        shutil.rmtree(folder)


def test_a_disk_image_is_a_partitioned_fat32_disk_with_uefi_and_syslinux_bios_boot(
        console: Any, run: Any, media_package: Any, tmp_path: Path) -> None:
    for tool in ("sfdisk", "mkfs.fat", "mcopy", "syslinux"):
        require_tool(tool)
    pid, contents = media_package
    out = tmp_path / "usb.img"
    result = run("media", "create", pid, "--disk", str(out), "--wait", "--json", check=False)
    assert result.returncode == 0, result.stderr
    # one active FAT32 (LBA) partition at 1 MiB in an MBR partition table
    table = json.loads(subprocess.run(["sfdisk", "--json", str(out)], capture_output=True, text=True, check=True,
                                      env={**os.environ, "PATH": "/usr/sbin:/sbin:" + os.environ["PATH"]}).stdout)
    [part] = table["partitiontable"]["partitions"]
    assert table["partitiontable"]["label"] == "dos" and part["start"] == 2048 and part["type"] == "c"
    assert part.get("bootable") is True
    disk = out.read_bytes()
    assert disk[510:512] == b"\x55\xaa"
    mbr = next(p for p in ("/usr/lib/syslinux/mbr/mbr.bin", "/usr/share/syslinux/mbr.bin") if os.path.exists(p))
    assert disk[:440] == Path(mbr).read_bytes()[:440]  # SYSLINUX's MBR boot code
    image = f"{out}@@1M"
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    info = subprocess.run(["minfo", "-i", image, "::"], capture_output=True, text=True, check=True, env=env).stdout
    assert "FAT32" in info or "fat32" in info.lower()
    for image_path, media_path in BOOT_FILES.items():
        data = subprocess.run(["mtype", "-i", image, f"::/{media_path}"], capture_output=True, check=True, env=env).stdout
        assert data == contents[image_path], media_path
    wim = subprocess.run(["mtype", "-i", image, "::/sources/boot.wim"], capture_output=True, check=True, env=env).stdout
    current = console.revisions.library().current(pid)
    assert hashlib.sha256(wim).hexdigest() == next(f.sha256 for f in current.files if f.path.endswith(".wim"))
    listing = subprocess.run(["mdir", "-a", "-b", "-i", image, "::/"], capture_output=True, text=True, check=True,
                             env=env).stdout.lower()
    assert "ldlinux.sys" in listing and "chain.c32" in listing
    config = subprocess.run(["mtype", "-i", image, "::/syslinux.cfg"], capture_output=True, text=True, check=True,
                            env=env).stdout
    assert "COM32 chain.c32" in config and "APPEND ntldr=/bootmgr" in config


def test_preflight_of_a_real_build_checks_the_boot_files_from_the_listing_the_build_recorded(
        console: Any, run: Any, tmp_path: Path) -> None:
    """A build records the listing of its image's files: media pre-flight checks the boot files
    before anything is queued instead of warning that the revision has no listing."""
    require_tool("hivexsh")
    tree = winpe_tree(tmp_path / "tree")
    for rel, data in boot_file_contents(tmp_path / "boot-files").items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    source = capture(tmp_path / "sources" / "boot.wim", [ImageSpec()], trees=[tree])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = str(console.packages.create_from_wim(str(source), 1, name="Media source").value["PackageID"])
    built = run("update-image", pid, "--wait", "--json", check=False)
    assert built.returncode == 0, built.stderr
    result = run("media", "preflight", pid, "--iso", str(tmp_path / "winpe.iso"), "--json", check=False)
    assert result.returncode == 0, result.stderr
    checks = json.loads(result.stdout)["Checks"]
    [boot] = [c for c in checks if c["Id"] == "media.boot-files"]
    assert boot["Severity"] == "pass" and "carries every boot file the medium needs" in boot["Message"]
    assert [c["Message"] for c in checks if c["Severity"] != "pass"] == []
