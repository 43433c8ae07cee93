"""Why a WIM file could not be read. Every message names the file and the problem.

The reader (``console.wim``) raises only these; the service layer adds nothing to the
database when one is raised.
"""

from __future__ import annotations

from console.core.errors import ConsoleError, ValidationError

#: The most XML metadata the reader accepts. Real boot.wim/install.wim XML is a few KB
#: (an install.esd with 11 editions about 30 KB); anything larger is refused unread.
XML_READ_LIMIT = 64 * 1024 * 1024


class WimError(ConsoleError):
    """A WIM file could not be read. ``path`` is the file, ``reason`` the bare problem."""

    title = "Cannot read WIM file"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class WimNotFoundError(WimError):
    """The path does not exist."""

    title = "WIM file not found"


class WimAccessError(WimError):
    """The file exists but this user may not read it."""

    title = "WIM file not readable"


class NotAFileError(WimError):
    """The path is a directory, a device, a pipe or a socket."""

    title = "Not a file"


class NotAWimError(WimError):
    """The file does not start with a WIM header (wrong magic)."""

    title = "Not a WIM file"


class TruncatedWimError(WimError):
    """The file ends before the header or before the XML metadata it points to."""

    title = "WIM file truncated"


class CorruptWimError(WimError):
    """The header or the XML metadata contradicts itself or the format."""

    title = "WIM file damaged"


class WimXmlError(CorruptWimError):
    """The XML metadata is not valid UTF-16LE, not well-formed, or not a WIM document."""

    title = "WIM metadata damaged"


class UnsafeWimXmlError(WimXmlError):
    """The XML metadata declares a DOCTYPE or entities (refused: never expanded or fetched)."""

    title = "WIM metadata refused"


class WimXmlTooLargeError(WimError):
    """The header claims more XML metadata than the reader accepts (``XML_READ_LIMIT``)."""

    title = "WIM metadata too large"


class EncryptedWimError(WimError):
    """An encrypted ESD: its XML says ESD/ENCRYPTED; the rest cannot be read."""

    title = "Encrypted WIM"


class UnsupportedWimError(WimError):
    """A valid but unsupported variant (unknown format version, compressed XML)."""

    title = "Unsupported WIM"


class ImageIndexError(ValidationError):
    """The chosen image index is not in the file."""

    title = "No such image"


class UnsupportedImageError(ValidationError):
    """The chosen image is not a Windows PE image ConfigMgr can use as a boot image."""

    title = "Not a boot image"
