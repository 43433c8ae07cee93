"""The boot media rules of console.core.boot_media: which boot files an image needs per
architecture (found without regard to case, efisys_noprompt.bin when efisys.bin is absent),
and the output checks on real folders."""

from __future__ import annotations

from pathlib import Path

from console.core.boot_media import SPACE_MARGIN, output_checks, prestart_check, resolve_boot_files
from tests.media_fixtures import BOOT_FILES

LISTING = ["/" + p for p in BOOT_FILES] + ["/Windows/System32/startnet.cmd"]


def test_an_x64_image_gives_every_media_file_from_its_own_path() -> None:
    found, missing = resolve_boot_files(LISTING, "x64")
    assert missing == []
    assert {media: image.strip("/") for media, image in found.items()} == {m: i for i, m in BOOT_FILES.items()}


def test_paths_are_matched_without_case_and_kept_as_the_image_stores_them() -> None:
    listing = [p.lower() for p in LISTING]
    found, missing = resolve_boot_files(listing, "x64")
    assert missing == [] and found["boot/etfsboot.com"] == "/windows/boot/dvd/pcat/etfsboot.com"


def test_efisys_noprompt_stands_in_for_a_missing_efisys() -> None:
    listing = [p.replace("efisys.bin", "efisys_noprompt.bin") for p in LISTING]
    found, missing = resolve_boot_files(listing, "x64")
    assert missing == [] and found["efi/microsoft/boot/efisys.bin"].endswith("/efisys_noprompt.bin")


def test_x86_boots_uefi_from_bootia32_and_arm64_needs_no_bios_files() -> None:
    found, _ = resolve_boot_files(LISTING, "x86")
    assert "efi/boot/bootia32.efi" in found and "efi/boot/bootx64.efi" not in found
    bios_free = [p for p in LISTING if "/PCAT/" not in p]
    found, missing = resolve_boot_files(bios_free, "arm64")
    assert missing == [] and "efi/boot/bootaa64.efi" in found and "bootmgr" not in found
    _found, missing = resolve_boot_files(bios_free, "x64")
    assert missing == ["Windows\\Boot\\PCAT\\bootmgr", "Windows\\Boot\\DVD\\PCAT\\BCD",
                       "Windows\\Boot\\DVD\\PCAT\\boot.sdi", "Windows\\Boot\\DVD\\PCAT\\etfsboot.com"]


def test_too_little_free_space_is_refused_with_the_figures(tmp_path: Path) -> None:
    checks = output_checks(str(tmp_path / "winpe.iso"), 1 << 60)
    [space] = [c for c in checks if c.id == "media.space"]
    assert space.failed and f"the output folder {tmp_path} has " in space.message
    assert f"the image and {SPACE_MARGIN // (1024 * 1024)} MiB more" in space.message
    assert all(not c.failed for c in output_checks(str(tmp_path / "winpe.iso"), 1024))


def test_a_folder_as_output_and_an_empty_output_are_refused(tmp_path: Path) -> None:
    [check] = output_checks(str(tmp_path), 1)
    assert check.failed and "is a folder; give the medium's file name" in check.message
    [check] = output_checks("  ", 1)
    assert check.failed and check.message == "no output file was given"


def test_the_prestart_override_must_be_one_nonempty_line() -> None:
    assert prestart_check(None) is None
    check = prestart_check("   ")
    assert check is not None and check.failed
    check = prestart_check("cmd /c a\nb")
    assert check is not None and check.failed and "one line" in check.message
    check = prestart_check("setup.cmd")
    assert check is not None and check.severity == "warning" and "cmd /c" in check.message
