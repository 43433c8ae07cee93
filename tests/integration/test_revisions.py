"""Revisions of a package's content: record_build, revisions, diff, rollback (service and CLI),
with real WIMs captured by wimlib-imagex, a real SQLite site and a real content library."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.app import default_library_root
from console.content.library import FileContentLibrary
from console.core.content import ContentError, RegistryValue, RevisionNotFoundError
from console.core.distribution import DpState
from console.core.errors import ConflictError
from console.core.image_facts import ImageFacts
from console.core.services.revisions import BuiltImage
from console.servicing.wimlib import Wimlib
from console.wim.capture import capture, write_tree
from tests.distribution_fixtures import dist  # noqa: F401 (a fixture)
from tests.integration.conftest import site_identity
from tests.wim_fixtures import WINPE_X64, require_tool

pytestmark = pytest.mark.both_databases

FBWF = "HKLM\\SYSTEM\\ControlSet001\\Services\\FBWF"


def built_image(folder: Path, name: str, *, scratch: int = 64, os_version: str = "10.0.26100.1",
                add: dict[str, bytes] | None = None, remove: tuple[str, ...] = (), change: dict[str, bytes] | None = None,
                big: int = 0, context_id: str = "", seconds: float | None = 2.5) -> BuiltImage:
    """A real WIM as a build would leave it in its work folder, with its listing and facts."""
    require_tool("wimlib-imagex")
    tree = write_tree(folder / f"{name}-tree", WINPE_X64)
    for rel, data in {**(add or {}), **(change or {})}.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    for rel in remove:
        (tree / rel).unlink()
    if big:  # incompressible payload so the WIM is large enough to be chunked
        (tree / "sources" / "payload.bin").write_bytes(hashlib.shake_256(name.encode()).digest(big))
    wim = capture(folder / "Work" / name / "boot.wim", [WINPE_X64], trees=[tree], compress="none" if big else "LZX")
    facts = ImageFacts("x64", os_version, "en-US", f"<WIM><IMAGE INDEX=\"1\"><NAME>{name}</NAME></IMAGE></WIM>",
                       wim.stat().st_size // 1024, "Microsoft Windows PE (x64)")
    return BuiltImage(files={"boot.wim": wim}, facts=facts, image_listing=Wimlib().listing(str(wim)),
                      registry=(RegistryValue(FBWF, "WinPECacheThreshold", scratch, "REG_DWORD"),),
                      summary=f"scratch {scratch} MB", duration_seconds=seconds, context_id=context_id)


def package_values(console: Any, pid: str) -> dict[str, Any]:
    return dict(console.packages.get(pid, lazy=True).values)


def library_of(console: Any) -> FileContentLibrary:
    library = console.revisions.library()
    assert isinstance(library, FileContentLibrary)
    return library


@pytest.fixture
def pid(x64_package: Any) -> str:
    return str(x64_package["PackageID"])


@pytest.fixture
def two_builds(console: Any, pid: str, tmp_path: Path) -> tuple[BuiltImage, BuiltImage]:
    console.packages.put(pid, {"ScratchSpace": 64})
    first = built_image(tmp_path, "one")
    console.revisions.record_build(pid, first)
    console.packages.put(pid, {"ScratchSpace": 128, "EnableLabShell": True})
    second = built_image(tmp_path, "two", scratch=128, os_version="10.0.26100.2",
                         add={"Drivers/16777217/net.inf": b"[Version]\r\n"},
                         change={"Windows/System32/startnet.cmd": b"wpeinit\r\ncall X:\\bic\\boot.cmd\r\n"},
                         remove=("Windows/System32/setupplatform.exe",))
    console.revisions.record_build(pid, second)
    return first, second


def test_record_build_keeps_the_image_as_the_new_current_revision(console: Any, pid: str, tmp_path: Path) -> None:
    assert package_values(console, pid)["SourceVersion"] == 0
    built = built_image(tmp_path, "one", context_id="{A1B2C3D4-0000-4000-8000-000000000001}")
    wim_bytes = built.files["boot.wim"].read_bytes()

    result = console.revisions.record_build(pid, built)

    assert result.value.version == 1 and result.value.current
    values = package_values(console, pid)
    assert values["SourceVersion"] == 1
    assert values["PackageSize"] == math.ceil(len(wim_bytes) / 1024)
    assert values["ImageProperty"] == built.facts.image_property and values["ImageOSVersion"] == "10.0.26100.1"
    assert values["ContextID"] == "{A1B2C3D4-0000-4000-8000-000000000001}"
    message = console.status.query(package_id=pid, kind="image")[0]
    assert message.text.startswith(f"{pid}: built revision 1 in 2.5 s: scratch 64 MB")
    assert message.details["version"] == 1
    library = library_of(console)
    # beside a SQLite file; in the user's data folder for a server database
    assert library.root == default_library_root(console.url)
    if console.url.startswith("sqlite"):
        assert library.root == tmp_path / "site-ContentLib"
    assert library.current_version(pid) == 1
    out = library.materialize(pid, 1, tmp_path / "out")
    assert out[0].read_bytes() == wim_bytes
    assert library.manifest(pid, 1).properties["ScratchSpace"] == values["ScratchSpace"]


def test_revisions_list_newest_first_with_who_size_and_what_changed(console: Any, pid: str, two_builds: Any) -> None:
    revisions = console.revisions.revisions(pid)
    assert [(r.version, r.current) for r in revisions] == [(2, True), (1, False)]
    assert revisions[1].changes == ("first revision",)
    assert "ScratchSpace: 64 -> 128" in revisions[0].changes
    assert "EnableLabShell: false -> true" in revisions[0].changes
    assert "image files: 1 added, 1 removed, 1 changed" in revisions[0].changes
    assert "registry: 1 value(s) changed" in revisions[0].changes
    assert revisions[0].created_by == "alice@console1"
    assert revisions[0].size == two_builds[1].files["boot.wim"].stat().st_size


def test_diff_shows_property_image_file_and_registry_changes(console: Any, pid: str, two_builds: Any) -> None:
    diff = console.revisions.diff(pid, 1, 2)
    props = {c.name: (c.old, c.new) for c in diff.properties}
    assert props == {"ScratchSpace": (64, 128), "EnableLabShell": (False, True)}
    assert diff.image("added") == ["/Drivers/16777217/net.inf"]
    assert diff.image("removed") == ["/Windows/System32/setupplatform.exe"]
    assert diff.image("changed") == ["/Windows/System32/startnet.cmd"]
    assert [(c.name, c.old, c.new) for c in diff.registry] == [(f"{FBWF}\\WinPECacheThreshold", 64, 128)]
    assert [c.path for c in diff.content_files] == ["boot.wim"]
    text = "\n".join(diff.lines())
    assert "+ /Drivers/16777217/net.inf" in text and "- /Windows/System32/setupplatform.exe" in text
    with pytest.raises(RevisionNotFoundError, match="has no revision 5"):
        console.revisions.diff(pid, 1, 5)


def test_a_revision_built_before_listings_were_recorded_diffs_as_unknown_not_as_no_changes(
        console: Any, pid: str, tmp_path: Path) -> None:
    old = built_image(tmp_path, "old")
    console.revisions.record_build(pid, BuiltImage(files=old.files, facts=old.facts, summary="an older build"))
    console.revisions.record_build(pid, built_image(tmp_path, "new", scratch=128))
    diff = console.revisions.diff(pid, 1, 2)
    assert not diff.image_listing_known and not diff.registry_known and diff.registry == () and not diff.empty
    lines = diff.lines()
    for heading in ("Image files:", "Registry values:"):
        assert lines[lines.index(heading) + 1] == "  unknown (built before listings were recorded)"
    assert "no changes" not in "\n".join(lines[lines.index("Image files:"):lines.index("Content files:")])
    assert diff.to_json()["registry_known"] is False


def test_rollback_makes_the_old_content_current_as_a_new_version(console: Any, pid: str, two_builds: Any, tmp_path: Path) -> None:
    first, _ = two_builds
    library = library_of(console)
    before = package_values(console, pid)

    result = console.revisions.rollback(pid, 1)

    assert result.value.version == 3 and result.value.rolled_back_from == 1
    assert result.changes.notes == ("rolled back to revision 1 as revision 3", (f"note: {pid}'s properties still differ "
                                    "from revision 1's (EnableLabShell, ScratchSpace); the next build uses the properties"))
    after = package_values(console, pid)
    assert after["SourceVersion"] == 3 and after["SourceDate"] >= before["SourceDate"]
    assert after["ImageOSVersion"] == "10.0.26100.1"  # the facts of the restored image
    assert after["PackageSize"] == math.ceil(first.files["boot.wim"].stat().st_size / 1024)
    assert after["ScratchSpace"] == 128  # the properties stay: the next build uses them
    assert library.current_version(pid) == 3
    assert (library.datalib / f"{pid}.3.json").is_file()  # a new content id: distribution sends it
    assert library.manifest(pid, 3).same_content(library.manifest(pid, 1))
    out = library.materialize(pid, 3, tmp_path / "restored")
    assert out[0].read_bytes() == first.files["boot.wim"].read_bytes()
    assert console.status.query(package_id=pid, kind="image")[0].text == f"{pid}: rolled back to revision 1 as revision 3"
    revisions = console.revisions.revisions(pid)
    assert [(r.version, r.current) for r in revisions] == [(3, True), (2, False), (1, False)]
    assert "ScratchSpace: 128 -> 64" in revisions[0].changes
    assert console.revisions.diff(pid, 2, 3).image("added") == ["/Windows/System32/setupplatform.exe"]


def test_rollback_updates_the_distribution_points_that_have_the_package(dist: Any, pid: str, tmp_path: Path) -> None:  # noqa: F811
    """In a real run the package went to revision 5 while its DPs stayed on 4: a roll back now
    queues the DP update a build's completion queues (a distribute job per DP that has the
    package), and the worker puts the rolled-back revision's image on the DP."""
    console = dist.console
    first = built_image(tmp_path, "one")
    console.revisions.record_build(pid, first)
    dist.add_dp("DP01")
    dist.add_dp("DP02")  # has no copy of the package: it gets nothing
    console.content.add_distribution_points(pid, ["DP01"])
    dist.run_until_idle()
    second = built_image(tmp_path, "two", scratch=128, add={"Drivers/16777217/net.inf": b"[Version]\r\n"})
    console.revisions.record_build(pid, second)
    console.content.queue_update(pid)  # what the build job's record step does after recording
    dist.run_until_idle()
    image = dist.dp_root("DP01") / "Packages" / pid / "boot.wim"
    assert image.read_bytes() == second.files["boot.wim"].read_bytes()

    result = console.revisions.rollback(pid, 1)

    assert result.value.version == 3
    assert f"note: update of {pid} to revision 3 queued for 1 distribution point (DP01)" in result.changes.notes
    queued = [j for j in dist.jobs(pid) if not j.finished]
    assert [(j.payload["dp"], j.payload["action"], j.payload["version"]) for j in queued] == [("DP01", "update", 3)]
    assert dist.row(pid, "DP01").target_version == 3
    assert image.read_bytes() == second.files["boot.wim"].read_bytes()  # a job sends it, not the roll back
    dist.run_until_idle()
    assert all(j.state == "succeeded" for j in dist.jobs(pid)), dist.logs()
    assert image.read_bytes() == first.files["boot.wim"].read_bytes()
    row = dist.row(pid, "DP01")
    assert row.state == DpState.INSTALLED and row.source_version == 3
    assert json.loads((dist.dp_root("DP01") / "PkgLib" / f"{pid}.json").read_text())["current_version"] == 3
    assert not (dist.dp_root("DP02") / "PkgLib").exists()


def test_rollback_refusals_change_nothing(console: Any, pid: str, two_builds: Any, tmp_path: Path) -> None:
    library = library_of(console)

    def state() -> tuple[Any, ...]:
        v = package_values(console, pid)
        return v["SourceVersion"], v["SedoObjectVersion"], library.versions(pid), library.current_version(pid)

    start = state()
    with pytest.raises(RevisionNotFoundError, match=f"{pid} has no revision 9 \\(revisions kept: 1, 2\\)"):
        console.revisions.rollback(pid, 9)
    with pytest.raises(ContentError, match=r"revision 2 is already .* current revision; nothing was changed"):
        console.revisions.rollback(pid, 2)
    with pytest.raises(ConflictError, match="was changed by"):
        console.revisions.rollback(pid, 1, expected_version="{STALE}")
    build = console.jobs.queue("build", pid).value  # queued: in progress for WMI (no worker runs here)
    with pytest.raises(ContentError, match=rf"has a running job \(build {re.escape(build.context_id)}\); nothing was changed"):
        console.revisions.rollback(pid, 1)
    assert state() == start

    console.revisions.set_retention(2)
    console.jobs.cancel(build.context_id)
    console.revisions.record_build(pid, built_image(tmp_path, "three"))
    assert library.versions(pid) == [2, 3]
    with pytest.raises(RevisionNotFoundError, match=r"revision 1 of .* is no longer kept .*keeps the last 2 revisions; kept: 2, 3"):
        console.revisions.rollback(pid, 1)
    assert package_values(console, pid)["SourceVersion"] == 3


def test_record_build_resumes_after_a_crash_between_any_two_steps(console: Any, pid: str, tmp_path: Path) -> None:
    library = library_of(console)
    console.revisions.record_build(pid, built_image(tmp_path, "one"))
    ctx = "{B0000000-0000-4000-8000-000000000002}"
    built = built_image(tmp_path, "two", scratch=128, context_id=ctx)

    # killed after the files + manifest were stored, before the database transaction
    console.revisions.record_build(pid, built)
    console.revisions.record_build(pid, built)  # a retry after success changes nothing
    assert package_values(console, pid)["SourceVersion"] == 2 and library.versions(pid) == [1, 2]

    ctx3 = "{B0000000-0000-4000-8000-000000000003}"
    third = built_image(tmp_path, "three", scratch=256, context_id=ctx3)
    from console.core.content import ManifestFields

    library.store(pid, 3, third.files, ManifestFields(created_by="worker", context_id=ctx3))  # step 1 only
    assert library.current_version(pid) == 2 and package_values(console, pid)["SourceVersion"] == 2
    assert [r.recorded for r in console.revisions.revisions(pid)] == [False, True, True]
    console.revisions.record_build(pid, third)
    assert package_values(console, pid)["SourceVersion"] == 3 and library.current_version(pid) == 3
    assert library.versions(pid) == [1, 2, 3]

    # killed after the database commit, before the pointer switch
    ctx4 = "{B0000000-0000-4000-8000-000000000004}"
    fourth = built_image(tmp_path, "four", scratch=512, context_id=ctx4)
    console.revisions.record_build(pid, fourth)
    library.set_current(pid, 3)  # the state a kill before the switch leaves
    assert library.verify(pid, 3) == []  # the current image is still a complete one
    console.revisions.record_build(pid, fourth)
    assert package_values(console, pid)["SourceVersion"] == 4 and library.current_version(pid) == 4
    assert len(console.status.query(package_id=pid, kind="image")) == 4  # one message per revision

    # once recorded, the job may drop its work folder: a late retry still succeeds
    shutil.rmtree(fourth.files["boot.wim"].parent)
    again = console.revisions.record_build(pid, fourth)
    assert again.value.version == 4 and again.value.current and library.versions(pid) == [1, 2, 3, 4]


RECORD_CHILD = """
import os, signal, sys
from pathlib import Path
from console.app import open_console
from console.core.services.revisions import BuiltImage
console = open_console(sys.argv[1], user="worker@host")
def progress(done, total):
    if done > total // 2:
        os.kill(os.getpid(), signal.SIGKILL)
built = BuiltImage(files={"boot.wim": Path(sys.argv[3])}, context_id=sys.argv[4], summary="big")
console.revisions.record_build(sys.argv[2], built, progress=progress)
"""


def test_kill_9_in_the_middle_of_storing_a_build_then_a_retry_finishes(console: Any, pid: str, tmp_path: Path) -> None:
    library = library_of(console)
    console.revisions.record_build(pid, built_image(tmp_path, "one"))
    ctx = "{C0000000-0000-4000-8000-000000000002}"
    big = built_image(tmp_path, "big", big=20 * 1024 * 1024, context_id=ctx)
    wim = big.files["boot.wim"]
    proc = subprocess.run([sys.executable, "-c", RECORD_CHILD, console.url, pid, str(wim), ctx],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert library.current_version(pid) == 1 and library.verify(pid, 1) == []
    assert package_values(console, pid)["SourceVersion"] == 1 and library.versions(pid) == [1]
    for path in library.filelib.glob("*/*"):
        assert path.name.startswith(".") or hashlib.sha256(path.read_bytes()).hexdigest() == path.name

    result = console.revisions.record_build(pid, big)
    assert result.value.version == 2 and package_values(console, pid)["SourceVersion"] == 2
    assert library.manifest(pid, 2).files[0].chunked
    assert library.materialize(pid, 2, tmp_path / "out")[0].read_bytes() == wim.read_bytes()


def test_retention_is_a_site_setting_and_never_prunes_the_current_revision(console: Any, pid: str, tmp_path: Path) -> None:
    library = library_of(console)
    console.revisions.set_retention(2)
    for n in range(4):
        result = console.revisions.record_build(pid, built_image(tmp_path, f"b{n}", seconds=None))
    assert library.versions(pid) == [3, 4] and result.changes.notes[-1] == "pruned revision(s) 2 (keeping 2)"
    assert console.revisions.retention() == 2
    with pytest.raises(Exception, match="keep at least 1 revision"):
        console.revisions.set_retention(0)
    report = library.collect_garbage(grace_seconds=0)
    assert report.files_removed == 2  # the WIMs of revisions 1 and 2
    assert library.verify(pid, 3) == [] and library.verify(pid, 4) == []


# -- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli_package(site: Any, cli_db_url: str, tmp_path: Path) -> str:
    from console.app import open_console

    site("new", "--no-image-read", "--path", "/images/boot.wim", "--index", "1", "--name", "Boot")
    console = open_console(cli_db_url, user="builder@host")
    try:
        console.revisions.record_build("PS100001", built_image(tmp_path, "one"))
        console.packages.put("PS100001", {"ScratchSpace": 256})
        console.revisions.record_build("PS100001", built_image(tmp_path, "two", scratch=256, add={"x.txt": b"x"}))
    finally:
        console.close()
    return "PS100001"


def test_cli_revisions_diff_and_rollback(site: Any, cli_package: str, cli_db_url: str) -> None:
    listing = json.loads(site("revisions", cli_package, "--json").stdout)
    builder = site_identity(cli_db_url, "builder@host")  # the console that recorded the builds
    assert [(r["version"], r["current"], r["created_by"]) for r in listing] == [(2, True, builder), (1, False, builder)]
    text = site("revisions", cli_package).stdout
    assert "*2" in text and "ScratchSpace:" in text and "* current revision" in text

    diff = json.loads(site("diff", cli_package, "1", "2", "--json").stdout)
    assert [p["name"] for p in diff["properties"]] == ["ScratchSpace"]
    assert diff["image_files"]["added"] == ["/x.txt"]
    assert diff["registry"][0]["new"] == 256
    assert "+ /x.txt" in site("diff", cli_package, "1", "2").stdout

    rolled = json.loads(site("rollback", cli_package, "--to", "1", "--json").stdout)
    assert rolled["version"] == 3 and rolled["rolled_back_from"] == 1 and rolled["current"]
    shown = json.loads(site("show", cli_package, "--json").stdout)
    assert shown["SourceVersion"] == 3
    assert json.loads(site("revisions", cli_package, "--json").stdout)[0]["version"] == 3


def test_cli_bad_revisions_are_one_line_errors(site: Any, cli_package: str) -> None:
    for args, expected in [
        (("rollback", cli_package, "--to", "7"), f"error: {cli_package} has no revision 7 (revisions kept: 1, 2)"),
        (("rollback", cli_package, "--to", "2"), "error: revision 2 is already PS100001's current revision; nothing was changed"),
        (("diff", cli_package, "1", "9"), f"error: {cli_package} has no revision 9"),
        (("revisions", "PS1FFFFF"), "error: no boot image package with PackageID 'PS1FFFFF'"),
    ]:
        result = site(*args, check=False)
        assert result.returncode == 1 and result.stderr.strip().startswith(expected), result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    usage = site("rollback", cli_package, check=False)
    assert usage.returncode == 2 and "--to" in usage.stderr
    assert json.loads(site("show", cli_package, "--json").stdout)["SourceVersion"] == 2


def test_cli_content_library_settings_gc_and_verify(site: Any, cli_package: str, cli_db_url: str) -> None:
    shown = json.loads(site("content-library", "show", "--json").stdout)
    root = default_library_root(cli_db_url)
    assert shown["path"] == str(root) and shown["retention"] == 5 and shown["free_bytes"] > 0

    site("content-library", "set", "--keep", "1")
    site("rollback", cli_package, "--to", "1")  # revision 3 shares revision 1's WIM
    library = FileContentLibrary(root)
    assert library.versions(cli_package) == [3]
    gc = json.loads(site("content-library", "gc", "--grace", "0", "--json").stdout)
    assert gc["files_removed"] == 1  # revision 2's WIM; revision 1's is still revision 3's
    verified = json.loads(site("content-library", "verify", cli_package, "--json").stdout)
    assert verified == {"package_id": cli_package, "version": 3, "intact": True, "problems": []}

    blob = library.blob_path(library.manifest(cli_package, 3).files[0].sha256)
    blob.write_bytes(b"damaged")
    result = site("content-library", "verify", cli_package, check=False)
    assert result.returncode == 1
    expected = f"error: {cli_package} revision 3 is damaged: boot.wim: object {blob.name} is damaged"
    assert result.stderr.strip() == expected + " (its bytes no longer match its hash)"

    relative = site("content-library", "set", "--path", "lib", check=False)
    assert relative.returncode == 1 and relative.stderr.strip() == "error: 'lib' is not an absolute folder path"
    assert site("content-library", "set", check=False).returncode == 2
    assert json.loads(site("content-library", "show", "--json").stdout)["path"] == str(root)


def test_a_missing_library_folder_is_named_not_taken_for_no_revisions(console: Any, pid: str, tmp_path: Path) -> None:
    console.revisions.record_build(pid, built_image(tmp_path, "one"))
    console.revisions.set_library_root(str(tmp_path / "unmounted"))
    missing = rf"the content library {tmp_path / 'unmounted'} is missing, but {pid} has revision 1: is its share mounted\?"
    for call in (lambda: console.revisions.revisions(pid), lambda: console.revisions.rollback(pid, 1),
                 lambda: console.revisions.diff(pid, 1, 1)):
        with pytest.raises(ContentError, match=missing):
            call()
    assert package_values(console, pid)["SourceVersion"] == 1


def test_a_cancelled_build_records_nothing_and_progress_reaches_the_end(console: Any, pid: str, tmp_path: Path) -> None:
    from console.core.content import ContentCancelled

    library = library_of(console)
    console.revisions.record_build(pid, built_image(tmp_path, "one"))
    big = built_image(tmp_path, "big", big=12 * 1024 * 1024)
    seen: list[tuple[int, int]] = []
    with pytest.raises(ContentCancelled, match="cancelled; nothing was recorded"):
        console.revisions.record_build(pid, big, progress=lambda d, t: seen.append((d, t)), cancelled=lambda: len(seen) >= 5)
    assert package_values(console, pid)["SourceVersion"] == 1
    assert library.versions(pid) == [1] and library.current_version(pid) == 1

    seen.clear()
    console.revisions.record_build(pid, big, progress=lambda d, t: seen.append((d, t)))
    total = big.files["boot.wim"].stat().st_size
    assert seen[-1] == (total, total) and len(seen) > 10
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
