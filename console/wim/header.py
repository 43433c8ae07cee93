"""The 208-byte WIM header and its 24-byte resource headers (pure Python, no I/O).

Layout (little-endian): magic[8], header size u32 (208), version u32, flags u32,
chunk size u32, GUID[16], part number u16, total parts u16, image count u32,
blob-table reshdr, XML reshdr, boot-metadata reshdr, boot index u32,
integrity-table reshdr, 60 unused bytes. A reshdr is size_in_wim (56 bits) + flags (8 bits),
offset u64, uncompressed size u64.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER_SIZE = 208
MAGIC = b"MSWIM\x00\x00\x00"
PIPABLE_MAGIC = b"WLPWM\x00\x00\x00"
VERSION_DEFAULT = 0x10D00
VERSION_SOLID = 0xE00
KNOWN_VERSIONS = {VERSION_DEFAULT: "1.13 (standard)", VERSION_SOLID: "0.14 (solid, ESD)"}

RESHDR_FREE = 0x01
RESHDR_METADATA = 0x02
RESHDR_COMPRESSED = 0x04
RESHDR_SPANNED = 0x08
RESHDR_SOLID = 0x10

FLAG_NAMES = {
    0x00000001: "RESERVED",
    0x00000002: "COMPRESSION",
    0x00000004: "READONLY",
    0x00000008: "SPANNED",
    0x00000010: "RESOURCE_ONLY",
    0x00000020: "METADATA_ONLY",
    0x00000040: "WRITE_IN_PROGRESS",
    0x00000080: "RP_FIX",
    0x00010000: "COMPRESS_RESERVED",
    0x00020000: "COMPRESS_XPRESS",
    0x00040000: "COMPRESS_LZX",
    0x00080000: "COMPRESS_LZMS",
    0x00200000: "COMPRESS_XPRESS2",
}
COMPRESSION_FLAGS = {0x00020000: "XPRESS", 0x00040000: "LZX", 0x00080000: "LZMS", 0x00200000: "XPRESS2"}
FLAG_COMPRESSION = 0x00000002

_HEADER = struct.Struct("<8sIIII16sHHI24s24s24sI24s60s")
_RESHDR = struct.Struct("<7sBQQ")
assert _HEADER.size == HEADER_SIZE


@dataclass(frozen=True)
class ResourceHeader:
    size_in_wim: int
    flags: int
    offset: int
    uncompressed_size: int

    @property
    def is_zero(self) -> bool:
        return not (self.size_in_wim or self.offset or self.uncompressed_size)

    @classmethod
    def parse(cls, raw: bytes) -> ResourceHeader:
        size, flags, offset, original = _RESHDR.unpack(raw)
        return cls(int.from_bytes(size, "little"), flags, offset, original)


@dataclass(frozen=True)
class WimHeader:
    magic: bytes
    header_size: int
    version: int
    flags: int
    chunk_size: int
    guid: bytes
    part_number: int
    total_parts: int
    image_count: int
    blob_table: ResourceHeader
    xml: ResourceHeader
    boot_metadata: ResourceHeader
    boot_index: int
    integrity: ResourceHeader

    @property
    def pipable(self) -> bool:
        return self.magic == PIPABLE_MAGIC

    @property
    def flag_names(self) -> tuple[str, ...]:
        names = [name for bit, name in FLAG_NAMES.items() if self.flags & bit]
        unknown = self.flags & ~sum(FLAG_NAMES)
        if unknown:
            names.append(f"0x{unknown:08X}")
        return tuple(names)

    @property
    def compression_types(self) -> list[str]:
        return [name for bit, name in COMPRESSION_FLAGS.items() if self.flags & bit]

    @property
    def compression(self) -> str:
        if not self.flags & FLAG_COMPRESSION:
            return "none"
        types = self.compression_types
        return types[0] if len(types) == 1 else "unknown"


def parse_header(raw: bytes) -> WimHeader:
    """Split 208 bytes into fields; no validation beyond the length (see the reader)."""
    if len(raw) != HEADER_SIZE:
        raise ValueError(f"a WIM header is {HEADER_SIZE} bytes, got {len(raw)}")
    (magic, hdr_size, version, flags, chunk, guid, part, parts, count,
     blobs, xml, boot_meta, boot_idx, integrity, _unused) = _HEADER.unpack(raw)
    return WimHeader(
        magic, hdr_size, version, flags, chunk, guid, part, parts, count,
        ResourceHeader.parse(blobs), ResourceHeader.parse(xml), ResourceHeader.parse(boot_meta),
        boot_idx, ResourceHeader.parse(integrity),
    )
