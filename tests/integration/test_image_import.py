"""Importing, reloading and re-pointing boot images against real WIM files and a real
SQLite site database (GetImageProperties, Add Boot Image, ReloadImageProperties, Put)."""

from __future__ import annotations

import shutil

import pytest

from console.core.errors import ConflictError, ValidationError
from console.core.wim_errors import (
    ImageIndexError,
    UnsupportedImageError,
    WimError,
    WimNotFoundError,
)
from console.wim.reader import WimReader
from tests.integration.test_wim_hostile import CASES, damaged
from tests.wim_fixtures import assert_matches_wimlib

pytestmark = pytest.mark.both_databases


def nothing_stored(console) -> bool:
    return console.packages.query().total == 0 and console.status.query() == []


def test_get_image_properties_returns_the_xml_and_the_images(console, multi_image_wim):
    info = console.packages.get_image_properties(str(multi_image_wim))
    assert info.image_property.startswith("<WIM>") and "<NAME>Microsoft Windows PE (x64)</NAME>" in info.image_property
    assert [(i.index, i.architecture, i.os_version) for i in info.images] == [
        (1, "x86", "10.0.19041.1"), (2, "x64", "10.0.26100.1"),
    ]
    assert info.boot_index == 2


def test_import_second_image_of_a_multi_image_wim(console, multi_image_wim):
    result = console.packages.create_from_wim(str(multi_image_wim), 2, "", "1.0", "WinPE 11 for PXE")
    pkg = console.packages.get(result.value["PackageID"], lazy=True)
    assert pkg["Name"] == "Microsoft Windows PE (x64)", "the name defaults to the image's name"
    assert (pkg["ImageIndex"], pkg["Architecture"], pkg["ImageOSVersion"]) == (2, "x64", "10.0.26100.1")
    assert pkg["Language"] == "en-US" and pkg["ImagePath"] == str(multi_image_wim)
    info = console.packages.get_image_properties(str(multi_image_wim))
    assert pkg["ImageProperty"] == info.xml and pkg["PackageSize"] == info.images[1].size_kb
    assert result.changes.added == {pkg["PackageID"]} and result.changes.notes == ()
    chosen = console.packages.package_image(pkg["PackageID"])
    assert chosen is not None and chosen.name == "Microsoft Windows PE (x64)" and chosen.index == 2
    [message] = console.status.query(package_id=pkg["PackageID"])
    assert f"created from {multi_image_wim} index 2" in message.text


def test_relative_path_is_recorded_absolute(console, winpe_x64_wim, monkeypatch):
    monkeypatch.chdir(winpe_x64_wim.parent)
    pkg = console.packages.create_from_wim(winpe_x64_wim.name, 1, "PE").value
    assert pkg["ImagePath"] == str(winpe_x64_wim)


def test_index_not_in_the_file_is_refused_and_nothing_is_stored(console, multi_image_wim):
    with pytest.raises(ImageIndexError) as info:
        console.packages.create_from_wim(str(multi_image_wim), 3, "Third")
    assert str(info.value) == (f"{multi_image_wim} holds 2 image(s) (1 Microsoft Windows PE (x86), "
                               "2 Microsoft Windows PE (x64)); there is no image 3")
    assert info.value.for_property("ImageIndex")
    assert nothing_stored(console)


def test_an_install_image_is_refused_unless_allowed_then_warned(console, install_wim):
    with pytest.raises(UnsupportedImageError) as info:
        console.packages.create_from_wim(str(install_wim), 1, "Pro")
    assert str(info.value) == (
        "image 1 (Windows 11 Pro) is not a Windows PE image (EditionID Professional, InstallationType Client); "
        "ConfigMgr cannot use it as a boot image (import it anyway with allow_unsupported / --allow-unsupported)"
    )
    assert nothing_stored(console)
    result = console.packages.create_from_wim(str(install_wim), 1, "Pro", allow_unsupported=True)
    assert result.changes.notes == (
        "warning: image 1 (Windows 11 Pro) is not a Windows PE image (EditionID Professional, InstallationType Client)",
    )
    assert result.value["Architecture"] == "x64"
    warning = [m for m in console.status.query(package_id=result.value["PackageID"]) if m.severity == "warning"]
    assert len(warning) == 1 and "is not a Windows PE image" in warning[0].text


@pytest.mark.parametrize(("how", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_unreadable_files_store_nothing(console, winpe_x64_wim, tmp_path, how, error, message):
    path = damaged(winpe_x64_wim, tmp_path, how)
    with pytest.raises(error) as info:
        console.packages.create_from_wim(str(path), 1, "Broken")
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
    assert nothing_stored(console)


def test_unreadable_new_path_in_put_changes_nothing(console, winpe_x64_wim, tmp_path):
    pkg = console.packages.create_from_wim(str(winpe_x64_wim), 1, "PE").value
    path = damaged(winpe_x64_wim, tmp_path, "billion-laughs")
    messages = console.status.query(package_id="PS100001")
    with pytest.raises(WimError, match="declaration; refused"):
        console.packages.put("PS100001", {"ImagePath": str(path)})
    assert console.packages.get("PS100001", lazy=True) == pkg
    assert console.status.query(package_id="PS100001") == messages


def test_reload_warns_when_the_image_is_no_longer_windows_pe(console, winpe_x64_wim, install_wim, wim_copy):
    path = wim_copy(winpe_x64_wim)
    console.packages.create_from_wim(str(path), 1, "PE")
    shutil.copyfile(install_wim, path)
    notes = console.packages.reload_image_properties("PS100001").changes.notes
    assert "warning: image 1 (Windows 11 Pro) is not a Windows PE image (EditionID Professional, InstallationType Client)" in notes
    [message] = console.status.query(package_id="PS100001", kind="image")
    assert message.severity == "warning"


@pytest.mark.parametrize("fixture", ["winpe_x64_wim", "winpe_x86_wim", "multi_image_wim", "install_wim"])
def test_every_session_fixture_matches_wimlib(request, fixture):
    path = request.getfixturevalue(fixture)
    assert_matches_wimlib(WimReader().read(path), path)


def test_reload_after_replacing_the_file_shows_what_changed(console, winpe_x86_wim, winpe_x64_wim, wim_copy):
    path = wim_copy(winpe_x86_wim)
    before = console.packages.create_from_wim(str(path), 1, "PE").value
    shutil.copyfile(winpe_x64_wim, path)
    result = console.packages.reload_image_properties(before["PackageID"])
    after = result.value
    assert after["Architecture"] == "x64" and after["ImageOSVersion"] == "10.0.26100.1"
    assert after["SedoObjectVersion"] != before["SedoObjectVersion"]
    notes = result.changes.notes
    assert "Architecture: x86 -> x64" in notes
    assert "ImageOSVersion: 10.0.19041.1 -> 10.0.26100.1" in notes
    assert any(n.startswith("ImageProperty: XML metadata updated (") for n in notes)
    assert after["PackageSize"] == console.packages.get_image_properties(str(path)).images[0].size_kb
    assert result.changes.updated == {before["PackageID"]}
    texts = [m.text for m in console.status.query(package_id=before["PackageID"], kind="image")]
    assert texts[0].startswith(f"Image properties reloaded from {path} index 1: Architecture: x86 -> x64; ")


def test_reload_without_changes_keeps_the_version(console, winpe_x64_wim):
    pkg = console.packages.create_from_wim(str(winpe_x64_wim), 1, "PE").value
    result = console.packages.reload_image_properties(pkg["PackageID"])
    assert result.changes.notes == ("no changes",) and not result.changes.updated
    assert result.value["SedoObjectVersion"] == pkg["SedoObjectVersion"]


def test_reload_fills_a_package_recorded_without_reading(console, winpe_x64_wim):
    pkg = console.packages.create(name="Later", image_path=str(winpe_x64_wim)).value
    assert pkg["Architecture"] == ""
    notes = console.packages.reload_image_properties(pkg["PackageID"]).changes.notes
    assert "Architecture: (empty) -> x64" in notes and "Language: (empty) -> en-US" in notes


def test_reload_refuses_when_the_file_is_gone(console, winpe_x64_wim, wim_copy):
    path = wim_copy(winpe_x64_wim)
    pkg = console.packages.create_from_wim(str(path), 1, "PE").value
    path.unlink()
    with pytest.raises(WimNotFoundError) as info:
        console.packages.reload_image_properties(pkg["PackageID"])
    assert str(info.value) == f"{path}: no such file (source image of PS100001; nothing was changed)"
    assert console.packages.get("PS100001", lazy=True) == pkg


def test_reload_refuses_when_the_file_has_fewer_images(console, multi_image_wim, winpe_x64_wim, wim_copy):
    path = wim_copy(multi_image_wim)
    pkg = console.packages.create_from_wim(str(path), 2, "Second").value
    shutil.copyfile(winpe_x64_wim, path)
    with pytest.raises(ImageIndexError, match=r"now holds 1 image\(s\), fewer than PS100001's ImageIndex 2; nothing was changed"):
        console.packages.reload_image_properties(pkg["PackageID"])
    assert console.packages.get("PS100001", lazy=True) == pkg


def test_reload_with_a_stale_version_is_refused(console, winpe_x64_wim):
    pkg = console.packages.create_from_wim(str(winpe_x64_wim), 1, "PE").value
    console.packages.put("PS100001", {"Description": "changed"})
    with pytest.raises(ConflictError):
        console.packages.reload_image_properties("PS100001", expected_version=pkg["SedoObjectVersion"])


def test_put_of_a_new_index_or_path_rereads_the_image(console, multi_image_wim, winpe_x86_wim, tmp_path):
    pkg = console.packages.create_from_wim(str(multi_image_wim), 1, "PE").value
    assert pkg["Architecture"] == "x86"
    moved = console.packages.put("PS100001", {"ImageIndex": 2}).value
    assert (moved["Architecture"], moved["ImageOSVersion"]) == ("x64", "10.0.26100.1")
    with pytest.raises(ImageIndexError, match="there is no image 5"):
        console.packages.put("PS100001", {"ImageIndex": 5})
    with pytest.raises(WimNotFoundError, match=r"gone\.wim: no such file"):
        console.packages.put("PS100001", {"ImagePath": str(tmp_path / "gone.wim"), "ImageIndex": 1})
    assert console.packages.get("PS100001", lazy=True) == moved, "refused puts changed nothing"
    back = console.packages.put("PS100001", {"ImagePath": str(winpe_x86_wim), "ImageIndex": 1}).value
    assert back["Architecture"] == "x86" and back["ImagePath"] == str(winpe_x86_wim)


def test_a_new_architecture_does_not_strand_optional_components(console, multi_image_wim):
    console.packages.create_from_wim(str(multi_image_wim), 2, "x64 PE")
    console.packages.update_optional_components("PS100001", ["WinPE-WMI"])
    with pytest.raises(ValidationError, match=r"PS100001 has x64 optional components \(WinPE-WMI\) but the image is x86"):
        console.packages.put("PS100001", {"ImageIndex": 1})
    assert console.packages.get("PS100001", lazy=True)["Architecture"] == "x64"


def test_image_list_comes_from_the_stored_xml(console, multi_image_wim, wim_copy):
    path = wim_copy(multi_image_wim)
    pkg = console.packages.create_from_wim(str(path), 2, "PE").value
    path.unlink()  # the list needs no file
    images = console.packages.image_list(pkg["PackageID"])
    assert [(i.index, i.name, i.architecture) for i in images] == [
        (1, "Microsoft Windows PE (x86)", "x86"), (2, "Microsoft Windows PE (x64)", "x64"),
    ]
    assert console.packages.image_list(console.packages.create(name="Empty", image_path="/x.wim").value) == []
