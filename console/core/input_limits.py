"""Limits on what users type or paste: search text, JSON for embedded properties, and text
that is stored and shown (no undecodable bytes; plain one-line properties refuse control
characters and bidirectional overrides, which could disguise a name on screen).

Printing stays escaped regardless (``console.core.display.safe_text``): data stored before
these rules, or read from INF files, is never written raw to a terminal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from console.core.errors import ValidationError

if TYPE_CHECKING:  # a type hint only; the CLI's argument types import this module
    from console.core.classdef import PropertyDef

#: Longest search text (--filter, the search box): more finds nothing and SQLite refuses
#: LIKE patterns over 50,000 bytes.
MAX_SEARCH_LENGTH = 1000
#: Largest JSON text for an embedded property (schedules, driver lists), and its deepest nesting.
MAX_JSON_LENGTH = 64 * 1024
MAX_JSON_DEPTH = 16
#: Text properties shown everywhere: no control characters and no bidirectional overrides,
#: which would let a name disguise itself. Name and Version are one line; the Description
#: (the Comment box) may hold line breaks and tabs, as ConfigMgr's multi-line comment does.
PLAIN_TEXT_PROPERTIES = frozenset({"name", "version", "description"})
MULTILINE_TEXT_PROPERTIES = frozenset({"description"})
_LINE_BREAKS = frozenset("\n\r\t")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

def check_text(name: str, value: str, where: str = "", *, plain: bool = False, multiline: bool = False) -> str:
    """``value`` if it can be stored and shown: no undecodable bytes (lone surrogates), no NUL;
    with ``plain`` also no control characters (``multiline``: except line breaks and tabs) and
    no bidirectional overrides."""
    where = where or name
    for index, char in enumerate(value):
        if multiline and char in _LINE_BREAKS:
            continue
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise ValidationError.single(name, f"{where} is not valid text: it holds bytes that are not UTF-8 (at character {index + 1})")
        if code == 0:
            raise ValidationError.single(name, f"{where} cannot contain a NUL character (at character {index + 1})")
        if plain and (code < 0x20 or 0x7F <= code <= 0x9F or char in _BIDI_CONTROLS):
            kind = "a bidirectional override" if char in _BIDI_CONTROLS else "a control character"
            raise ValidationError.single(
                name, f"{where} cannot contain {kind} (U+{code:04X} at character {index + 1}); use plain text")
    return value


def check_search_text(text: str) -> str:
    """Search text (``--filter``, the search box) within ``MAX_SEARCH_LENGTH`` characters."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise ValidationError.single(
            "filter", f"the search text is {len(text):,} characters long; at most {MAX_SEARCH_LENGTH:,} are searched for")
    return check_text("filter", text, "the search text")


def parse_json(prop: PropertyDef, text: str) -> Any:
    """JSON text for an embedded property, refused when over ``MAX_JSON_LENGTH`` characters,
    nested deeper than ``MAX_JSON_DEPTH`` or otherwise unreadable (never an internal error)."""
    if len(text) > MAX_JSON_LENGTH:
        raise ValidationError.single(
            prop.name, f"{prop.name}: the JSON text is {len(text):,} characters long; at most {MAX_JSON_LENGTH:,} are accepted")
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValidationError.single(
            prop.name, f"{prop.name}: the JSON is nested {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError.single(prop.name, f"{prop.name} takes JSON ({prop.display_type}): {exc.msg}") from None
    except (ValueError, RecursionError) as exc:  # e.g. a number of more than 4,300 digits
        reason = str(exc).split(";")[0]
        raise ValidationError.single(prop.name, f"{prop.name}: the JSON cannot be read: {reason}") from None


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[``/``{`` outside strings (the text need not be valid JSON)."""
    depth = deepest = 0
    quoted = escaped = False
    for char in text:
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
