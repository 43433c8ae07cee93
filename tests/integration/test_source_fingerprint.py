"""The source WIM's fingerprint (size, modification time, WIM GUID) is recorded whenever a
package's source image is read and stored (import, a new ImagePath/ImageIndex, a reload of
the image properties, the build's reload from the Windows ADK), so the pre-flight check
"source changed since import" can say what changed. Real WIMs captured with wimlib, real
site databases (SQLite and PostgreSQL), the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servicing_fixtures import winpe_wim
from tests.wim_fixtures import require_tool

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    require_tool("wimlib-imagex")
    require_tool("hivexsh")


@pytest.fixture
def db_url(site_db: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return site_db


@pytest.fixture(scope="module")
def wims(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two WinPE WIMs captured separately (so with two different WIM GUIDs)."""
    folder = tmp_path_factory.mktemp("fingerprint")
    return winpe_wim(folder / "first.wim"), winpe_wim(folder / "second.wim")


@pytest.fixture
def source(tmp_path: Path, wims: tuple[Path, Path]) -> Path:
    path = tmp_path / "sources" / "boot.wim"
    path.parent.mkdir()
    shutil.copyfile(wims[0], path)
    return path


@pytest.fixture
def library(console, tmp_path: Path) -> Path:
    root = tmp_path / "ContentLib"
    console.settings.set_content_library_root(str(root))
    return root


@pytest.fixture
def cli(console) -> Cli:
    """`bootimage ARGS` as a separate process on the ``console`` fixture's database."""
    env = {**os.environ, "BOOTIMAGE_DB": console.url}

    def invoke(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console.cli", *args], capture_output=True, text=True, env=env,
                              timeout=120)

    return invoke


def guid_of(console, path: Path) -> str:
    return str(console.packages.get_image_properties(str(path)).guid)


def source_check(cli: Cli, pid: str) -> dict[str, str]:
    """The ``source.changed`` check of `bootimage preflight ID --json` (which must exit 0)."""
    result = cli("preflight", pid, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["Passed"] is True
    checks = [c for c in data["Checks"] if c["Id"] == "source.changed"]
    assert len(checks) == 1
    return checks[0]


def keep_mtime(path: Path, mtime_ns: int) -> None:
    """Put the file's modification time back, so only the change under test remains."""
    os.utime(path, ns=(path.stat().st_atime_ns, mtime_ns))


def test_import_records_the_fingerprint_and_preflight_says_unchanged(console, cli, source, library):
    pid = console.packages.create_from_wim(str(source), 1, name="Fresh").value["PackageID"]
    st = source.stat()
    fingerprint = console.packages.source_fingerprint(pid)
    assert (fingerprint.size, fingerprint.guid) == (st.st_size, guid_of(console, source))
    assert fingerprint.mtime is not None and abs(fingerprint.mtime - st.st_mtime) < 0.001
    assert console.builds.spec_for(pid).fingerprint == fingerprint
    check = source_check(cli, pid)
    assert check["Severity"] == "pass" and check["Message"] == "the source WIM is unchanged since the import"


def test_preflight_warns_when_the_size_changed(console, cli, source, library, tmp_path):
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    before = source.stat()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "notes.txt").write_text("a second image makes the file bigger\n" * 50, encoding="ascii")
    subprocess.run(["wimlib-imagex", "append", str(extra), str(source), "Second"], check=True, capture_output=True,
                   timeout=120)
    keep_mtime(source, before.st_mtime_ns)
    after = source.stat().st_size
    assert after != before.st_size
    check = source_check(cli, pid)
    assert check["Severity"] == "warning"
    assert f"its size is {after} bytes, {before.st_size} at import" in check["Message"]
    assert "modified" not in check["Message"] and "GUID" not in check["Message"]  # the same file, only bigger
    text = cli("preflight", pid)
    assert text.returncode == 0 and "Pre-flight passed (1 warning(s))." in text.stdout
    assert [line for line in text.stdout.splitlines() if line.startswith("WARNING  source.changed")]


def test_preflight_warns_when_the_file_was_modified(console, cli, source, library):
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 3_600 * 10**9))  # touch: an hour later
    check = source_check(cli, pid)
    assert check["Severity"] == "warning"
    assert "it was modified after the import" in check["Message"]
    assert "size" not in check["Message"] and "GUID" not in check["Message"]
    assert f"`bootimage reload {pid}`" in check["Message"] and check["Fix"] == "properties:Data Source"


def test_preflight_warns_when_the_file_is_another_wim(console, cli, source, library, wims):
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    old_guid, st = guid_of(console, source), source.stat()
    shutil.copyfile(wims[1], source)  # another capture: another WIM GUID
    keep_mtime(source, st.st_mtime_ns)
    new_guid = guid_of(console, source)
    assert new_guid != old_guid
    check = source_check(cli, pid)
    assert check["Severity"] == "warning"
    assert f"its WIM GUID is {new_guid}, {old_guid} at import (it is another file)" in check["Message"]
    assert "modified" not in check["Message"]


def test_a_new_image_path_records_the_new_fingerprint(console, cli, source, library, wims, tmp_path):
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    other = tmp_path / "sources" / "other.wim"
    shutil.copyfile(wims[1], other)
    shutil.copyfile(wims[1], source)  # the old file changed: a warning ...
    assert source_check(cli, pid)["Severity"] == "warning"
    console.packages.put(pid, {"ImagePath": str(other)})  # ... until the package points at another WIM
    fingerprint = console.packages.source_fingerprint(pid)
    assert (fingerprint.size, fingerprint.guid) == (other.stat().st_size, guid_of(console, other))
    check = source_check(cli, pid)
    assert check["Severity"] == "pass" and "unchanged" in check["Message"]
    # the fingerprint is bookkeeping, not a property: not in the audit message of the change ...
    audit = console.status.query(package_id=pid, kind="audit", limit=1)[0]
    names = audit.text.removeprefix("Properties changed: ").split(", ")
    assert "ImagePath" in names and set(names) <= set(console.packages.cls.properties)
    changes = console.audit.message_changes(audit)  # the values, from the audit records of the change
    assert [c["property"] for c in changes] == names
    assert fingerprint.guid not in json.dumps(changes)
    # ... nor in `bootimage show` (with and without the lazy properties)
    for args in (("show", pid, "--json"), ("show", pid, "--no-lazy", "--json")):
        shown = cli(*args)
        assert shown.returncode == 0, shown.stderr
        keys = {k for k in json.loads(shown.stdout) if not k.startswith("__")}
        assert keys <= set(console.packages.cls.properties)
        assert fingerprint.guid not in shown.stdout and str(fingerprint.mtime) not in shown.stdout


def test_reloading_the_image_properties_records_the_file_as_it_is_now(console, cli, source, library):
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    st = source.stat()
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 7_200 * 10**9))
    assert source_check(cli, pid)["Severity"] == "warning"
    result = console.packages.reload_image_properties(pid)
    assert result.changes.notes[0] == "no changes"  # no property changed: only the fingerprint is new
    assert source_check(cli, pid)["Severity"] == "pass"
    assert console.packages.source_fingerprint(pid).mtime == pytest.approx(source.stat().st_mtime, abs=0.001)


def test_reload_from_the_windows_adk_records_the_exported_file(console, cli, source, library, tmp_path, wims):
    adk = tmp_path / "Assessment and Deployment Kit"
    winpe = adk / "Windows Preinstallation Environment" / "amd64" / "en-us"
    winpe.mkdir(parents=True)
    shutil.copyfile(wims[1], winpe / "winpe.wim")
    console.settings.set_windows_adk_path(str(adk))
    pid = console.packages.create_from_wim(str(source), 1).value["PackageID"]
    final = Path(console.builds.reload_from_adk(pid, "CTX-ADK-1"))
    fingerprint = console.packages.source_fingerprint(pid)
    assert (fingerprint.size, fingerprint.guid) == (final.stat().st_size, guid_of(console, final))
    assert source_check(cli, pid)["Severity"] == "pass"


def test_a_package_without_a_recorded_fingerprint_says_not_known(console, cli, source, library, x64_facts):
    # as packages created before fingerprints were recorded: the facts carry none
    pid = console.packages.create(name="Older", image_path=str(source), image=x64_facts).value["PackageID"]
    fingerprint = console.packages.source_fingerprint(pid)
    assert (fingerprint.size, fingerprint.mtime, fingerprint.guid) == (None, None, "")
    check = source_check(cli, pid)
    assert check["Severity"] == "pass" and "not known" in check["Message"]
    console.packages.reload_image_properties(pid)  # recording starts at the next reload
    assert source_check(cli, pid)["Message"] == "the source WIM is unchanged since the import"
