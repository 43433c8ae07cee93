"""``UInt8[]`` properties (Icon, ExtendedData, ISVData): how large they may be, what an icon
must look like, and reading them from a file. One rule for the CLI's ``PROP=@file`` and the
property sheet's "Load from file…".

* The limit of a blob is the high end of its ``SizeLimit`` qualifier (bytes), else
  ``DEFAULT_BLOB_LIMIT``. Files over it are refused before a byte is read.
* ``Icon`` must be an image the console can show: ICO, PNG, BMP, JPEG or GIF, checked by the
  file's first bytes (its magic number), whatever the file is called.
* Only regular files are read (``console.core.files``): a named pipe or ``/dev/zero`` is
  refused at once.
"""

from __future__ import annotations

from console.core.classdef import PropertyDef
from console.core.errors import ValidationError
from console.core.files import FileReadError, read_regular

#: Limit for a UInt8[] property without a SizeLimit qualifier.
DEFAULT_BLOB_LIMIT = 16 * 1024 * 1024
#: Properties whose bytes must be an image (checked by magic number).
IMAGE_PROPERTIES = frozenset({"icon"})
IMAGE_FORMATS = "ICO, PNG, BMP, JPEG or GIF"
_MAGIC = (
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"BM", "BMP"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)


def blob_limit(prop: PropertyDef) -> int:
    limit = prop.size_limit
    return limit[1] if limit else DEFAULT_BLOB_LIMIT


def image_format(data: bytes) -> str:
    """"ICO", "PNG", "BMP", "JPEG", "GIF", or "" when the bytes are none of them."""
    return next((name for magic, name in _MAGIC if data.startswith(magic)), "")


def _size_text(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n:,} bytes"


def check_blob(prop: PropertyDef, data: bytes) -> bytes:
    """``data`` if it fits ``prop``; else a ValidationError naming the property."""
    limit = blob_limit(prop)
    if len(data) > limit:
        raise ValidationError.single(
            prop.name, f"{prop.name} is limited to {_size_text(limit)}; got {len(data):,} bytes")
    if data and prop.name.casefold() in IMAGE_PROPERTIES and not image_format(data):
        raise ValidationError.single(
            prop.name, f"{prop.name} must be an image ({IMAGE_FORMATS}); these bytes start with "
                       f"{data[:8].hex(' ')}, which is none of them")
    return data


def read_blob_file(prop: PropertyDef, path: str) -> bytes:
    """The bytes of ``path`` for ``prop``: a regular file within the property's limit (checked
    before reading) and, for Icon, an image. Failures are ValidationErrors naming the property."""
    try:
        article = "an" if prop.name[:1].lower() in "aeiou" else "a"
        data = read_regular(path, blob_limit(prop), f"{article} {prop.name} file", _size_text(blob_limit(prop)))
    except FileReadError as exc:
        raise ValidationError.single(prop.name, f"{prop.name}: {exc.message}") from None
    return check_blob(prop, data)
