"""Boot media (ConfigMgr's "Create Prestart Media" for a boot image): what a medium holds.

The layout mirrors the media folder of the Windows ADK's ``copype`` / ``MakeWinPEMedia``
(and a Windows installation disc): the boot files are taken from the built image itself
(``Windows\\Boot\\...``), the image becomes ``sources\\boot.wim``::

    bootmgr                          <- Windows/Boot/PCAT/bootmgr            (BIOS boot manager)
    bootmgr.efi                      <- Windows/Boot/EFI/bootmgr.efi
    boot/bcd                         <- Windows/Boot/DVD/PCAT/BCD            (BIOS boot store)
    boot/boot.sdi                    <- Windows/Boot/DVD/PCAT/boot.sdi       (RAM disk image)
    boot/etfsboot.com                <- Windows/Boot/DVD/PCAT/etfsboot.com   (El Torito BIOS image)
    efi/boot/bootx64.efi             <- Windows/Boot/EFI/bootmgfw.efi        (UEFI removable-media path)
    efi/microsoft/boot/bcd           <- Windows/Boot/DVD/EFI/BCD             (UEFI boot store)
    efi/microsoft/boot/efisys.bin    <- Windows/Boot/DVD/EFI/en-US/efisys.bin (El Torito UEFI image;
                                        efisys_noprompt.bin when efisys.bin is absent)
    sources/boot.wim                 <- the image

File names are lower case on the medium (ISO 9660/Joliet/UDF and FAT are case-insensitive for
Windows' boot manager). x86 images boot from ``efi/boot/bootia32.efi``, arm64 images from
``efi/boot/bootaa64.efi`` and have no BIOS files.

Standard library only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from console.core.servicing import Check, Severity

#: Free space the medium needs beyond the image (boot files, file system, the temporary copy).
SPACE_MARGIN = 64 * 1024 * 1024


class MediaFormat(StrEnum):
    ISO = "iso"
    DISK = "disk"


@dataclass(frozen=True)
class BootFile:
    """One file of the medium: where it goes, where it comes from in the image (the first
    candidate the image has), and for which firmware it is needed."""

    media_path: str
    image_paths: tuple[str, ...]
    firmware: str  # "bios" | "uefi"


EFI_BOOT_NAMES = {"x64": "bootx64.efi", "x86": "bootia32.efi", "arm64": "bootaa64.efi"}


def boot_files(architecture: str) -> tuple[BootFile, ...]:
    """The boot files a medium of an image of ``architecture`` needs (x64 when unknown)."""
    arch = architecture.strip().lower() or "x64"
    bios = (
        BootFile("bootmgr", ("/Windows/Boot/PCAT/bootmgr",), "bios"),
        BootFile("boot/bcd", ("/Windows/Boot/DVD/PCAT/BCD",), "bios"),
        BootFile("boot/boot.sdi", ("/Windows/Boot/DVD/PCAT/boot.sdi",), "bios"),
        BootFile("boot/etfsboot.com", ("/Windows/Boot/DVD/PCAT/etfsboot.com",), "bios"),
    )
    uefi = (
        BootFile("bootmgr.efi", ("/Windows/Boot/EFI/bootmgr.efi",), "uefi"),
        BootFile(f"efi/boot/{EFI_BOOT_NAMES.get(arch, 'bootx64.efi')}", ("/Windows/Boot/EFI/bootmgfw.efi",), "uefi"),
        BootFile("efi/microsoft/boot/bcd", ("/Windows/Boot/DVD/EFI/BCD",), "uefi"),
        BootFile("efi/microsoft/boot/efisys.bin", ("/Windows/Boot/DVD/EFI/en-US/efisys.bin",
                                                   "/Windows/Boot/DVD/EFI/en-US/efisys_noprompt.bin"), "uefi"),
    )
    return uefi if arch == "arm64" else bios + uefi


#: On the medium: the image, and the El Torito boot images.
MEDIA_WIM = "sources/boot.wim"
BIOS_BOOT_IMAGE = "boot/etfsboot.com"
UEFI_BOOT_IMAGE = "efi/microsoft/boot/efisys.bin"


def _windows(path: str) -> str:
    return path.strip("/").replace("/", "\\")


def resolve_boot_files(listing: Iterable[str], architecture: str) -> tuple[dict[str, str], list[str]]:
    """(media path -> path in the image as stored, missing image paths in Windows form) for an
    image whose files are ``listing`` (``/``-separated paths; compared without case)."""
    present = {p.replace("\\", "/").rstrip("/").casefold(): p for p in listing}
    found: dict[str, str] = {}
    missing: list[str] = []
    for item in boot_files(architecture):
        hit = next((present[c.casefold()] for c in item.image_paths if c.casefold() in present), None)
        if hit is None:
            missing.append(" or ".join(_windows(c) for c in item.image_paths))
        else:
            found[item.media_path] = hit
    return found, missing


def boot_files_check(listing: Iterable[str] | None, architecture: str, what: str) -> Check:
    if listing is None:
        return Check("media.boot-files", "warning", f"{what} was built before file listings were recorded: its boot "
                     "files are checked when the job takes the image (a new build records its listing)")
    _found, missing = resolve_boot_files(listing, architecture)
    if missing:
        return Check("media.boot-files", "failure", f"{what} lacks the boot files a medium needs: {', '.join(missing)}; "
                     "build the boot image from a Windows PE image that has them (the Windows ADK's winpe.wim does)")
    return Check("media.boot-files", "pass", f"{what} carries every boot file the medium needs")


def output_checks(output: str, needed_bytes: int) -> list[Check]:
    """The output file's folder exists and is writable (a probe file is created and removed)
    and has room for ``needed_bytes`` plus ``SPACE_MARGIN``; ``output`` is not a folder."""
    path = os.path.abspath(os.path.expanduser(output)) if output.strip() else ""
    if not path:
        return [_fail("media.output", "no output file was given")]
    if os.path.isdir(path):
        return [_fail("media.output", f"{path} is a folder; give the medium's file name, e.g. {path}/boot.iso")]
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        return [_fail("media.output", f"the output folder {folder} does not exist; create it or choose another")]
    try:
        fd, probe = tempfile.mkstemp(prefix=".bootimage-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return [_fail("media.output", f"the output folder {folder} is not writable ({exc.strerror or exc}); "
                      "choose another folder")]
    checks = [Check("media.output", "pass", f"the output folder {folder} is writable")]
    need = needed_bytes + SPACE_MARGIN
    free = shutil.disk_usage(folder).free
    if free < need:
        checks.append(_fail("media.space", f"the output folder {folder} has {_mib(free)} free; the medium needs "
                            f"{_mib(need)} (the image and {_mib(SPACE_MARGIN)} more); free space or choose another"))
    else:
        checks.append(Check("media.space", "pass", f"{_mib(free)} free in {folder} ({_mib(need)} needed)"))
    return checks


def prestart_check(command: str | None) -> Check | None:
    if command is None:
        return None
    if not command.strip():
        return _fail("media.prestart", "the prestart command override is empty; leave it out to keep the image's")
    if "\n" in command or "\r" in command:
        return _fail("media.prestart", "the prestart command override must be one line")
    if not command.strip().lower().startswith("cmd /c"):
        return Check("media.prestart", "warning", "the prestart command does not start with 'cmd /c': "
                     "Windows PE may wait for it forever")
    return Check("media.prestart", "pass", "the medium gets its own copy of the image with this prestart command")


def disk_size(files: Mapping[str, int]) -> int:
    """Bytes of a FAT32 disk image that holds ``files`` (path -> size): the files rounded up
    to 4 KiB clusters, 20% and 48 MiB for the FAT, the partition table and slack, in MiB."""
    data = sum(-(-size // 4096) * 4096 for size in files.values())
    total = data + data // 5 + 48 * 1024 * 1024
    mib = 1024 * 1024
    return -(-total // mib) * mib


def _fail(check_id: str, message: str, severity: Severity = "failure") -> Check:
    return Check(check_id, severity, message)


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB"
