"""The driver catalog on a real SQLite site database, fed with real INF files on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.core.drivers import DriverInUseError, DriverQuery, DuplicateDriverError, InfError
from console.core.errors import ConflictError, NotFoundError, ValidationError
from tests.driver_fixtures import build_driver_tree, inf_source_folder

NETKVM2K = "virtio-win__kvm-guest-drivers-windows__NetKVM__wxp__netkvm2k"
SOFTETHER_ARM64 = "SoftEtherVPN__SoftEtherVPN__src__bin__hamcore__DriverPackages__Neo6_Win10__arm64__Neo6_arm64_VPN"
VIGEM = "ViGEm__ViGEmBus__sys__ViGEmBus"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return build_driver_tree(tmp_path / "drivers")


@pytest.fixture
def imported(console, tree):
    return console.drivers.import_drivers(tree, categories=["Lab", " lab "]).value


def by_folder(console, name: str):
    (driver,) = [d for d in console.drivers.query().items if Path(d.folder).name == name]
    return console.drivers.get(driver.ci_id)


def test_scan_reports_found_failed_with_reasons_and_progress(console, tree):
    calls = []
    scan = console.drivers.scan(tree, progress=lambda done, total, path: calls.append((done, total, path)))
    infs = len(list(tree.rglob("*.inf")))
    assert scan.inf_count == infs
    assert calls[0][:2] == (0, infs) and calls[-1] == (infs, infs, "")
    assert [c[0] for c in calls] == list(range(infs + 1))
    failed = {Path(f.path).name: f.message for f in scan.failed}
    assert failed["broken.inf"] == f"{tree / 'broken' / 'broken.inf'}, line 4: section header has no closing ']'"
    nonpnp = "microsoft__Windows-driver-samples__general__ioctl__kmdf__exe__nonpnp.inf"
    assert "not a device driver INF: [Version] names no Class" in failed[nonpnp]
    assert scan.duplicates == ()
    assert console.drivers.query().total == 0, "scanning writes nothing"


def test_import_puts_every_usable_inf_in_the_catalog(console, tree, imported):
    assert imported.failed and len(imported.imported) == console.drivers.query().total
    ids = [d.ci_id for d in imported.imported]
    assert ids == list(range(16777217, 16777217 + len(ids)))
    netkvm = by_folder(console, NETKVM2K)
    assert (netkvm.name, netkvm.driver_class, netkvm.provider) == ("Red Hat VirtIO Ethernet Adapter", "Net", "Red Hat Inc.")
    assert (netkvm.version, str(netkvm.date), netkvm.architectures) == ("1.0.0.0", "2007-03-15", ("any",))
    assert netkvm.inf_file == f"{NETKVM2K}.inf" and netkvm.folder == str(tree / NETKVM2K)
    assert netkvm.size == sum(p.stat().st_size for p in (tree / NETKVM2K).iterdir())
    assert "PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00" in netkvm.hardware_ids
    assert netkvm.categories == ("Lab",) and netkvm.is_enabled and netkvm.source_site == "PS1"
    assert netkvm.created_by == "alice@console1"
    stamped = by_folder(console, "stamped")
    assert (stamped.architectures, stamped.signed) == (("amd64",), True)
    (message,) = console.status.query(kind="driver")
    assert message.text.startswith(f"Imported {len(imported.imported)} driver(s) from {tree}")


def test_signed_means_the_named_catalog_file_is_beside_the_inf(console, tree, imported):
    signed = {Path(d.folder).name for d in console.drivers.query(DriverQuery(signed=True)).items}
    with_cat = {p.parent.name for p in tree.rglob("*.cat")}
    assert signed == with_cat and len(signed) >= 2
    unsigned = console.drivers.query(DriverQuery(signed=False)).items
    assert all(not d.signed for d in unsigned) and signed.isdisjoint(Path(d.folder).name for d in unsigned)


def test_reimport_and_copied_folders_are_duplicates_but_changed_files_are_not(console, tree, imported, tmp_path):
    again = console.drivers.import_drivers(tree).value
    assert again.imported == ()
    assert len(again.duplicates) == len(imported.imported)
    first = again.duplicates[0]
    assert first.existing_ci_id == imported.imported[0].ci_id
    assert "already in the catalog as driver 16777217" in first.describe()

    copies = tmp_path / "copies"
    shutil.copytree(tree / VIGEM, copies / "same")
    shutil.copytree(tree / VIGEM, copies / "changed")
    next((copies / "changed").glob("*.sys")).write_bytes(b"MZ rebuilt binary")
    scan = console.drivers.scan(copies)
    assert [Path(c.folder).name for c in scan.found] == ["changed"]
    assert [(Path(d.candidate.folder).name, d.existing_ci_id) for d in scan.duplicates] == [("same", by_folder(console, VIGEM).ci_id)]


def test_two_identical_folders_in_one_scan(console, tmp_path):
    source = inf_source_folder() / f"{VIGEM}.inf"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        shutil.copyfile(source, tmp_path / name / "vigem.inf")
    result = console.drivers.import_drivers(tmp_path).value
    assert [Path(d.folder).name for d in result.imported] == ["a"]
    assert result.duplicates[0].describe() == f"same INF and files as {tmp_path / 'a' / 'vigem.inf'}"


def test_cancelled_import_writes_nothing(console, tree):
    seen = []
    result = console.drivers.import_drivers(tree, progress=lambda d, t, p: seen.append(d), cancelled=lambda: len(seen) >= 3)
    assert result.value.cancelled and result.value.imported == ()
    assert console.drivers.query().total == 0
    assert console.drivers.scan(tree, cancelled=lambda: True).cancelled


def test_missing_folder_and_single_inf(console, tree):
    with pytest.raises(NotFoundError, match="does not exist: choose a folder that holds driver INF files"):
        console.drivers.scan(tree / "nowhere")
    created = console.drivers.create_from_inf(str(tree / VIGEM), f"{VIGEM}.inf").value
    assert created.ci_id == 16777217 and created.driver_class == "System"
    with pytest.raises(DuplicateDriverError, match=r"ViGEmBus\.inf: already in the catalog as driver 16777217 \(imported from .*ViGEmBus\.inf\); nothing was imported"):
        console.drivers.create_from_inf(str(tree / VIGEM), f"{VIGEM}.inf")
    with pytest.raises(InfError, match=r"broken\.inf, line 4"):
        console.drivers.create_from_inf(str(tree / "broken"), "broken.inf")


def test_queries_filter_by_text_class_architecture_category_and_flags(console, tree, imported):
    everything = console.drivers.query()
    assert everything.total == len(imported.imported)
    names = [d.name.casefold() for d in everything.items]
    assert names == sorted(names)
    by_hwid = console.drivers.query(DriverQuery(text="ven_1af4&dev_1000"))
    assert {d.name for d in by_hwid.items} >= {"Red Hat VirtIO Ethernet Adapter"}
    nets = console.drivers.query(DriverQuery(driver_class="net"))
    assert nets.total >= 5 and all(d.driver_class == "Net" for d in nets.items)
    x64 = console.drivers.query(DriverQuery(architecture="x64")).items
    assert all("amd64" in d.architectures for d in x64), "undecorated INFs install on x86 only"
    assert NETKVM2K not in {Path(d.folder).name for d in x64}
    assert NETKVM2K in {Path(d.folder).name for d in console.drivers.query(DriverQuery(architecture="x86")).items}
    assert SOFTETHER_ARM64 not in {Path(d.folder).name for d in x64}
    assert [Path(d.folder).name for d in console.drivers.query(DriverQuery(architecture="arm64", driver_class="Net")).items] == [SOFTETHER_ARM64]
    critical = console.drivers.query(DriverQuery(storage_or_network=True)).items
    assert {d.driver_class for d in critical} <= {"Net", "SCSIAdapter", "HDC", "DiskDrive", "SDHost"}
    assert console.drivers.query(DriverQuery(category="LAB")).total == everything.total
    assert console.drivers.query(DriverQuery(category="Other")).total == 0
    page = console.drivers.query(DriverQuery(sort="ci_id", descending=True, offset=1, limit=2))
    assert [d.ci_id for d in page.items] == [imported.imported[-2].ci_id, imported.imported[-3].ci_id]
    assert "Net" in console.drivers.classes() and console.drivers.categories() == ["Lab"]
    with pytest.raises(ValidationError, match="cannot sort drivers by 'colour'"):
        console.drivers.query(DriverQuery(sort="colour"))


def test_enable_disable_and_categories(console, tree, imported):
    ci_id = imported.imported[0].ci_id
    assert console.drivers.disable(ci_id).value.is_enabled is False
    assert console.drivers.query(DriverQuery(enabled=False)).total == 1
    assert console.drivers.enable(ci_id).value.is_enabled is True
    assert console.drivers.set_categories(ci_id, ["Network", "x64"]).value.categories == ("Network", "x64")
    with pytest.raises(NotFoundError, match="no driver with CI_ID 99 in the driver catalog; nothing was changed"):
        console.drivers.set_enabled([ci_id, 99], False)
    assert console.drivers.get(ci_id).is_enabled, "a refused change changes nothing"
    with pytest.raises(ValidationError, match="a category name cannot be empty"):
        console.drivers.set_categories(ci_id, ["  "])


def test_add_network_drivers_to_an_x64_boot_image(console, x64_package, tree, imported):
    pid = x64_package["PackageID"]
    offered = console.drivers.drivers_for_boot_image(pid).items
    names = {Path(d.folder).name for d in offered}
    assert "stamped" in names and NETKVM2K not in names, "an undecorated INF is not offered for x64"
    assert all(d.driver_class in ("Net", "SCSIAdapter", "HDC", "DiskDrive") for d in offered)
    nics = [by_folder(console, NETKVM2K), by_folder(console, "stamped")]
    result = console.drivers.add_drivers_to_boot_image(pid, [d.ci_id for d in nics])  # added anyway: says why
    assert result.value.added == tuple(d.ci_id for d in nics)
    assert result.changes.updated == {pid}
    assert (f"warning: driver {nics[0].ci_id} ({nics[0].name}) does not match the x64 boot image {pid}: its INF is "
            "undecorated, so it installs on x86 only; an x64 boot image needs a models section decorated for its "
            "platform") in result.changes.notes
    assert not any(str(nics[1].ci_id) in n and "does not match" in n for n in result.changes.notes)
    package = console.packages.get(pid, lazy=True)
    assert [(d["ID"], d["SourcePath"]) for d in package["ReferencedDrivers"]] == [(d.ci_id, d.folder) for d in nics]
    listing = console.drivers.drivers_of(pid)
    assert [e.driver.name for e in listing.drivers] == [d.name for d in nics]
    assert listing.total_size == sum(d.size for d in nics) and listing.architecture == "x64"


def test_adding_warns_about_architecture_class_and_signature(console, x64_package, tree, imported):
    pid = x64_package["PackageID"]
    arm, bus = by_folder(console, SOFTETHER_ARM64), by_folder(console, VIGEM)
    notes = console.drivers.add_drivers_to_boot_image(pid, [arm.ci_id, bus.ci_id]).changes.notes
    assert f"warning: driver {arm.ci_id} ({arm.name}) does not match the x64 boot image {pid}: it is for arm64, not x64" in notes
    assert any(f"driver {bus.ci_id} ({bus.name}) is in class System, not a storage or network class" in n for n in notes)


def test_refused_additions_change_nothing(console, x64_package, tree, imported):
    pid = x64_package["PackageID"]
    nic = by_folder(console, NETKVM2K)
    console.drivers.add_drivers_to_boot_image(pid, [nic.ci_id])
    version = console.packages.get(pid)["SedoObjectVersion"]
    with pytest.raises(ValidationError, match=rf"driver {nic.ci_id} \(Red Hat VirtIO Ethernet Adapter\) is already in boot image {pid}"):
        console.drivers.add_drivers_to_boot_image(pid, [nic.ci_id])
    other = by_folder(console, "stamped")
    console.drivers.disable(other.ci_id)
    with pytest.raises(ValidationError, match=rf"driver {other.ci_id} .* is disabled; enable it before adding it"):
        console.drivers.add_drivers_to_boot_image(pid, [other.ci_id])
    with pytest.raises(ValidationError, match="driver 16777217 is listed twice"):
        console.drivers.add_drivers_to_boot_image(pid, [16777217, 16777217])
    with pytest.raises(NotFoundError, match="no driver with CI_ID 42 in the driver catalog"):
        console.drivers.add_drivers_to_boot_image(pid, [42])
    with pytest.raises(ValidationError, match=rf"driver {other.ci_id} is not in boot image {pid}; nothing to remove"):
        console.drivers.remove_drivers_from_boot_image(pid, [other.ci_id])
    assert console.packages.get(pid)["SedoObjectVersion"] == version
    assert [d["ID"] for d in console.packages.get(pid, lazy=True)["ReferencedDrivers"]] == [nic.ci_id]


def test_stale_version_is_refused_and_removal_works(console, x64_package, tree, imported):
    pid = x64_package["PackageID"]
    nic = by_folder(console, NETKVM2K)
    stale = x64_package["SedoObjectVersion"]
    console.packages.put(pid, {"Description": "changed by someone else"})
    with pytest.raises(ConflictError):
        console.drivers.add_drivers_to_boot_image(pid, [nic.ci_id], expected_version=stale)
    console.drivers.add_drivers_to_boot_image(pid, [nic.ci_id])
    removed = console.drivers.remove_drivers_from_boot_image(pid, [nic.ci_id]).value
    assert removed.removed == (nic.ci_id,)
    assert console.packages.get(pid, lazy=True)["ReferencedDrivers"] == ()


def test_delete_is_refused_while_a_boot_image_uses_the_driver(console, x64_package, tree, imported):
    pid = x64_package["PackageID"]
    nic = by_folder(console, NETKVM2K)
    console.drivers.add_drivers_to_boot_image(pid, [nic.ci_id])
    with pytest.raises(DriverInUseError, match=rf"driver {nic.ci_id} \(Red Hat VirtIO Ethernet Adapter\) is used by boot image\(s\) {pid} \(Boot image \(x64\)\)"):
        console.drivers.delete(nic.ci_id)
    console.drivers.remove_drivers_from_boot_image(pid, [nic.ci_id])
    console.drivers.delete(nic.ci_id)
    with pytest.raises(NotFoundError):
        console.drivers.get(nic.ci_id)
    # CI_IDs are never reused: re-importing the deleted driver gets a new one
    again = console.drivers.import_drivers(tree / NETKVM2K).value.imported
    assert [d.ci_id for d in again] == [imported.imported[-1].ci_id + 1]


@pytest.fixture
def db_url(site_db: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return site_db
