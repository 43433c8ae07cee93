"""Damage real WIM files on purpose: patch header fields, swap in other XML metadata.

Offsets follow the WIM header layout (reference/configmgr-boot-images.md §7.1)."""

from __future__ import annotations

import struct
from pathlib import Path

XML_RESHDR = 0x48
BOOT_INDEX = 0x78


def patch(path: Path, offset: int, data: bytes) -> Path:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)
    return path


def patch_u32(path: Path, offset: int, value: int) -> Path:
    return patch(path, offset, struct.pack("<I", value))


def patch_u16(path: Path, offset: int, value: int) -> Path:
    return patch(path, offset, struct.pack("<H", value))


def reshdr(size: int, offset: int, *, flags: int = 0x02, original: int | None = None) -> bytes:
    return struct.pack("<7sBQQ", size.to_bytes(7, "little"), flags, offset, size if original is None else original)


def set_xml_reshdr(path: Path, size: int, offset: int, *, flags: int = 0x02, original: int | None = None) -> Path:
    return patch(path, XML_RESHDR, reshdr(size, offset, flags=flags, original=original))


def xml_location(path: Path) -> tuple[int, int]:
    """(offset, size) of the XML resource the header points to."""
    raw = path.read_bytes()[XML_RESHDR:XML_RESHDR + 24]
    size_flags, offset, _ = struct.unpack("<QQQ", raw)
    return offset, size_flags & ((1 << 56) - 1)


def replace_xml(path: Path, document: bytes | str, *, bom: bool = True) -> Path:
    """Append new XML metadata (UTF-16LE, with BOM unless told) and point the header at it."""
    data = document if isinstance(document, bytes) else (("\ufeff" if bom else "") + document).encode("utf-16-le")
    offset = path.stat().st_size
    with path.open("ab") as f:
        f.write(data)
    return set_xml_reshdr(path, len(data), offset)
