"""The WIM metadata reader on real files from wimlib-imagex and 7-Zip, cross-checked
against what wimlib-imagex itself reports for the same file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from console.wim.capture import ImageSpec, split
from console.wim.reader import WimReader
from tests.wim_fixtures import (
    SHARED_WIMXML,
    WINPE_X64,
    WINPE_X86,
    assert_matches_wimlib,
    require_tool,
    shared_wims,
)

reader = WimReader()


@pytest.mark.parametrize("compress", ["none", "XPRESS", "LZX", "LZMS"])
@pytest.mark.parametrize("images", [1, 3])
def test_every_compression_single_and_multi_image(wim_builder, compress, images):
    specs = [WINPE_X64, WINPE_X86, ImageSpec("Windows PE (arm64)", architecture="arm64", version=(10, 0, 22621, 1))][:images]
    path = wim_builder.build(f"c-{compress}-{images}.wim", specs, compress=compress, boot_index=images)
    info = reader.read(path)
    assert info.compression == compress
    assert info.chunk_size == (0 if compress == "none" else 32768 if compress != "LZMS" else info.chunk_size)
    assert [i.name for i in info.images] == [s.name for s in specs]
    assert [i.architecture for i in info.images] == ["x64", "x86", "arm64"][:images]
    assert info.boot_index == images and info.images[-1].is_boot_image
    assert not any(i.is_boot_image for i in info.images[:-1])
    assert_matches_wimlib(info, path)


def test_winpe_image_fields(winpe_x86_wim):
    info = reader.read(winpe_x86_wim)
    [image] = info.images
    assert (image.index, image.name, image.display_name) == (1, "Microsoft Windows PE (x86)", "Windows PE 10 (x86)")
    assert image.architecture == "x86" and image.arch_code == 0
    assert image.os_version == "10.0.19041.1" and image.sp_level == 0
    assert image.languages == ("en-US", "de-DE") and image.default_language == "en-US"
    assert image.edition_id == image.installation_type == "WindowsPE"
    assert image.is_windows_pe and image.is_boot_image and image.problems() == []
    assert image.product_type == "WinNT" and image.system_root == "WINDOWS"
    assert image.file_count == 7 and image.dir_count == 8 and image.total_bytes and image.total_bytes > 48 * 1024
    assert image.creation_filetime is not None and image.creation_filetime.high_part.startswith("0x")
    assert image.creation_time is not None and image.creation_time.tzinfo is UTC
    assert abs((datetime.now(UTC) - image.creation_time).days) < 2
    assert info.version == 0x10D00 and not info.solid and not info.pipable and info.part_number == info.total_parts == 1
    assert info.xml.startswith("<WIM>") and info.image_property == info.xml
    assert info.bytes_read == 208 + info.xml_size


def test_solid_esd_style_wim(wim_builder):
    path = wim_builder.build("solid.esd", [WINPE_X64, WINPE_X86], compress="LZMS", solid=True)
    info = reader.read(path)
    assert info.solid and info.version == 0xE00 and info.compression == "LZMS"
    assert [i.architecture for i in info.images] == ["x64", "x86"]
    assert_matches_wimlib(info, path)


@pytest.mark.parametrize("count", [1, 2])
def test_pipable_wim(wim_builder, count):
    path = wim_builder.build(f"pipable{count}.wim", [WINPE_X64, WINPE_X86][:count], compress="XPRESS",
                             pipable=True, boot_index=count)
    assert path.read_bytes()[:8] == b"WLPWM\0\0\0"
    info = reader.read(path)
    assert info.pipable and info.boot_index == count and len(info.images) == count
    assert info.bytes_read == 2 * 208 + info.xml_size, "first header, final header and the XML"
    assert_matches_wimlib(info, path)


def test_pipable_wim_without_its_final_header_is_read_from_the_front(wim_builder, wim_copy):
    whole = wim_builder.build("pipable2.wim", [WINPE_X64, WINPE_X86], compress="XPRESS", pipable=True, boot_index=2)
    cut = wim_copy(whole, "cut.wim")
    cut.write_bytes(whole.read_bytes()[:-208])
    info = reader.read(cut)
    full = reader.read(whole)
    assert [(i.name, i.architecture, i.os_version, i.file_count) for i in info.images] == [
        (i.name, i.architecture, i.os_version, i.file_count) for i in full.images]
    assert info.total_bytes is None and full.total_bytes, "the leading copy is written before the size is known"
    assert info.warnings == (("the pipable WIM has no final header, so it may be incomplete; "
                             "its metadata was read from the start of the file"),)
    assert info.xml_offset == 208 + 40


def test_split_wim_every_part_describes_the_images(wim_builder, tmp_path):
    big = ImageSpec("Microsoft Windows PE (x64)", architecture="x64", payload_kib=600)
    whole = wim_builder.build("to-split.wim", [big, WINPE_X86], compress="none")
    parts = split(whole, tmp_path / "boot.swm", 0.3)
    assert len(parts) >= 3
    for number, part in enumerate(parts, 1):
        info = reader.read(part)
        assert (info.part_number, info.total_parts) == (number, len(parts))
        assert info.is_split and [i.name for i in info.images] == [big.name, WINPE_X86.name]
        assert_matches_wimlib(info, part)


def test_wim_written_by_7zip(wim_builder):
    path = wim_builder.sevenzip("7zip.wim")
    info = reader.read(path)
    assert info.compression == "none" and info.image_count == 1
    [image] = info.images
    assert image.file_count == 7 and not image.has_windows_info and not image.is_windows_pe
    assert "not a Windows PE image (its metadata has no WINDOWS element)" in image.problems()[0]
    assert_matches_wimlib(info, path)


def test_bytes_read_do_not_grow_with_the_file(wim_builder):
    small = reader.read(wim_builder.build("small.wim", [ImageSpec(payload_kib=8)], compress="none"))
    large = reader.read(wim_builder.build("large.wim", [ImageSpec(payload_kib=8192)], compress="none"))
    assert large.file_size > 100 * small.file_size
    assert small.bytes_read == 208 + small.xml_size and large.bytes_read == 208 + large.xml_size
    assert abs(large.bytes_read - small.bytes_read) < 64


def test_real_world_wimgapi_xml_shapes_a_fixture(wim_builder):
    """Every WINDOWS leaf of a WIMGAPI boot.wim description, set with --image-property."""
    sample = SHARED_WIMXML / "jeffkl__ManagedWimgApi__ImageInfoTests_comment_excerpt.xml"
    if not sample.exists():
        pytest.skip(f"{sample.parent} is not present (shared test data lives beside the repository)")
    root = etree.parse(str(sample)).getroot()
    image = root.find("IMAGE")
    props = {}
    for leaf in image.find("WINDOWS").iter():
        if len(leaf) == 0 and (leaf.text or "").strip():
            props[etree.ElementTree(image).getpath(leaf).removeprefix("/IMAGE/")] = leaf.text.strip()
    spec = ImageSpec(image.findtext("NAME"), image.findtext("DESCRIPTION"), architecture=None, flags="",
                     extra_properties=props)
    info = reader.read(wim_builder.build("wimgapi-shaped.wim", [spec]))
    [got] = info.images
    assert got.name == "Microsoft Windows PE (x86)" and got.architecture == "x86"
    assert got.os_version == "6.3.9600.16384" and got.product_name == "Microsoft® Windows® Operating System"
    assert got.languages == ("en-US",) and got.default_language == "en-US" and got.is_windows_pe


def test_parse_real_world_wimgapi_xml():
    sample = SHARED_WIMXML / "jeffkl__ManagedWimgApi__ImageInfoTests_comment_excerpt.xml"
    if not sample.exists():
        pytest.skip(f"{sample.parent} is not present (shared test data lives beside the repository)")
    [image] = reader.parse_image_xml(sample.read_text(encoding="utf-8"))
    assert (image.name, image.architecture, image.os_version) == ("Microsoft Windows PE (x86)", "x86", "6.3.9600.16384")
    assert (image.dir_count, image.file_count, image.total_bytes, image.hard_link_bytes) == (2703, 12369, 862190505, 324280176)
    assert image.edition_id == "WindowsPE" and image.product_type == "WinNT" and image.default_language == "en-US"
    assert image.creation_filetime is not None
    assert (image.creation_filetime.high_part, image.creation_filetime.low_part) == ("0x01CE9F04", "0x5F9E1B18")
    assert image.creation_filetime.ticks == 0x01CE9F045F9E1B18
    # 0x01CE9F045F9E1B18 hundred-nanosecond ticks after 1601-01-01 is 2013-08-22 (Windows 8.1 RTM timeframe)
    assert image.creation_time is not None and image.creation_time.date().isoformat() == "2013-08-22"
    assert image.size_kb == 841983  # 862190505 bytes = 841982.9 KB, rounded up


@pytest.mark.parametrize("path", shared_wims() or [None], ids=lambda p: p.name.split("__")[-1] if p else "absent")
def test_wimlib_edge_case_wims_from_shared_testdata(path: Path | None):
    if path is None:
        pytest.skip("../shared/testdata/wim is not present (GPL files are read from there, never copied)")
    require_tool("wimlib-imagex")
    info = reader.read(path)
    assert info.image_count == 1 and not info.images[0].has_windows_info
    assert_matches_wimlib(info, path)
