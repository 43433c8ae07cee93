"""What a WIM file says about itself: typed results of the image reader (stdlib only).

``console.wim`` fills these from the WIM header and its XML metadata; the service layer,
the CLI and the GUI only ever see these types.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

#: ``WINDOWS/ARCH`` (Windows PROCESSOR_ARCHITECTURE_*) → SMS_BootImagePackage.Architecture.
ARCHITECTURES: dict[int, str] = {0: "x86", 9: "x64", 6: "ia64", 12: "arm64"}
#: Names of the other codes, for messages only (ConfigMgr has no boot images for them).
OTHER_ARCHITECTURES: dict[int, str] = {
    1: "MIPS", 2: "Alpha", 3: "PowerPC", 4: "SHx", 5: "ARM (32-bit)", 7: "Alpha64", 8: "MSIL", 10: "IA32 on Win64",
}
WINDOWS_PE = "windowspe"
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FileTime:
    """A Windows FILETIME as the WIM XML writes it: two 32-bit halves in hex."""

    high_part: str  # "0x01DD7B8B", as written
    low_part: str

    @property
    def ticks(self) -> int:
        """100-nanosecond intervals since 1601-01-01 UTC."""
        return (int(self.high_part, 16) << 32) | int(self.low_part, 16)

    @property
    def utc(self) -> datetime | None:
        """Aware UTC datetime, or None when the value is outside datetime's range."""
        try:
            return _FILETIME_EPOCH + timedelta(microseconds=self.ticks // 10)
        except OverflowError:
            return None


@dataclass(frozen=True)
class ImageInfo:
    """One ``<IMAGE>`` of a WIM's XML metadata."""

    index: int
    name: str = ""
    description: str = ""
    display_name: str = ""
    display_description: str = ""
    flags: str = ""  # the <FLAGS> element (WinPE boot.wim: "WindowsPE", setup image: "2" or "9")
    arch_code: int | None = None  # raw WINDOWS/ARCH
    os_version: str = ""  # MAJOR.MINOR.BUILD.SPBUILD, "" when the XML has no version
    sp_level: int | None = None
    languages: tuple[str, ...] = ()
    default_language: str = ""
    edition_id: str = ""
    installation_type: str = ""
    product_name: str = ""
    product_type: str = ""
    hal: str = ""
    system_root: str = ""
    total_bytes: int | None = None
    hard_link_bytes: int | None = None
    file_count: int | None = None
    dir_count: int | None = None
    creation_filetime: FileTime | None = None
    modification_filetime: FileTime | None = None
    wimboot: bool = False
    is_boot_image: bool = False  # this index is the WIM header's boot index
    has_windows_info: bool = False  # the image has a <WINDOWS> element

    @property
    def architecture(self) -> str:
        """``x86``/``x64``/``ia64``/``arm64``; ``""`` when missing or not a boot image architecture."""
        return ARCHITECTURES.get(self.arch_code, "") if self.arch_code is not None else ""

    @property
    def architecture_text(self) -> str:
        """Human form including unsupported codes: ``ARM (32-bit) (ARCH 5)``."""
        if self.arch_code is None:
            return "unknown (no WINDOWS/ARCH)"
        return self.architecture or f"{OTHER_ARCHITECTURES.get(self.arch_code, 'unknown')} (ARCH {self.arch_code})"

    @property
    def is_windows_pe(self) -> bool:
        return WINDOWS_PE in (self.installation_type.lower(), self.edition_id.lower())

    @property
    def creation_time(self) -> datetime | None:
        return self.creation_filetime.utc if self.creation_filetime else None

    @property
    def modification_time(self) -> datetime | None:
        return self.modification_filetime.utc if self.modification_filetime else None

    @property
    def size_kb(self) -> int:
        """Uncompressed size in KB, rounded up (PackageSize)."""
        return -(-(self.total_bytes or 0) // 1024)

    def problems(self) -> list[str]:
        """Why ConfigMgr would not take this image as a boot image (empty = fine)."""
        found = []
        if not self.is_windows_pe:
            what = (
                f"EditionID {self.edition_id or '(none)'}, InstallationType {self.installation_type or '(none)'}"
                if self.has_windows_info else "its metadata has no WINDOWS element"
            )
            found.append(f"image {self.index} ({self.name or 'unnamed'}) is not a Windows PE image ({what})")
        if not self.architecture:
            found.append(
                f"image {self.index} has architecture {self.architecture_text}; "
                "boot images must be x86, x64, ia64 or arm64"
            )
        return found

    def as_json(self) -> dict[str, Any]:
        def stamp(ft: FileTime | None) -> dict[str, Any] | None:
            if ft is None:
                return None
            utc = ft.utc
            return {"HighPart": ft.high_part, "LowPart": ft.low_part,
                    "Utc": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if utc else None}

        return {
            "Index": self.index, "Name": self.name, "Description": self.description,
            "DisplayName": self.display_name, "DisplayDescription": self.display_description,
            "Architecture": self.architecture, "ArchitectureCode": self.arch_code,
            "OSVersion": self.os_version, "ServicePackLevel": self.sp_level,
            "Languages": list(self.languages), "DefaultLanguage": self.default_language,
            "EditionID": self.edition_id, "InstallationType": self.installation_type,
            "ProductName": self.product_name, "ProductType": self.product_type, "HAL": self.hal,
            "SystemRoot": self.system_root, "Flags": self.flags,
            "TotalBytes": self.total_bytes, "HardLinkBytes": self.hard_link_bytes,
            "FileCount": self.file_count, "DirectoryCount": self.dir_count,
            "CreationTime": stamp(self.creation_filetime), "LastModificationTime": stamp(self.modification_filetime),
            "WIMBoot": self.wimboot, "IsBootImage": self.is_boot_image, "IsWindowsPE": self.is_windows_pe,
        }


@dataclass(frozen=True)
class WimInfo:
    """A WIM file's header facts, its XML metadata and the images it describes."""

    path: str
    file_size: int
    version: int  # 0x10D00 standard, 0xE00 solid (ESD)
    flags: int
    flag_names: tuple[str, ...]
    compression: str  # "none", "XPRESS", "LZX", "LZMS", "XPRESS2"
    chunk_size: int
    guid: str  # 32 hex digits, byte order as stored (as wimlib-imagex prints it)
    part_number: int
    total_parts: int
    image_count: int
    boot_index: int  # 0 = none
    pipable: bool
    solid: bool
    has_integrity_table: bool
    xml: str  # the XML metadata document (GetImageProperties / ImageProperty)
    xml_offset: int
    xml_size: int
    bytes_read: int  # everything the reader read from the file
    total_bytes: int | None = None  # WIM-level <TOTALBYTES>
    images: tuple[ImageInfo, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def image_property(self) -> str:
        return self.xml

    @property
    def is_split(self) -> bool:
        return self.total_parts > 1

    def image(self, index: int) -> ImageInfo | None:
        return next((i for i in self.images if i.index == index), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "Path": self.path, "FileSize": self.file_size, "Version": f"0x{self.version:X}",
            "Flags": f"0x{self.flags:08X}", "FlagNames": list(self.flag_names),
            "Compression": self.compression, "ChunkSize": self.chunk_size, "GUID": self.guid,
            "PartNumber": self.part_number, "TotalParts": self.total_parts,
            "ImageCount": self.image_count, "BootIndex": self.boot_index,
            "Pipable": self.pipable, "Solid": self.solid, "IntegrityTable": self.has_integrity_table,
            "TotalBytes": self.total_bytes, "XmlOffset": self.xml_offset, "XmlSize": self.xml_size,
            "BytesRead": self.bytes_read, "Warnings": list(self.warnings),
            "Images": [i.as_json() for i in self.images],
        }


class ImageReader(Protocol):
    """Reads WIM metadata (implemented by ``console.wim.reader.WimReader``)."""

    def read(self, path: str | os.PathLike[str]) -> WimInfo:
        """Header + XML metadata of ``path``; raises a ``WimError`` subclass."""
        ...

    def parse_image_xml(self, text: str, *, boot_index: int = 0, source: str = "ImageProperty") -> list[ImageInfo]:
        """The images described by a stored XML document (e.g. a package's ImageProperty)."""
        ...
