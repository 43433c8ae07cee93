"""`bootimage driver ...` and `bootimage set --add-driver/--remove-driver`, as separate processes."""

from __future__ import annotations

import json

import pytest

from tests.driver_fixtures import MALFORMED_INF, build_driver_tree

pytestmark = pytest.mark.both_databases


@pytest.fixture
def x64_boot_image(site, cli_db_url: str) -> str:
    # The WIM-building fixtures (tests/wim_fixtures.py) are not in the tree yet, so the x64
    # package is created through the Python API with the facts the WIM reader would record.
    from console.app import open_console
    from console.core.image_facts import ImageFacts

    console = open_console(cli_db_url, user="setup@host")
    facts = ImageFacts("x64", "10.0.26100.1", "en-US", "<WIM/>", 1024, "Microsoft Windows PE (amd64)")
    package = console.packages.create(name="WinPE x64", image_path="/images/boot.wim", image=facts).value
    console.close()
    return str(package["PackageID"])


def test_import_list_and_add_two_network_drivers_to_an_x64_boot_image(site, x64_boot_image, tmp_path):
    tree = build_driver_tree(tmp_path / "drivers")
    report = json.loads(site("driver", "import", str(tree), "--category", "WinPE", "--json").stdout)
    assert set(report) == {"folder", "found", "imported", "duplicates", "failed", "cancelled"}
    assert report["found"] == len(list(tree.rglob("*.inf")))
    assert len(report["imported"]) + len(report["failed"]) == report["found"]
    broken = [f for f in report["failed"] if f["path"].endswith("broken.inf")]
    assert broken[0]["message"].endswith("broken.inf, line 4: section header has no closing ']'")

    listed = json.loads(site("driver", "list", "--json", "--arch", "x64", "--storage-network").stdout)
    assert len(listed) >= 2
    assert all(d["__class"] == "SMS_Driver" and d["DriverClass"] in ("Net", "SCSIAdapter", "DiskDrive") for d in listed)
    assert all("amd64" in d["SupportedArchitectures"] for d in listed), "undecorated INFs install on x86 only"
    assert all(d["LocalizedCategoryInstanceNames"] == ["WinPE"] for d in listed)
    assert "HardwareIDs" not in listed[0], "lists do not carry lazy properties"
    first, second = listed[0]["CI_ID"], listed[1]["CI_ID"]

    out = site("set", x64_boot_image, "--add-driver", str(first), "--add-driver", str(second)).stdout
    assert out.startswith(f"{x64_boot_image}: saved (ReferencedDrivers)")
    assert f"drivers: {first} ({listed[0]['LocalizedDisplayName']}), {second} ({listed[1]['LocalizedDisplayName']})" in out
    shown = json.loads(site("show", x64_boot_image, "--json").stdout)
    assert shown["ReferencedDrivers"] == [
        {"__class": "SMS_Driver_Details", "ID": first, "SourcePath": listed[0]["ContentSourcePath"]},
        {"__class": "SMS_Driver_Details", "ID": second, "SourcePath": listed[1]["ContentSourcePath"]},
    ]
    drivers_tab = json.loads(site("driver", "list", "--boot-image", x64_boot_image, "--json").stdout)
    assert [d["ID"] for d in drivers_tab["Drivers"]] == [first, second]
    assert drivers_tab["TotalSize"] == listed[0]["ContentSize"] + listed[1]["ContentSize"]

    again = site("set", x64_boot_image, "--add-driver", str(first), check=False)
    assert again.returncode == 1
    assert again.stderr.strip().endswith(f"is already in boot image {x64_boot_image}")
    in_use = site("driver", "remove", str(first), "--force", check=False)
    assert in_use.returncode == 1 and f"is used by boot image(s) {x64_boot_image} (WinPE x64)" in in_use.stderr

    removed = json.loads(site("set", x64_boot_image, "--remove-driver", str(first), "--json").stdout)
    assert [d["ID"] for d in removed["ReferencedDrivers"]] == [second]

    reimport = site("driver", "import", str(tree))
    assert f"0 imported, {len(report['imported'])} duplicate(s), {len(report['failed'])} failed" in reimport.stdout


def test_show_enable_disable(site, tmp_path):
    tree = build_driver_tree(tmp_path / "drivers")
    site("driver", "import", str(tree / "stamped"))
    shown = json.loads(site("driver", "show", "16777217", "--json").stdout)
    assert shown["DriverINFFile"] == "cxwmbclass.inf" and shown["DriverSigned"] is True
    assert shown["SupportedArchitectures"] == ["amd64"]
    assert "USB\\VID_1199&PID_9071&MI_0C" in shown["HardwareIDs"]
    assert shown["__models"][0]["InstallSection"] == "wmbclass.ndi"
    assert "DriverVer is empty" in shown["INFWarnings"][0]
    assert site("driver", "disable", "16777217").stdout.strip() == "16777217 (Generic Mobile Broadband Adapter): disabled"
    assert json.loads(site("driver", "list", "--json", "--no-enabled").stdout)[0]["IsEnabled"] is False
    assert "16777217 (Generic Mobile Broadband Adapter): enabled" in site("driver", "enable", "16777217").stdout
    text = site("driver", "show", "16777217").stdout
    assert "DriverClass" in text and "USB\\VID_1199&PID_9071&MI_0C  Generic Mobile Broadband Adapter" in text
    missing = site("driver", "show", "5", check=False)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no driver with CI_ID 5 in the driver catalog"


def test_import_exit_codes(site, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "one.inf").write_bytes(MALFORMED_INF)
    (bad / "autorun.inf").write_text("[autorun]\nopen=setup.exe\n")
    failed = site("driver", "import", str(bad), check=False)
    assert failed.returncode == 1, "nothing imported and INFs failed"
    assert "0 imported, 0 duplicate(s), 2 failed" in failed.stdout
    assert "autorun.inf: not a driver INF: it has no [Version] section (this is an autorun.inf" in failed.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert site("driver", "import", str(empty)).stdout.startswith(f"{empty}: 0 INF file(s)")
    nowhere = site("driver", "import", str(tmp_path / "nowhere"), check=False)
    assert nowhere.returncode == 1 and "does not exist" in nowhere.stderr


def test_architectures_are_shown_in_the_class_terms(site, tmp_path):
    """x64 (not amd64) as SMS_BootImagePackage says; a template INF is "not stamped"; JSON keeps the stored values."""
    tree = build_driver_tree(tmp_path / "drivers")
    site("driver", "import", str(tree))
    table = site("driver", "list").stdout
    assert "amd64" not in table and "NT$ARCH$" not in table and "unstamped" not in table
    assert "x64" in table and "not stamped (template INF)" in table and "x86 (undecorated INF)" in table
    stamped = next(d for d in json.loads(site("driver", "list", "--json").stdout)
                   if d["ContentSourcePath"].endswith("stamped"))
    assert stamped["SupportedArchitectures"] == ["amd64"]
    shown = site("driver", "show", str(stamped["CI_ID"])).stdout
    assert "SupportedArchitectures" in shown and "x64" in shown and "amd64" not in shown.split("Devices:")[0]
