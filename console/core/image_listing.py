"""The files inside a WIM image as ``wimlib-imagex dir --detailed`` prints them: path ->
(size, SHA-1 of the unnamed data stream as wimlib reports it). A build records this listing
with its revision (revision diffs, boot media pre-flight). Standard library only."""

from __future__ import annotations

ZERO_HASH = "0" * 40


def parse_detailed(text: str) -> dict[str, tuple[int, str]]:
    """Every regular file of ``dir --detailed`` output (directories left out), paths as in the
    image (``/Windows/System32/winpe.jpg``)."""
    listing: dict[str, tuple[int, str]] = {}
    for block in text.split("-" * 20):
        fields: dict[str, str] = {}
        stream = False
        for line in block.splitlines():
            stripped = line.strip()
            if stripped.endswith(":") and "stream" in stripped:
                # "Unnamed data stream:" holds the file's contents; 'Named data stream "x":',
                # "Reparse point stream:" and "Raw encrypted data stream:" do not
                stream = stripped == "Unnamed data stream:"
                continue
            key, sep, value = stripped.partition("=")
            if not sep:
                continue
            key, value = key.strip(), value.strip()
            if key in ("Full Path", "Attributes"):
                fields[key] = value
            elif stream and key in ("Hash", "Uncompressed size"):
                fields.setdefault(key, value)
        path = fields.get("Full Path", "").strip('"')
        attributes = int(fields.get("Attributes", "0x0"), 16)
        if not path or attributes & 0x10:  # FILE_ATTRIBUTE_DIRECTORY
            continue
        size = int(fields.get("Uncompressed size", "0 bytes").split()[0])
        digest = fields.get("Hash", "0x" + ZERO_HASH).removeprefix("0x")
        listing[path] = (size, digest)
    return listing
