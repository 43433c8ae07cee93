"""UInt8[] values (issue 8, item 3): limits, the icon check, reading only regular files."""

from __future__ import annotations

import base64
import os

import pytest

from console.core.blobs import DEFAULT_BLOB_LIMIT, blob_limit, image_format, read_blob_file
from console.core.errors import ValidationError
from console.core.values import ValueCoercer


@pytest.fixture
def package_class(registry):
    return registry["SMS_BootImagePackage"]


@pytest.mark.parametrize(("data", "kind"), [
    (b"\x00\x00\x01\x00\x01\x00", "ICO"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"BM\x36\x00", "BMP"),
    (b"\xff\xd8\xff\xe0", "JPEG"), (b"GIF89a", "GIF"), (b"GIF87a", "GIF"), (b"<svg", ""), (b"", ""),
])
def test_image_formats_by_magic_number(data, kind):
    assert image_format(data) == kind


def test_limits_come_from_the_class_metadata(package_class):
    assert blob_limit(package_class.properties["Icon"]) == 1024 * 1024
    assert blob_limit(package_class.properties["ISVData"]) == DEFAULT_BLOB_LIMIT


def test_every_value_form_is_checked_not_just_files(registry, package_class):
    coercer = ValueCoercer(registry)
    icon = package_class.properties["Icon"]
    with pytest.raises(ValidationError, match=r"^Icon is limited to 1 MiB; got 1,572,864 bytes$"):
        coercer.parse_text(icon, "A" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError, match=r"^Icon must be an image \(ICO, PNG, BMP, JPEG or GIF\)"):
        coercer.coerce(icon, base64.b64encode(b"MZ\x90\x00 an executable").decode())
    assert coercer.coerce(icon, b"\x00\x00\x01\x00icon") == b"\x00\x00\x01\x00icon"
    assert coercer.coerce(package_class.properties["ISVData"], b"anything") == b"anything"


def test_a_pipe_is_refused_without_blocking_and_a_sparse_file_without_reading(package_class, tmp_path):
    fifo = tmp_path / "icon.ico"
    os.mkfifo(fifo)
    with pytest.raises(ValidationError, match="is a named pipe, not an Icon file"):
        read_blob_file(package_class.properties["Icon"], str(fifo))
    sparse = tmp_path / "big.bin"
    with open(sparse, "wb") as handle:
        handle.truncate(3 * 1024 ** 3)
    with pytest.raises(ValidationError, match=r"is 3,221,225,472 bytes, more than 16 MiB, the limit for an ISVData file"):
        read_blob_file(package_class.properties["ISVData"], str(sparse))
