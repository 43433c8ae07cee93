"""INF text: decoding, lines, sections, quoting and ``%token%`` substitution.

The syntax rules follow how Windows reads INF files:

* encodings: UTF-16LE/BE with a byte-order mark, UTF-8 with or without one, otherwise the
  ANSI code page (Windows-1252, with Latin-1 as the never-failing last resort);
* ``;`` starts a comment unless it is inside ``"double quotes"``;
* a ``\\`` at the end of a line (after the comment is removed) continues it on the next line;
* ``"..."`` quotes a value (``""`` inside quotes is one ``"``); quotes are removed;
* ``%key%`` is replaced by the ``[Strings]`` value of ``key`` (case-insensitive), falling back
  to the localized ``[Strings.xxxx]`` sections (0409 first, then file order) when the base
  section lacks it; ``%%`` is a literal ``%``; unknown tokens (``%12%`` dirids) stay as written;
* section names are case-insensitive and a section that appears twice is one section.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from console.core.drivers import InfError

#: Larger files are refused before they are read (real INFs are well below 10 MB).
MAX_INF_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class InfLine:
    """One logical line of a section: ``key = value`` (key None when there is no ``=``)."""

    number: int  # 1-based line number where the logical line starts
    key: str | None  # raw key text (quotes and tokens not yet resolved)
    value: str  # raw text right of ``=`` (or the whole line when there is no key)


@dataclass
class InfSection:
    name: str
    number: int
    lines: list[InfLine] = field(default_factory=list)


@dataclass
class InfText:
    """An INF file split into sections; every lookup is case-insensitive."""

    source: str
    encoding: str
    sections: dict[str, InfSection]
    warnings: list[str]
    strings: dict[str, str] = field(default_factory=dict)

    def section(self, name: str) -> InfSection | None:
        return self.sections.get(name.casefold())

    def resolve(self, raw: str) -> str:
        """Unquote and substitute one field or key."""
        return unquote(raw, self.strings)

    def fields(self, raw: str) -> list[str]:
        """Comma-separated fields of a value, each unquoted and substituted."""
        return [self.resolve(part) for part in split_outside_quotes(raw, ",")]


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Bytes of an INF → (text, encoding name)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        little = data.startswith(codecs.BOM_UTF16_LE)
        encoding = "utf-16-le" if little else "utf-16-be"
        body = data[2:]
        if len(body) % 2:
            raise InfError(f"the file is cut off: {encoding.upper()} text has an odd number of bytes", file=source)
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InfError(f"not valid {encoding.upper()} text (byte {exc.start + 2})", file=source) from None
        return _no_nul(text, source), encoding
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _no_nul(data[3:].decode("utf-8"), source), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InfError(f"not valid UTF-8 text although it starts with a UTF-8 byte-order mark (byte {exc.start + 3})", file=source) from None
    if b"\0" in data:
        guess = _utf16_without_bom(data)
        if guess is None:
            raise InfError("this is a binary file, not an INF text file (it contains NUL bytes)", file=source)
        return _no_nul(data.decode(guess, errors="replace"), source), guess
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark has a NUL in every other byte of ASCII text."""
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.9 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.9 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def _no_nul(text: str, source: str) -> str:
    if "\0" in text:
        raise InfError("this is a binary file, not an INF text file (it contains NUL characters)", file=source)
    return text


def strip_comment(line: str) -> str:
    """Drop a ``;`` comment that is outside quotes."""
    if ";" not in line:
        return line
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:index]
    return line


def split_outside_quotes(text: str, separator: str, maxsplit: int = -1) -> list[str]:
    parts: list[str] = []
    if '"' not in text:
        return text.split(separator, maxsplit)
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == separator and not quoted and (maxsplit < 0 or len(parts) < maxsplit):
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def unquote(raw: str, strings: Mapping[str, str]) -> str:
    """Remove quotes (``""`` = ``"``) and substitute ``%tokens%`` in one field."""
    raw = raw.strip()
    if '"' not in raw and "%" not in raw:
        return raw
    out: list[str] = []
    quoted = False
    index, length = 0, len(raw)
    while index < length:
        char = raw[index]
        if char == '"':
            if quoted and index + 1 < length and raw[index + 1] == '"':
                out.append('"')
                index += 2
                continue
            quoted = not quoted
            index += 1
        elif char == "%":
            end = raw.find("%", index + 1)
            if end == index + 1:  # %% = a literal percent sign
                out.append("%")
                index += 2
            elif end < 0 or '"' in raw[index + 1:end]:
                out.append("%")
                index += 1
            else:
                key = raw[index + 1:end]
                value = strings.get(key.strip().casefold())
                out.append(value if value is not None else raw[index:end + 1])
                index = end + 1
        else:
            out.append(char)
            index += 1
    return "".join(out)


def logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """(line number, text) with comments removed and ``\\`` continuations joined."""
    pending: list[str] = []
    start = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        line = strip_comment(physical).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = "".join(pending).strip()
        pending = []
        if joined:
            yield start, joined
    if pending:
        joined = "".join(pending).strip()
        if joined:
            yield start, joined


def parse_text(text: str, source: str, encoding: str) -> InfText:
    """Split decoded INF text into sections and read its ``[Strings]``."""
    text = text.lstrip("\ufeff").split("\x1a", 1)[0]  # stray BOM; DOS end-of-file marker
    sections: dict[str, InfSection] = {}
    warnings: list[str] = []
    current: InfSection | None = None
    ignored_before_first = 0
    for number, line in logical_lines(text):
        if line.startswith("["):
            end = line.find("]")
            if end < 0:
                raise InfError("section header has no closing ']'", file=source, line=number)
            name = line[1:end].strip()
            if not name:
                raise InfError("empty section name '[]'", file=source, line=number)
            current = sections.setdefault(name.casefold(), InfSection(name, number))
            continue
        if current is None:
            ignored_before_first += 1
            continue
        parts = split_outside_quotes(line, "=", 1)
        if len(parts) == 2:
            current.lines.append(InfLine(number, parts[0].strip(), parts[1].strip()))
        else:
            current.lines.append(InfLine(number, None, line))
    if ignored_before_first:
        warnings.append(f"{ignored_before_first} line(s) before the first [section] were ignored")
    inf = InfText(source, encoding, sections, warnings)
    inf.strings = _strings(sections)
    return inf


def _strings(sections: Mapping[str, InfSection]) -> dict[str, str]:
    """The base ``[Strings]`` values, completed from the localized sections."""
    ordered: list[InfSection] = []
    base = sections.get("strings")
    if base is not None:
        ordered.append(base)
    localized = [s for key, s in sections.items() if key.startswith("strings.")]
    localized.sort(key=lambda s: 0 if s.name.casefold() == "strings.0409" else 1)
    ordered.extend(localized)
    values: dict[str, str] = {}
    for section in ordered:
        for line in section.lines:
            if line.key is None:
                continue
            key = unquote(line.key, {}).casefold()
            if key and key not in values:
                values[key] = _string_value(line.value)
    return values


def _string_value(raw: str) -> str:
    """A ``[Strings]`` value: quotes removed, taken literally otherwise (no tokens)."""
    raw = raw.strip()
    if '"' not in raw:
        return raw
    out: list[str] = []
    quoted = False
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == '"':
            if quoted and raw[index + 1:index + 2] == '"':
                out.append('"')
                index += 2
                continue
            quoted = not quoted
        else:
            out.append(char)
        index += 1
    return "".join(out)
