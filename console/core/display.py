"""Text that is safe to show on a terminal: control characters and bidirectional overrides
are written as visible escapes, so a driver name or INF string can neither recolour the
terminal, move the cursor, ring the bell, nor reorder what follows it on the line.

Validation refuses such characters in Name, Version and Description
(``console.core.input_limits``); this is for everything else and for data stored before
those rules or read from INF files.
"""

from __future__ import annotations

import re

#: Bidirectional formatting characters: embeddings/overrides (U+202A–U+202E), isolates
#: (U+2066–U+2069) and the invisible marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}\ud800-\udfff]")
_UNSAFE_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with control characters, bidi controls and lone surrogates escaped
    (``\\x1b``, ``\\u202e``); newlines are kept with ``keep_newlines``."""
    pattern = _UNSAFE if keep_newlines else _UNSAFE_ONE_LINE
    return pattern.sub(_escape, text) if pattern.search(text) else text
