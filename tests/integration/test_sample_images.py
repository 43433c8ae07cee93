""""Create sample boot images": small WinPE-like WIMs built with wimlib and imported."""

from __future__ import annotations

from console.wim.reader import WimReader
from console.wim.samples import create_sample_boot_images
from tests.wim_fixtures import assert_matches_wimlib, require_tool


def test_sample_wims_look_like_real_boot_images(tmp_path):
    require_tool("wimlib-imagex")
    paths = create_sample_boot_images(tmp_path)
    assert [p.name for p in paths] == ["winpe11-x64-boot.wim", "winpe10-x86-boot.wim", "setup-media-x64-boot.wim"]
    for path in paths:
        assert 50_000 < path.stat().st_size < 1_000_000, "small, a few hundred KB"
        info = WimReader().read(path)
        assert all(i.is_windows_pe and i.architecture and i.os_version.startswith("10.0.") for i in info.images)
        assert_matches_wimlib(info, path)
    setup = WimReader().read(paths[2])
    assert setup.boot_index == 2 and [i.flags for i in setup.images] == ["9", "2"]
    assert WimReader().read(paths[1]).images[0].languages == ("en-US", "de-DE")


def test_console_creates_and_imports_the_samples(console, tmp_path):
    require_tool("wimlib-imagex")
    steps: list[tuple[int, int, str]] = []
    created = console.create_sample_boot_images(tmp_path, progress=lambda v, m, t: steps.append((v, m, t)))
    assert [(p["Name"], p["Architecture"], p["ImageIndex"]) for p in created] == [
        ("Sample WinPE 11 (x64)", "x64", 1), ("Sample WinPE 10 (x86)", "x86", 1), ("Sample Windows Setup (x64)", "x64", 2),
    ]
    assert steps[-1] == (6, 6, "Created 3 sample boot image(s)")
    again = console.create_sample_boot_images(tmp_path, cancelled=lambda: len(console.packages.query().items) >= 4)
    assert [p["Name"] for p in again] == ["Sample WinPE 11 (x64) (2)"], "stops when cancelled, names stay unique"
    assert console.packages.query().total == 4
