"""A built boot image that carries the Windows boot files a medium needs, as files of the right
names and plausible content (a FAT12 ``efisys.bin`` holding ``EFI/BOOT/BOOTX64.EFI``, registry
hives as the BCD stores, ``MZ`` stubs as the EFI boot managers, an ``$SDI0001`` RAM disk header):
not Microsoft's bytes, which cannot be shipped; no test boots them."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.revision_fixtures import built_image
from tests.servicing_fixtures import minimal_hive, system_hive
from tests.wim_fixtures import require_tool

#: paths in the image (as Windows PE has them) -> what the medium shows them as
BOOT_FILES = {
    "Windows/Boot/PCAT/bootmgr": "bootmgr",
    "Windows/Boot/EFI/bootmgr.efi": "bootmgr.efi",
    "Windows/Boot/EFI/bootmgfw.efi": "efi/boot/bootx64.efi",
    "Windows/Boot/DVD/PCAT/BCD": "boot/bcd",
    "Windows/Boot/DVD/PCAT/boot.sdi": "boot/boot.sdi",
    "Windows/Boot/DVD/PCAT/etfsboot.com": "boot/etfsboot.com",
    "Windows/Boot/DVD/EFI/BCD": "efi/microsoft/boot/bcd",
    "Windows/Boot/DVD/EFI/en-US/efisys.bin": "efi/microsoft/boot/efisys.bin",
}


def _pe_stub(name: str, size: int) -> bytes:
    head = b"MZ" + b"\x90\x00" * 29 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00\x64\x86"
    return (head + name.encode("ascii")).ljust(size, b"\x00")


def efisys_image(folder: Path) -> bytes:
    """A 1.44 MB FAT12 floppy image with ``EFI/BOOT/BOOTX64.EFI`` (what efisys.bin is)."""
    require_tool("mkfs.fat")
    require_tool("mcopy")
    folder.mkdir(parents=True, exist_ok=True)
    image, efi = folder / "efisys.bin", folder / "BOOTX64.EFI"
    efi.write_bytes(_pe_stub("bootmgfw", 48 * 1024))
    image.unlink(missing_ok=True)
    subprocess.run(["mkfs.fat", "-C", str(image), "1440"], check=True, capture_output=True)
    env = {"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}
    for args in (["mmd", "-i", str(image), "::/EFI", "::/EFI/BOOT"], ["mcopy", "-i", str(image), str(efi), "::/EFI/BOOT/"]):
        subprocess.run(args, check=True, capture_output=True, env=env)
    return image.read_bytes()


def boot_file_contents(folder: Path) -> dict[str, bytes]:
    return {
        "Windows/Boot/PCAT/bootmgr": (b"\xeb\x3c\x90BOOTMGR" + b"\x00" * 500 + b"\x55\xaa").ljust(96 * 1024, b"\x00"),
        "Windows/Boot/EFI/bootmgr.efi": _pe_stub("bootmgr.efi", 64 * 1024),
        "Windows/Boot/EFI/bootmgfw.efi": _pe_stub("bootmgfw.efi", 64 * 1024),
        "Windows/Boot/DVD/PCAT/BCD": minimal_hive("BCD00000000"),
        "Windows/Boot/DVD/PCAT/boot.sdi": (b"$SDI0001" + b"\x00" * 504).ljust(128 * 1024, b"\x00"),
        "Windows/Boot/DVD/PCAT/etfsboot.com": (b"\xfa\x33\xc0\x8e\xd0\xbc\x00\x7c" + b"CDBOOT").ljust(4096, b"\x00"),
        "Windows/Boot/DVD/EFI/BCD": minimal_hive("BCD00000001"),
        "Windows/Boot/DVD/EFI/en-US/efisys.bin": efisys_image(folder / "efisys"),
    }


def record_media_build(console: Any, pid: str, folder: Path, *, boot_files: bool = True,
                       leave_out: tuple[str, ...] = (), extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Record a built revision of ``pid`` whose image carries the boot files (all, or all but
    ``leave_out``, or none) and ``extra`` files; the boot files' contents by image path."""
    contents = {k: v for k, v in boot_file_contents(folder).items() if boot_files and k not in leave_out}
    (folder / "hive").mkdir(parents=True, exist_ok=True)
    hive = system_hive(folder / "hive" / "SYSTEM").read_bytes()  # as every built image has it
    console.revisions.record_build(pid, built_image(folder, f"media-{pid}",
                                                    add={**contents, **(extra or {}),
                                                         "Windows/System32/config/SYSTEM": hive}))
    return contents
