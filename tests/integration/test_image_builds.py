"""From a package to the build pipeline: ``Console.builds`` (spec, pre-flight, ExportDefaultBootImage)
on a real SQLite site, real WIMs with a real hive, real driver folders; the CLI as a subprocess."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from console.core.errors import ConsoleError, ValidationError
from tests.servicing_fixtures import (
    ARM64_INF,
    BUS_INF,
    DEFAULT_COMPONENTS,
    DISK_INF,
    TINY_JPEG,
    driver_folder,
    winpe_wim,
)
from tests.wim_fixtures import require_tool

pytestmark = pytest.mark.both_databases

COMPONENTS = (*DEFAULT_COMPONENTS, "WinPE-NetFx", "WinPE-PowerShell")


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    require_tool("wimlib-imagex")
    require_tool("hivexsh")


@pytest.fixture(scope="module")
def module_wim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return winpe_wim(tmp_path_factory.mktemp("builds") / "boot.wim", components=COMPONENTS)


@pytest.fixture
def cli_db_url(db_url: str) -> str:
    """The CLI runs against the same database as the ``console`` fixture."""
    return db_url


@pytest.fixture
def source_wim(tmp_path: Path, module_wim: Path) -> Path:
    path = tmp_path / "sources" / "boot.wim"
    path.parent.mkdir()
    shutil.copyfile(module_wim, path)
    return path


@pytest.fixture
def library(console, tmp_path: Path) -> Path:
    root = tmp_path / "ContentLib"
    console.settings.set_content_library_root(str(root))
    return root


def _import_driver(console, root: Path, inf: Path) -> int:
    path = driver_folder(root, inf)
    return console.drivers.create_from_inf(str(path.parent), path.name).value.ci_id


def _customized_package(console, tmp_path: Path, source: Path) -> tuple[str, list[int]]:
    pid = console.packages.create_from_wim(str(source), 1, name="Built").value["PackageID"]
    drivers = [_import_driver(console, tmp_path / "drivers", inf) for inf in (DISK_INF, BUS_INF)]
    console.drivers.add_drivers_to_boot_image(pid, drivers)
    console.packages.update_optional_components(pid, ["WinPE-PowerShell"])
    prestart = tmp_path / "prestart"
    prestart.mkdir()
    (prestart / "setup.cmd").write_text("@echo hi\r\n", encoding="ascii")
    background = tmp_path / "background.jpg"
    background.write_bytes(TINY_JPEG)
    console.packages.put(pid, {
        "ScratchSpace": 128, "PreExecCommandLine": "cmd /c setup.cmd", "PreExecSourceDirectory": str(prestart),
        "EnableLabShell": True, "BackgroundBitmapPath": str(background), "InputLocale": "de-DE",
    })
    return pid, drivers


def test_spec_comes_from_the_package_and_the_site(console, tmp_path, source_wim, library):
    pid, drivers = _customized_package(console, tmp_path, source_wim)
    console.settings.set_deployment_command("X:\\sms\\bin\\x64\\TsBootShell.exe")
    spec = console.builds.spec_for(pid)
    assert (spec.package_id, spec.image_path, spec.image_index, spec.architecture) == (pid, str(source_wim), 1, "x64")
    assert spec.work_root == str(library / "Work")
    assert (spec.scratch_space, spec.pre_exec_command_line, spec.enable_lab_shell) == (128, "cmd /c setup.cmd", True)
    assert spec.pre_exec_source_directory == str(tmp_path / "prestart")
    assert spec.background_bitmap_path == str(tmp_path / "background.jpg")
    assert spec.input_locale == "de-DE"
    assert spec.chosen_components == ("WinPE-PowerShell",)
    assert spec.prerequisite_components == ("WinPE-NetFx",)
    assert set(spec.site_required_components) >= {"WinPE-WMI", "WinPE-Scripting"}
    assert [d.ci_id for d in spec.drivers] == drivers
    disk = spec.drivers[0]
    assert disk.inf_path.endswith("diskdev.inf") and "amd64/disk.sys" in [f.lower() for f in disk.referenced_files]
    assert spec.deployment_command == "X:\\sms\\bin\\x64\\TsBootShell.exe"
    # the source file as the import read it (tests/integration/test_source_fingerprint.py)
    assert (spec.fingerprint.size, spec.fingerprint.guid) == (source_wim.stat().st_size,
                                                              console.packages.get_image_properties(str(source_wim)).guid)


def test_preflight_passes_a_good_package_and_uses_the_known_locales(console, tmp_path, source_wim, library):
    pid, _ = _customized_package(console, tmp_path, source_wim)
    checks = console.builds.preflight(pid)
    assert [c for c in checks if c.failed] == []
    assert {"library.root", "source.file", "components.missing", "hives.open", "locale"} <= {c.id for c in checks}
    assert (library / "Work").is_dir()
    changed = next(c for c in checks if c.id == "source.changed")
    assert changed.severity == "pass" and changed.message == "the source WIM is unchanged since the import"
    # a locale the known-locales list has but the builder's built-in few do not
    console.packages.put(pid, {"InputLocale": "fi-FI"})
    locale = next(c for c in console.builds.preflight(pid) if c.id == "locale")
    assert locale.severity == "pass"


def test_preflight_names_an_unwritable_content_library(console, tmp_path, source_wim):
    pid = console.packages.create_from_wim(str(source_wim), 1).value["PackageID"]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    console.settings.set_content_library_root(str(blocker / "lib"))
    check = next(c for c in console.builds.preflight(pid) if c.id == "library.root")
    assert check.failed and str(blocker / "lib") in check.message and check.fix == "settings"


def test_settings_refuse_bad_values_and_keep_the_old_ones(console, tmp_path):
    console.settings.set_content_library_root(str(tmp_path))
    with pytest.raises(ValidationError, match="absolute path"):
        console.settings.set_content_library_root("relative/lib")
    with pytest.raises(ValidationError, match="one line"):
        console.settings.set_deployment_command("a\nb")
    assert console.settings.content_library_root() == str(tmp_path)
    assert console.settings.deployment_command() == ""


def test_cli_preflight_of_a_good_package_exits_0(console, site_db, tmp_path, source_wim, library):
    pid, _ = _customized_package(console, tmp_path, source_wim)
    result = site_db("preflight", pid)
    assert result.returncode == 0, result.stderr
    assert "PASS     source.file" in result.stdout and "Pre-flight passed" in result.stdout
    data = json.loads(site_db("preflight", pid, "--json").stdout)
    assert data["Passed"] is True and all(c["Severity"] != "failure" for c in data["Checks"])


def test_cli_preflight_names_each_failure_and_exits_1(console, site_db, tmp_path, source_wim, library):
    pid = console.packages.create_from_wim(str(source_wim), 1, name="Broken").value["PackageID"]
    arm = _import_driver(console, tmp_path / "drivers", ARM64_INF)
    console.drivers.add_drivers_to_boot_image(pid, [arm])
    console.packages.update_optional_components(pid, ["WinPE-HTA"])  # not in the source image
    result = site_db("preflight", pid, check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    arch = [line for line in lines if line.startswith("FAILURE  drivers.architecture")]
    assert len(arch) == 1 and f"Driver {arm}" in arch[0] and "not x64" in arch[0] and "[fix: the drivers wizard]" in arch[0]
    missing = [line for line in lines if line.startswith("FAILURE  components.missing")]
    assert len(missing) == 1 and "WinPE-HTA" in missing[0] and "DISM" in missing[0]
    assert "error: pre-flight found 2 failure(s)" in result.stderr
    data = json.loads(site_db("preflight", pid, "--json", check=False).stdout)
    assert data["Passed"] is False
    assert {c["Id"] for c in data["Checks"] if c["Severity"] == "failure"} == {"drivers.architecture", "components.missing"}


def test_cli_preflight_names_a_missing_source(console, site_db, tmp_path, source_wim, library):
    pid = console.packages.create_from_wim(str(source_wim), 1).value["PackageID"]
    source_wim.unlink()
    result = site_db("preflight", pid, check=False)
    assert result.returncode == 1
    failure = [line for line in result.stdout.splitlines() if line.startswith("FAILURE  source.file")]
    assert len(failure) == 1 and str(source_wim) in failure[0] and "[fix: Properties › Data Source]" in failure[0]


def test_cli_preflight_of_an_unknown_package_is_an_error(site_db):
    result = site_db("preflight", "PS1FFFFF", check=False)
    assert result.returncode == 1 and result.stderr.startswith("error: ")


@pytest.fixture
def site_db(console, run):
    """``run`` against the ``console`` fixture's database (site PS1 exists)."""
    return run


@pytest.fixture
def adk(tmp_path: Path, module_wim: Path) -> Path:
    """A Windows ADK layout with an amd64 winpe.wim (the fixture WIM stands in for it)."""
    root = tmp_path / "Assessment and Deployment Kit"
    winpe = root / "Windows Preinstallation Environment" / "amd64" / "en-us"
    winpe.mkdir(parents=True)
    shutil.copyfile(module_wim, winpe / "winpe.wim")
    return root


def test_export_default_boot_image_from_the_configured_adk(console, site_db, tmp_path, adk):
    source = adk / "Windows Preinstallation Environment" / "amd64" / "en-us" / "winpe.wim"
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    with pytest.raises(ConsoleError, match="no Windows ADK is configured"):
        console.packages.export_default_boot_image("x64", 1, str(tmp_path / "none.wim"))
    assert site_db("settings", "--windows-adk", str(adk)).returncode == 0
    out = tmp_path / "out" / "winpe-x64.wim"
    out.parent.mkdir()
    data = json.loads(site_db("export-default", "--architecture", "x64", "--index", "1", "--path", str(out), "--json").stdout)
    assert data["ExportImagePath"] == str(out)
    info = console.packages.get_image_properties(str(out))
    assert info.image_count == 1 and info.image(1).is_windows_pe and info.image(1).architecture == "x64"
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    again = site_db("export-default", "--architecture", "x64", "--index", "1", "--path", str(out), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    arm = site_db("export-default", "--architecture", "arm64", "--path", str(tmp_path / "arm.wim"), check=False)
    assert arm.returncode == 1 and "has no winpe.wim for arm64" in arm.stderr and not (tmp_path / "arm.wim").exists()
    bad = site_db("export-default", "--architecture", "ia64", "--path", str(tmp_path / "ia.wim"), check=False)
    assert bad.returncode == 1 and "error: " in bad.stderr


def test_cli_settings_show_and_refuse_bad_values(site_db, tmp_path):
    lib = tmp_path / "lib"
    data = json.loads(site_db("settings", "--content-library-root", str(lib), "--deployment-command", "X:\\go.cmd",
                              "--json").stdout)
    assert data["ContentLibraryRoot"] == str(lib) and data["DeploymentCommand"] == "X:\\go.cmd"
    bad = site_db("settings", "--content-library-root", "relative", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ") and "absolute path" in bad.stderr
    assert json.loads(site_db("settings", "--json").stdout)["ContentLibraryRoot"] == str(lib)
