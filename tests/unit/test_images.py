"""Image facts in core: architecture names, FILETIMEs, why an image is no boot image,
and the old -> new lines a reload reports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.core.images import FileTime, ImageInfo
from console.core.services.source_images import describe_changes


@pytest.mark.parametrize(("code", "arch", "text"), [
    (0, "x86", "x86"), (9, "x64", "x64"), (6, "ia64", "ia64"), (12, "arm64", "arm64"),
    (5, "", "ARM (32-bit) (ARCH 5)"), (77, "", "unknown (ARCH 77)"), (None, "", "unknown (no WINDOWS/ARCH)"),
])
def test_architecture_codes(code, arch, text):
    image = ImageInfo(1, arch_code=code)
    assert image.architecture == arch and image.architecture_text == text


def test_filetime_halves_and_utc():
    ft = FileTime("0x01CE9F04", "0x5F9E1B18")
    assert ft.utc == datetime(2013, 8, 22, 6, 53, 57, 320578, tzinfo=UTC)
    assert FileTime("0xFFFFFFFF", "0xFFFFFFFF").utc is None, "past datetime's range: unknown, not a crash"


def test_why_an_image_is_not_a_boot_image():
    pe = ImageInfo(1, "PE", arch_code=9, edition_id="WindowsPE", installation_type="WindowsPE", has_windows_info=True)
    assert pe.is_windows_pe and pe.problems() == []
    arm = ImageInfo(3, "PE arm", arch_code=5, installation_type="WindowsPE", has_windows_info=True)
    assert arm.problems() == ["image 3 has architecture ARM (32-bit) (ARCH 5); boot images must be x86, x64, ia64 or arm64"]
    bare = ImageInfo(2, "", arch_code=None)
    assert bare.problems()[0] == "image 2 (unnamed) is not a Windows PE image (its metadata has no WINDOWS element)"


def test_reload_lines_say_old_and_new():
    old = {"Architecture": "x86", "ImageOSVersion": "10.0.19041.1", "Language": "", "ImageProperty": "<WIM/>",
           "PackageSize": 48}
    new = {"Architecture": "x64", "ImageOSVersion": "10.0.19041.1", "Language": "en-US", "ImageProperty": "<WIM></WIM>",
           "PackageSize": 50}
    assert describe_changes(old, new) == [
        "Architecture: x86 -> x64", "Language: (empty) -> en-US",
        "ImageProperty: XML metadata updated (6 -> 11 characters)", "PackageSize: 48 KB -> 50 KB",
    ]
    assert describe_changes(new, new) == []


def test_default_package_name_is_the_image_name_cut_to_the_limit(registry):
    from console.core.services.source_images import default_name

    cls = registry["SMS_BootImagePackage"]
    assert default_name(cls, ImageInfo(1, "Microsoft Windows PE (x64)")) == "Microsoft Windows PE (x64)"
    assert default_name(cls, ImageInfo(1, "W" * 80)) == "W" * 50
    assert default_name(cls, ImageInfo(1, "", arch_code=9)) == "Boot image (x64)"
