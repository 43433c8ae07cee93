"""Read a WIM file's metadata: the 208-byte header and the XML resource it points to.

Nothing else is read: a multi-gigabyte WIM answers after a few kilobytes. What is read is
bounded before it is read: the header, for wimlib's pipable WIMs the header at the end of
the file, a 5-byte probe when the magic is wrong (to name ISO images), and the XML
resource, which must lie inside the file and be at most ``XML_READ_LIMIT`` (64 MiB).
Every failure is a ``WimError`` subclass naming the file and the problem.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from console.core.files import kind_of
from console.core.images import ImageInfo, WimInfo
from console.core.wim_errors import (
    XML_READ_LIMIT,
    CorruptWimError,
    NotAFileError,
    NotAWimError,
    TruncatedWimError,
    UnsupportedWimError,
    WimAccessError,
    WimError,
    WimNotFoundError,
    WimXmlError,
    WimXmlTooLargeError,
)
from console.wim.header import (
    FLAG_COMPRESSION,
    HEADER_SIZE,
    KNOWN_VERSIONS,
    MAGIC,
    PIPABLE_MAGIC,
    RESHDR_COMPRESSED,
    VERSION_SOLID,
    ResourceHeader,
    WimHeader,
    parse_header,
)
from console.wim.xmlinfo import parse_document

_PWM_STREAM_MAGIC = 0x2B9B9BA2443DB9D8
_PWM_STREAM = struct.Struct("<QQ20sI")  # magic, uncompressed size, SHA-1, flags
_OTHER_FORMATS = [
    (b"PK\x03\x04", "a ZIP archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"MSCF", "a cabinet (.cab) file"),
    (b"MZ", "a Windows executable"),
    (b"vhdxfile", "a VHDX virtual disk"),
    (b"\xff\xfe<", "a UTF-16 text file"),
    (b"<", "a text or XML file"),
]


def human_size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def _pread(fd: int, length: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows has no pread; one reader per file handle
    return os.read(fd, length)


@dataclass
class _File:
    path: str
    fd: int
    size: int
    bytes_read: int = 0
    warnings: list[str] = field(default_factory=list)

    def read(self, offset: int, length: int) -> bytes:
        chunks = []
        while length > 0:
            try:
                chunk = _pread(self.fd, length, offset)
            except OSError as exc:
                raise WimError(self.path, f"read error at offset {offset}: {exc.strerror or exc}") from None
            if not chunk:
                break
            self.bytes_read += len(chunk)
            chunks.append(chunk)
            offset += len(chunk)
            length -= len(chunk)
        return b"".join(chunks)


def _open(path: str) -> _File:
    if not path:
        raise WimNotFoundError("''", "no WIM path was given")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO must not block the open
    except FileNotFoundError:
        raise WimNotFoundError(path, "no such file") from None
    except IsADirectoryError:
        raise NotAFileError(path, "is a directory, not a WIM file") from None
    except NotADirectoryError:
        raise WimNotFoundError(path, "no such file (a folder in the path is a file)") from None
    except PermissionError:
        if os.path.isdir(path):
            raise NotAFileError(path, "is a directory, not a WIM file") from None
        raise WimAccessError(path, "permission denied: this user may not read the file") from None
    except ValueError:
        raise WimNotFoundError(repr(path), "the path contains a NUL character") from None
    except OSError as exc:
        raise WimError(path, f"cannot open the file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode, folder="a directory")
        if kind:
            raise NotAFileError(path, f"is {kind}, not a WIM file")
    except BaseException:
        os.close(fd)
        raise
    return _File(path, fd, st.st_size)


class WimReader:
    """``console.core.images.ImageReader`` for WIM, SWM and ESD files."""

    def __init__(self, xml_limit: int = XML_READ_LIMIT) -> None:
        self.xml_limit = xml_limit

    def read(self, path: str | os.PathLike[str]) -> WimInfo:
        f = _open(os.fspath(path))
        try:
            return self._read(f)
        finally:
            os.close(f.fd)

    def parse_image_xml(self, text: str, *, boot_index: int = 0, source: str = "ImageProperty") -> list[ImageInfo]:
        return parse_document(text, source=source, boot_index=boot_index).images

    # -- steps ----------------------------------------------------------------------------

    def _read(self, f: _File) -> WimInfo:
        raw = f.read(0, HEADER_SIZE)
        header = self._check_header(f, raw)
        if header.pipable and header.xml.is_zero:
            header, xml_bytes, offset = self._pipable_xml(f, header)
        else:
            xml_bytes, offset = self._xml_bytes(f, header.xml), header.xml.offset
        text = self._decode(f.path, xml_bytes)
        boot = header.boot_index
        if boot > header.image_count:
            f.warnings.append(f"the header's boot index {boot} is past the last image ({header.image_count}); ignored")
            boot = 0
        doc = parse_document(text, source=f.path, boot_index=boot)
        if len(doc.images) != header.image_count:
            raise CorruptWimError(
                f.path, f"the header says the file holds {header.image_count} image(s) "
                f"but its XML metadata describes {len(doc.images)}"
            )
        return WimInfo(
            path=f.path, file_size=f.size, version=header.version, flags=header.flags,
            flag_names=header.flag_names, compression=header.compression, chunk_size=header.chunk_size,
            guid=header.guid.hex(), part_number=header.part_number, total_parts=header.total_parts,
            image_count=header.image_count, boot_index=boot, pipable=header.pipable,
            solid=header.version == VERSION_SOLID, has_integrity_table=not header.integrity.is_zero,
            xml=text, xml_offset=offset, xml_size=len(xml_bytes), bytes_read=f.bytes_read,
            total_bytes=doc.total_bytes, images=tuple(doc.images), warnings=tuple(f.warnings + doc.warnings),
        )

    def _check_header(self, f: _File, raw: bytes) -> WimHeader:
        magic = raw[:8]
        if not (MAGIC.startswith(magic) or PIPABLE_MAGIC.startswith(magic)) or not raw:
            if not raw:
                raise TruncatedWimError(f.path, "the file is empty (0 bytes); a WIM file starts with a 208-byte header")
            raise NotAWimError(f.path, f"not a WIM file: it starts with {magic[:8]!r}, not the WIM signature "
                                       f"'MSWIM'{self._identify(f, raw)}")
        if len(raw) < HEADER_SIZE:
            raise TruncatedWimError(f.path, f"the file ends after {len(raw)} bytes, inside the 208-byte WIM header")
        header = parse_header(raw)
        if header.header_size != HEADER_SIZE:
            raise CorruptWimError(f.path, f"the header size field says {header.header_size} bytes, not 208")
        if header.version not in KNOWN_VERSIONS:
            raise UnsupportedWimError(
                f.path, f"WIM format version 0x{header.version:X} is not supported "
                "(known: 0x10D00 standard and 0xE00 solid/ESD)"
            )
        if header.flags & FLAG_COMPRESSION and len(header.compression_types) != 1:
            raise CorruptWimError(
                f.path, f"the header flags 0x{header.flags:08X} say the file is compressed but name "
                f"{len(header.compression_types)} compression types instead of one"
            )
        chunk = header.chunk_size
        if header.flags & FLAG_COMPRESSION and chunk and (chunk & (chunk - 1) or not 4096 <= chunk <= 1 << 30):
            raise CorruptWimError(f.path, f"the chunk size {chunk} is not a power of two between 4 KiB and 1 GiB")
        if not 1 <= header.part_number <= header.total_parts:
            raise CorruptWimError(
                f.path, f"the header says this is part {header.part_number} of {header.total_parts}, which is impossible"
            )
        return header

    def _identify(self, f: _File, raw: bytes) -> str:
        if f.size >= 0x8006 and f.read(0x8001, 5) == b"CD001":
            return " (it is an ISO image: the boot image is sources/boot.wim inside it)"
        for prefix, name in _OTHER_FORMATS:
            if raw.startswith(prefix):
                return f" (it looks like {name})"
        return ""

    def _xml_bytes(self, f: _File, res: ResourceHeader) -> bytes:
        if res.is_zero:
            raise CorruptWimError(f.path, "the header points to no XML metadata (its XML resource is empty)")
        if res.flags & RESHDR_COMPRESSED:
            raise UnsupportedWimError(
                f.path, "the XML metadata is stored compressed; only uncompressed XML metadata "
                "(as WIMGAPI, DISM, wimlib and 7-Zip write it) is supported"
            )
        size = res.size_in_wim
        if size > self.xml_limit:
            raise WimXmlTooLargeError(
                f.path, f"the header says the XML metadata is {human_size(size)} ({size} bytes); at most "
                f"{human_size(self.xml_limit)} of XML metadata is read, so nothing more was read"
            )
        if res.uncompressed_size != size:
            raise CorruptWimError(
                f.path, f"the uncompressed XML metadata claims two sizes ({size} and {res.uncompressed_size} bytes)"
            )
        if res.offset < HEADER_SIZE:
            raise CorruptWimError(f.path, f"the XML metadata offset {res.offset} lies inside the 208-byte header")
        if res.offset + size > f.size:
            raise TruncatedWimError(
                f.path, f"the XML metadata ({size} bytes at offset {res.offset}) runs past the end of the file "
                f"({f.size} bytes): the file is truncated or damaged"
            )
        if size % 2:
            raise WimXmlError(f.path, f"the XML metadata is {size} bytes, an odd length: it cannot be UTF-16LE text")
        data = f.read(res.offset, size)
        if len(data) != size:  # the file shrank while we read it
            raise TruncatedWimError(f.path, f"the file ended while reading the XML metadata at offset {res.offset}")
        return data

    def _pipable_xml(self, f: _File, header: WimHeader) -> tuple[WimHeader, bytes, int]:
        """A pipable WIM written front to back: the real header is the last 208 bytes;
        without one, the XML follows the first header as a pipable stream."""
        if f.size >= 2 * HEADER_SIZE:
            raw = f.read(f.size - HEADER_SIZE, HEADER_SIZE)
            trailer = parse_header(raw)
            if trailer.magic == PIPABLE_MAGIC and trailer.guid == header.guid and not trailer.xml.is_zero:
                trailer = self._check_header(f, raw)
                return trailer, self._xml_bytes(f, trailer.xml), trailer.xml.offset
        raw = f.read(HEADER_SIZE, _PWM_STREAM.size)
        if len(raw) < _PWM_STREAM.size:
            raise TruncatedWimError(f.path, "the pipable WIM ends right after its header (no XML metadata follows)")
        magic, size, _sha1, _flags = _PWM_STREAM.unpack(raw)
        if magic != _PWM_STREAM_MAGIC:
            raise CorruptWimError(f.path, "the pipable WIM has neither a final header nor XML metadata after its header")
        offset = HEADER_SIZE + _PWM_STREAM.size
        f.warnings.append("the pipable WIM has no final header, so it may be incomplete; "
                          "its metadata was read from the start of the file")
        return header, self._xml_bytes(f, ResourceHeader(size, 0, offset, size)), offset

    @staticmethod
    def _decode(path: str, data: bytes) -> str:
        if len(data) >= 2 and data[0] != 0 and data[1] != 0 and not data.startswith(b"\xff\xfe"):
            raise WimXmlError(path, "the XML metadata is not UTF-16LE text (it looks like 8-bit text)")
        try:
            text = data.decode("utf-16-le")
        except UnicodeDecodeError as exc:
            raise WimXmlError(path, f"the XML metadata is not valid UTF-16LE (at byte {exc.start}: {exc.reason})") from None
        return text.removeprefix("\ufeff")
