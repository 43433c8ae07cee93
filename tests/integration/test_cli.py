"""The `bootimage` command end to end, as separate processes against one site database."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import site_identity

pytestmark = pytest.mark.both_databases


def test_acceptance_walkthrough(site):
    created = site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Boot image (x64)", "--no-image-read")
    assert created.stdout.strip() == "PS100001"
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    from console.app import load_registry

    assert set(shown) - {"__class", "__optionalComponents"} == set(load_registry()["SMS_BootImagePackage"].properties)
    assert shown["ScratchSpace"] == 512
    assert shown["PackageType"] == 258
    assert shown["ForcedDisconnectDelay"] == 5
    assert shown["ImagePath"] == "/x/boot.wim"

    bad = site("set", "PS100001", "ScratchSpace=100", check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: ScratchSpace must be one of 32, 64, 128, 256, 512 (MB); got 100"
    assert bad.stderr.count("\n") == 1, "one-line error"
    read_only = site("set", "PS100001", "SourceVersion=3", check=False)
    assert read_only.returncode == 1
    assert "SourceVersion is read-only" in read_only.stderr
    assert json.loads(site("show", "PS100001", "--json").stdout) == shown, "failed sets changed nothing"


def test_set_list_remove_and_classes(site):
    site("new", "--path", "/x/a.wim", "--index", "2", "--name", "Alpha", "--version", "1.0", "--no-image-read")
    site("new", "--path", "/x/b.wim", "--index", "1", "--name", "Bravo", "--no-image-read")
    out = site("set", "PS100001", "ScratchSpace=256", "PkgFlags=PERSIST_IN_CACHE|USE_BINARY_DELTA_REP", "Priority=HIGH").stdout
    assert out.startswith("PS100001: saved (PkgFlags, Priority, ScratchSpace)")
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    assert (shown["ScratchSpace"], shown["PkgFlags"], shown["Priority"]) == (256, 0x06000000, 1)
    listed = json.loads(site("list", "--json", "--filter", "brav").stdout)
    assert [p["Name"] for p in listed] == ["Bravo"]
    assert "ScratchSpace" not in listed[0], "lists do not carry lazy properties"
    table = site("list").stdout
    assert "Alpha" in table
    assert "2 of 2 boot image package(s)" in table
    assert json.loads(site("show", "PS100001", "--json", "--no-lazy").stdout)["ScratchSpace"] is None
    refused = site("remove", "PS100002", check=False)
    assert refused.returncode == 1
    assert "add --force" in refused.stderr
    site("remove", "PS100002", "--force")
    missing = site("show", "PS100002", check=False)
    assert missing.returncode == 1
    assert "no boot image package with PackageID 'PS100002'" in missing.stderr
    classes = site("classes").stdout
    assert "SMS_BootImagePackage" in classes
    assert "SMS_ST_RecurWeekly" in classes
    mof = site("class", "SMS_BootImagePackage", "--mof").stdout
    assert mof.startswith("[Description(")
    assert "class SMS_BootImagePackage : SMS_PackageBaseclass" in mof
    assert "    UInt32 OptionalComponents[];" in mof
    assert "SInt32 GetImageProperties([In] String SourceImagePath, [Out] String ImageProperty);" in mof
    described = json.loads(site("class", "SMS_BootImagePackage", "--json").stdout)
    assert len(described["Properties"]) == 60
    assert len(described["Methods"]) == 13


def test_optional_components_from_the_command_line(site, winpe_x64_wim):
    # An x64 package: the architecture is read from a real x64 WinPE image.
    assert site("new", "--path", str(winpe_x64_wim), "--index", "1", "--name", "x64").stdout.strip() == "PS100001"
    assert json.loads(site("show", "PS100001", "--json").stdout)["Architecture"] == "x64"
    out = site("set", "PS100001", "--add-optional-component", "WinPE-PowerShell").stdout
    assert "required by the site: WinPE-WMI (also required by WinPE-PowerShell)" in out
    assert "added as prerequisite: WinPE-NetFx, required by WinPE-PowerShell" in out
    assert "required by the site: WinPE-Scripting (also required by WinPE-PowerShell)" in out
    shown = site("show", "PS100001").stdout
    assert "Chosen: WinPE-PowerShell (41)" in shown
    assert "Prerequisites: WinPE-NetFx (40, for WinPE-PowerShell)" in shown
    assert "Required by the site: WinPE-Scripting (44), WinPE-SecureStartup (45), WinPE-WDS-Tools (50), WinPE-WMI (52)" in shown
    data = json.loads(site("show", "PS100001", "--json").stdout)
    assert data["OptionalComponents"] == [52, 40, 44, 41]
    groups = data["__optionalComponents"]
    assert groups["chosen"] == [{"ID": 41, "Name": "WinPE-PowerShell"}]
    assert groups["prerequisites"] == [{"ID": 40, "Name": "WinPE-NetFx", "NeededBy": ["WinPE-PowerShell"]}]
    assert [g["Name"] for g in groups["siteRequired"]] == ["WinPE-Scripting", "WinPE-SecureStartup", "WinPE-WDS-Tools", "WinPE-WMI"]
    assert "optional components: WinPE-WMI, WinPE-NetFx, WinPE-Scripting, WinPE-PowerShell" in out
    refused = site("set", "PS100001", "--remove-optional-component", "WinPE-NetFx", check=False)
    assert refused.returncode == 1
    assert "cannot remove WinPE-NetFx: WinPE-PowerShell needs it" in refused.stderr
    # adding what is there (chosen, or brought as a prerequisite) or removing what is not saves nothing
    version = data["SedoObjectVersion"]
    again = site("set", "PS100001", "--add-optional-component", "WinPE-PowerShell", "--add-optional-component", "WinPE-NetFx",
                 "--remove-optional-component", "WinPE-HTA").stdout.splitlines()
    assert again[:4] == ["PS100001: nothing changed", "WinPE-PowerShell is already in boot image PS100001; nothing to add",
                         "WinPE-NetFx is already in boot image PS100001; nothing to add",
                         "WinPE-HTA is not in boot image PS100001; nothing to remove"], again
    assert json.loads(site("show", "PS100001", "--json").stdout)["SedoObjectVersion"] == version


def test_two_processes_saving_the_same_package(site, cli_db_url):
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Shared", "--no-image-read")
    version_seen_by_alice = json.loads(site("show", "PS100001", "--json").stdout)["SedoObjectVersion"]
    version_seen_by_bob = json.loads(site("show", "PS100001", "--json").stdout)["SedoObjectVersion"]
    site("set", "PS100001", "Description=Alice was here", "--expected-version", version_seen_by_alice)
    second = site("set", "PS100001", "Description=Bob was here", "--expected-version", version_seen_by_bob, check=False)
    assert second.returncode == 1
    assert f"PS100001 was changed by {site_identity(cli_db_url)} at " in second.stderr
    assert "Nothing was saved" in second.stderr
    assert json.loads(site("show", "PS100001", "--json").stdout)["Description"] == "Alice was here"


def test_usage_errors_and_missing_site(run):
    no_site = run("list", check=False)
    assert no_site.returncode == 1
    assert "bootimage site init --site-code PS1" in no_site.stderr
    assert run("frobnicate", check=False).returncode == 2
    bad_code = run("site", "init", "--site-code", "TOOLONG", check=False)
    assert "must be exactly 3 letters or digits" in bad_code.stderr
