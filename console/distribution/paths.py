"""Checks shared by every transport: paths are relative to the DP's library root."""

from __future__ import annotations

from console.core.distribution import TransportError


def relative(path: str) -> str:
    text = path.replace("\\", "/").strip("/")
    parts = text.split("/")
    if not text or any(p in ("", ".", "..") for p in parts) or ":" in text:
        raise TransportError(f"{path!r} is not a path inside the distribution point's library", cause="not_found")
    return text
