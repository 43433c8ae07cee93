"""Broken and hostile input: each case gets its own error class and a message naming the
problem and the file; mutated headers never hang, never read unbounded, and raise only
our error types."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.core.wim_errors import (
    XML_READ_LIMIT,
    CorruptWimError,
    EncryptedWimError,
    NotAFileError,
    NotAWimError,
    TruncatedWimError,
    UnsafeWimXmlError,
    UnsupportedWimError,
    WimAccessError,
    WimError,
    WimNotFoundError,
    WimXmlError,
    WimXmlTooLargeError,
)
from console.wim.reader import WimReader
from tests.wim_damage import BOOT_INDEX, patch, patch_u16, patch_u32, replace_xml, set_xml_reshdr, xml_location

reader = WimReader()

XXE = '<?xml version="1.0"?><!DOCTYPE WIM [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><WIM><IMAGE INDEX="1"><NAME>&xxe;</NAME></IMAGE></WIM>'
LAUGHS = ('<!DOCTYPE WIM [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
          '<WIM><IMAGE INDEX="1"><NAME>&d;</NAME></IMAGE></WIM>')
ONE_IMAGE = '<WIM><IMAGE INDEX="1"><NAME>x</NAME></IMAGE></WIM>'


def damaged(cases_source: Path, tmp: Path, how: str) -> Path:
    """A copy of a real one-image WIM, damaged as ``how`` says."""
    path = tmp / f"{how}.wim"
    shutil.copyfile(cases_source, path)
    size = path.stat().st_size
    xml_offset, xml_size = xml_location(path)
    if how == "empty":
        path.write_bytes(b"")
    elif how == "cut-in-header":
        path.write_bytes(path.read_bytes()[:100])
    elif how == "cut-before-xml-end":
        path.write_bytes(path.read_bytes()[: xml_offset + xml_size // 2])
    elif how == "wrong-magic":
        path.write_bytes(b"This is not a WIM, just some text.\n" * 10)
    elif how == "iso":
        path.write_bytes(bytes(0x8001) + b"CD001" + bytes(4096))
    elif how == "offset-past-eof":
        set_xml_reshdr(path, xml_size, size + 1_000_000)
    elif how == "offset-in-header":
        set_xml_reshdr(path, xml_size, 16)
    elif how == "gigabytes-of-xml":
        set_xml_reshdr(path, 4 * 1024**3, xml_offset)
    elif how == "odd-length-xml":
        set_xml_reshdr(path, xml_size - 1, xml_offset)
    elif how == "invalid-utf16":
        replace_xml(path, "\ufeff<WIM>".encode("utf-16-le") + b"\x00\xd8" + "</WIM>".encode("utf-16-le"))
    elif how == "8-bit-xml":
        text = ONE_IMAGE.encode("utf-8")
        replace_xml(path, text + b" " * (len(text) % 2))  # even length, so only the encoding is wrong
    elif how == "malformed-xml":
        replace_xml(path, '<WIM><IMAGE INDEX="1"><NAME>x</IMAGE></WIM>')
    elif how == "xxe":
        replace_xml(path, XXE)
    elif how == "billion-laughs":
        replace_xml(path, LAUGHS)
    elif how == "wrong-root":
        replace_xml(path, '<ARCHIVE><IMAGE INDEX="1"/></ARCHIVE>')
    elif how == "encrypted-esd":
        replace_xml(path, '<WIM><ESD><ENCRYPTED>1</ENCRYPTED></ESD><IMAGE INDEX="1"><NAME>x</NAME></IMAGE></WIM>')
    elif how == "bad-image-index":
        replace_xml(path, '<WIM><IMAGE INDEX="7"><NAME>x</NAME></IMAGE></WIM>')
    elif how == "image-count-mismatch":
        patch_u32(path, 0x2C, 3)
    elif how == "header-size":
        patch_u32(path, 0x08, 4096)
    elif how == "unknown-version":
        patch_u32(path, 0x0C, 0x20000)
    elif how == "compressed-xml":
        set_xml_reshdr(path, xml_size, xml_offset, flags=0x06)
    elif how == "two-compressions":
        patch_u32(path, 0x10, 0x00060002)
    elif how == "part-3-of-2":
        patch_u16(path, 0x28, 3)
        patch_u16(path, 0x2A, 2)
    elif how == "no-xml":
        patch(path, 0x48, bytes(24))
    else:  # pragma: no cover
        raise AssertionError(how)
    return path


CASES = [
    ("empty", TruncatedWimError, "the file is empty (0 bytes); a WIM file starts with a 208-byte header"),
    ("cut-in-header", TruncatedWimError, "the file ends after 100 bytes, inside the 208-byte WIM header"),
    ("cut-before-xml-end", TruncatedWimError, "runs past the end of the file"),
    ("wrong-magic", NotAWimError, "not a WIM file: it starts with b'This is ', not the WIM signature 'MSWIM'"),
    ("iso", NotAWimError, "it is an ISO image: the boot image is sources/boot.wim inside it"),
    ("offset-past-eof", TruncatedWimError, "runs past the end of the file"),
    ("offset-in-header", CorruptWimError, "the XML metadata offset 16 lies inside the 208-byte header"),
    ("gigabytes-of-xml", WimXmlTooLargeError, ("the header says the XML metadata is 4.0 GiB (4294967296 bytes); "
                                               "at most 64.0 MiB of XML metadata is read, so nothing more was read")),
    ("odd-length-xml", WimXmlError, "an odd length: it cannot be UTF-16LE text"),
    ("invalid-utf16", WimXmlError, "the XML metadata is not valid UTF-16LE (at byte 12: "),
    ("8-bit-xml", WimXmlError, "the XML metadata is not UTF-16LE text (it looks like 8-bit text)"),
    ("malformed-xml", WimXmlError, "the XML metadata is not well-formed XML: Opening and ending tag mismatch"),
    ("xxe", UnsafeWimXmlError, "the XML metadata contains a <!DOCTYPE> declaration; refused"),
    ("billion-laughs", UnsafeWimXmlError, "the XML metadata contains a <!DOCTYPE> declaration; refused"),
    ("wrong-root", WimXmlError, "the XML metadata's root element is <ARCHIVE>, not <WIM>"),
    ("encrypted-esd", EncryptedWimError, "this is an encrypted ESD (its XML metadata has ESD/ENCRYPTED)"),
    ("bad-image-index", WimXmlError, "IMAGE element 1 of 1 has INDEX '7'; the indexes must be 1 to 1, each once"),
    ("image-count-mismatch", CorruptWimError, "the header says the file holds 3 image(s) but its XML metadata describes 1"),
    ("header-size", CorruptWimError, "the header size field says 4096 bytes, not 208"),
    ("unknown-version", UnsupportedWimError, "WIM format version 0x20000 is not supported"),
    ("compressed-xml", UnsupportedWimError, "the XML metadata is stored compressed"),
    ("two-compressions", CorruptWimError, "name 2 compression types instead of one"),
    ("part-3-of-2", CorruptWimError, "the header says this is part 3 of 2, which is impossible"),
    ("no-xml", CorruptWimError, "the header points to no XML metadata"),
]


@pytest.mark.parametrize(("how", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_damaged_file_gets_a_specific_error(winpe_x64_wim, tmp_path, how, error, message):
    path = damaged(winpe_x64_wim, tmp_path, how)
    with pytest.raises(WimError) as info:
        reader.read(path)
    assert type(info.value) is error
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)
    assert info.value.path == str(path)


def test_wimlib_refuses_the_encrypted_esd_too(winpe_x64_wim, tmp_path):
    path = damaged(winpe_x64_wim, tmp_path, "encrypted-esd")
    proc = subprocess.run(["wimlib-imagex", "info", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "encrypted" in proc.stderr


def test_entities_are_never_expanded_even_in_stored_image_property():
    with pytest.raises(UnsafeWimXmlError, match=r"^ImageProperty of PS100001: the XML metadata contains a <!DOCTYPE>"):
        reader.parse_image_xml(XXE, source="ImageProperty of PS100001")


def test_boot_index_past_the_images_is_ignored_with_a_warning(winpe_x64_wim, wim_copy):
    path = patch_u32(wim_copy(winpe_x64_wim), BOOT_INDEX, 9)
    info = reader.read(path)
    assert info.boot_index == 0 and not info.images[0].is_boot_image
    assert info.warnings == ("the header's boot index 9 is past the last image (1); ignored",)


def test_bad_numbers_inside_good_xml_are_unknown_with_a_warning(winpe_x64_wim, wim_copy):
    path = replace_xml(wim_copy(winpe_x64_wim), '<WIM><IMAGE INDEX="1"><NAME>n</NAME><FILECOUNT>lots</FILECOUNT>'
                       '<WINDOWS><ARCH>9' + "9" * 5000 + '</ARCH></WINDOWS>'
                       '<CREATIONTIME><HIGHPART>zz</HIGHPART><LOWPART>0x1</LOWPART></CREATIONTIME></IMAGE></WIM>')
    [image] = reader.read(path).images
    assert image.file_count is None and image.arch_code is None and image.creation_time is None
    warnings = reader.read(path).warnings
    assert "image 1: FILECOUNT is 'lots', not a number; shown as unknown" in warnings
    assert any(w.startswith("image 1: ARCH is '9999") for w in warnings)
    assert any("CREATIONTIME is not two 32-bit hex halves" in w for w in warnings)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(WimNotFoundError, match=r"nope\.wim: no such file$"):
        reader.read(tmp_path / "nope.wim")
    with pytest.raises(NotAFileError, match=r": is a directory, not a WIM file$"):
        reader.read(tmp_path)
    with pytest.raises(WimNotFoundError, match="no WIM path was given"):
        reader.read("")


def test_device_instead_of_a_file():
    with pytest.raises(NotAFileError, match=r"^/dev/zero: is a device, not a WIM file$"):
        reader.read("/dev/zero")


def test_named_pipe_does_not_hang(tmp_path):
    fifo = tmp_path / "boot.wim"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(NotAFileError, match=r"boot\.wim: is a named pipe, not a WIM file$"):
        reader.read(fifo)
    assert time.monotonic() - started < 1


def test_no_read_permission(winpe_x64_wim):
    folder = Path(tempfile.mkdtemp(prefix="bootimage-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "secret.wim"
        shutil.copyfile(winpe_x64_wim, path)
        path.chmod(0)
        if os.geteuid() != 0:
            with pytest.raises(WimAccessError, match="permission denied: this user may not read the file"):
                reader.read(path)
            return
        # root reads everything: ask as user nobody, through the command line
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv is not available to drop privileges")
        as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
        probe = subprocess.run([*as_nobody, "-c", "import console.cli"], capture_output=True, text=True,
                               cwd="/", timeout=60, check=False)
        if probe.returncode != 0:
            pytest.skip("user nobody cannot reach this checkout or its .venv (a private folder), so the "
                        "permission check cannot run without root's override")
        proc = subprocess.run(
            [*as_nobody, "-m", "console.cli", "image-info", str(path)],
            capture_output=True, text=True, cwd="/", timeout=60, check=False,
        )
        assert proc.returncode == 1
        assert proc.stderr == f"error: {path}: permission denied: this user may not read the file\n"
    finally:
        shutil.rmtree(folder)


# -- property-based: mutated headers and XML ------------------------------------------------

MAX_REQUEST = 2 * 208 + 5 + 40 + XML_READ_LIMIT


@contextmanager
def counted_reads():
    """Record every os.pread the reader asks for (the real call still happens)."""
    real = os.pread
    requests: list[int] = []

    def pread(fd: int, length: int, offset: int) -> bytes:
        requests.append(length)
        return real(fd, length, offset)

    with mock.patch("os.pread", pread):
        yield requests


def _check(data: bytes) -> None:
    with tempfile.NamedTemporaryFile(suffix=".wim") as f:
        f.write(data)
        f.flush()
        started = time.monotonic()
        error: WimError | None = None
        with counted_reads() as requests:
            try:
                reader.read(f.name)
            except WimError as exc:  # anything else fails the test
                error = exc
        assert error is None or str(error).startswith(f"{f.name}: ")
        assert time.monotonic() - started < 2, "no hang"
        assert all(n <= XML_READ_LIMIT for n in requests)
        assert sum(requests) <= MAX_REQUEST


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_headers_raise_only_wim_errors_and_read_bounded(winpe_x64_wim, data):
    original = bytearray(winpe_x64_wim.read_bytes())
    mutations = data.draw(st.lists(st.tuples(st.integers(0, 207), st.integers(0, 255)), min_size=1, max_size=12))
    for offset, value in mutations:
        original[offset] = value
    if data.draw(st.booleans()):  # sometimes a whole field gets an extreme value
        field = data.draw(st.sampled_from([0x08, 0x0C, 0x10, 0x14, 0x2C, 0x48, 0x50, 0x58, 0x78]))
        struct.pack_into("<I", original, field, data.draw(st.sampled_from([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 208, 0xE00])))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(original))))
    _check(bytes(original[:cut] if cut is not None else original))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_xml_raises_only_wim_errors(winpe_x64_wim, data):
    original = bytearray(winpe_x64_wim.read_bytes())
    offset, size = xml_location(winpe_x64_wim)
    for _ in range(data.draw(st.integers(1, 8))):
        original[data.draw(st.integers(offset, offset + size - 1))] = data.draw(st.integers(0, 255))
    _check(bytes(original))
