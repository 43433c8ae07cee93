"""The files inside a built WIM image, for revision diffs: ``wimlib-imagex dir --detailed``
parsed into path -> (size, SHA-1 of the unnamed data stream as wimlib reports it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from console.core.content import ContentError

ZERO_HASH = "0" * 40


def wim_listing(path: Path, index: int = 1, *, timeout: float = 600.0) -> dict[str, tuple[int, str]]:
    """Every regular file of image ``index`` (directories left out), paths as in the image
    (``/Windows/System32/winpe.jpg``)."""
    tool = shutil.which("wimlib-imagex")
    if tool is None:
        raise ContentError("wimlib-imagex is not installed (Debian package wimtools); the image cannot be listed")
    proc = subprocess.run([tool, "dir", str(path), str(index), "--detailed"], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ContentError(f"cannot list image {index} of {path}: {reason}")
    return parse_detailed(proc.stdout)


def parse_detailed(text: str) -> dict[str, tuple[int, str]]:
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
