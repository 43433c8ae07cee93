"""``bootimage settings`` network boot options and ``bootimage dp pxe`` (subprocess, real SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.core.pxe import WIMBOOT_URL
from tests.servers.pxe import wimboot_stand_in

pytestmark = pytest.mark.both_databases


def test_settings_wimboot_is_checked_and_the_menu_settings_are_kept(site, tmp_path: Path) -> None:
    page = tmp_path / "wimboot.html"
    page.write_bytes(b"<html>rate limited</html>" + b" " * 30000)
    bad = site("settings", "--wimboot", str(page), check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ") and "neither an EFI executable nor a Linux bzImage" in bad.stderr
    assert json.loads(site("settings", "--json").stdout)["PxeWimbootPath"] == ""  # nothing changed
    empty = tmp_path / "empty"
    empty.write_bytes(b"")  # curl saved nothing
    short = site("settings", "--wimboot", str(empty), check=False)
    assert short.returncode == 1
    assert short.stderr == (f"error: wimboot {empty} is 0 bytes; wimboot is between 8 KiB and 8 MiB, so it is not "
                            "wimboot (download it again from https://github.com/ipxe/wimboot/releases/latest/download/"
                            "wimboot); nothing was changed\n")
    good = wimboot_stand_in(tmp_path / "wimboot")  # a stand-in, not the real wimboot
    values = json.loads(site("settings", "--wimboot", str(good), "--pxe-timeout", "15", "--pxe-subnet", "10.1.2.3/16",
                             "--pxe-http-port", "8080", "--json").stdout)
    assert values["PxeWimbootPath"] == str(good)
    assert values["PxeMenuTimeout"] == 15 and values["PxeSubnet"] == "10.1.0.0" and values["PxeHttpPort"] == 8080
    usage = site("settings", "--pxe-timeout", "99999", check=False)
    assert usage.returncode == 2
    missing = site("settings", "--pxe-default-item", "PS1FFFFF", check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: ")


def test_dp_pxe_prints_the_generated_configuration_and_the_layout_state(site, tmp_path: Path) -> None:
    folder = tmp_path / "dp01"
    folder.mkdir()
    site("dp", "add", "DP01", "--transport", "folder", "--address", str(folder), "--pxe")
    status = json.loads(site("dp", "pxe", "DP01", "--json").stdout)
    assert status["PxeEnabled"] is True and status["MenuItems"] == []
    assert status["LayoutPath"] == f"{folder}/SCCMContentLib/PXE"
    assert status["Layout"] is None and "no network boot layout on DP01 yet" in status["LayoutMessage"]
    assert status["Wimboot"]["Ok"] is False and WIMBOOT_URL in status["Wimboot"]["Message"]
    assert "bootimage settings --wimboot PATH" in status["Wimboot"]["Message"]
    dnsmasq = site("dp", "pxe", "DP01", "--dnsmasq").stdout
    assert f"tftp-root={folder}/SCCMContentLib/PXE" in dnsmasq.splitlines()
    nginx = site("dp", "pxe", "DP01", "--nginx").stdout
    assert "listen 80;" in nginx and f"root {folder}/SCCMContentLib/PXE;" in nginx
    text = site("dp", "pxe", "DP01").stdout
    assert "# --- dnsmasq ---" in text and "# --- nginx ---" in text and "wimboot" in text
    # a flagged package assigned to the DP is a menu item (documented in docs/network-boot.md)
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "WinPE x64", "--no-image-read")
    site("set", "PS100001", "DeployFromPxeDistributionPoint=true")
    site("distribute", "PS100001", "--dp", "DP01", "--no-worker")
    status = json.loads(site("dp", "pxe", "DP01", "--json").stdout)
    assert [i["PackageID"] for i in status["MenuItems"]] == ["PS100001"]
    # its image was never read: no architecture, so no menu offers it, and the DP's state says so
    assert status["Notes"] == [("PS100001 is in no menu: its architecture (unknown: read its image) is not one "
                               "network boot serves (arm64, x64, x86)")]
    assert "PS100001" not in site("dp", "pxe", "DP01", "--script").stdout
    unknown = site("dp", "pxe", "NOPE", check=False)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: ")
