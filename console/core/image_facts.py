"""What a boot image package records about its source image (filled by the WIM reader)."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.core.servicing import SourceFingerprint


@dataclass(frozen=True)
class ImageFacts:
    """Image properties of one image of a WIM, as the package stores them."""

    architecture: str  # "x86", "x64", "ia64", "arm64" or "" when the WIM does not say
    os_version: str  # MAJOR.MINOR.BUILD.SPBUILD
    language: str  # default language, e.g. "en-US"
    image_property: str  # the WIM's XML metadata (GetImageProperties output)
    size_kb: int  # uncompressed size of the chosen image in KB
    image_name: str = ""
    is_windows_pe: bool = True
    #: The source file as it was read: its size, modification time and WIM GUID. Bookkeeping
    #: for the build's pre-flight ("source changed since import"), not a class property: it
    #: stays out of ``as_properties`` (so out of ``show``, the property sheet and audit messages).
    source: SourceFingerprint = field(default_factory=SourceFingerprint)

    def as_properties(self) -> dict[str, object]:
        return {
            "Architecture": self.architecture,
            "ImageOSVersion": self.os_version,
            "Language": self.language,
            "ImageProperty": self.image_property,
            "PackageSize": self.size_kb,
        }
