"""Printing helpers shared by the commands: JSON documents, tables, property lists.

Every text the commands print goes through ``safe_text`` (``console.core.display``):
``escaped_output()`` puts an ``EscapingWriter`` in front of stdout and stderr for the whole
command, so a name such as ``a\\x1b[31mRED`` is shown as written, not obeyed by the terminal.
Machine formats are exact: ``emit_json`` (and ``raw_stdout()`` for XML) bypass the escaping —
JSON escapes control characters itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from console.core.display import safe_text

if TYPE_CHECKING:  # type hints only: importing them loads the whole services layer (image-info is timed)
    from console.core.console_services import ConsoleServices
    from console.core.instance import Instance


class EscapingWriter(io.TextIOBase):
    """A text stream that escapes control characters (keeping newlines) before ``raw``."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(safe_text(text, keep_newlines=True))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.raw.encoding


@contextlib.contextmanager
def escaped_output() -> Iterator[None]:
    """Escape what is printed to stdout and stderr while a command runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingWriter(sys.stdout), EscapingWriter(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        sys.stdout, sys.stderr = saved


def raw_stdout() -> TextIO:
    """stdout without escaping: for exact machine formats (JSON, XML)."""
    out = sys.stdout
    return out.raw if isinstance(out, EscapingWriter) else out


def raw_stderr() -> TextIO:
    """stderr without escaping: for terminal control the console writes itself (progress)."""
    err = sys.stderr
    return err.raw if isinstance(err, EscapingWriter) else err


def instance_json(console: ConsoleServices, instance: Instance, *, all_properties: bool = True) -> dict[str, Any]:
    """Stable JSON form: every property of the class, in class order; lazy ones that were
    not fetched are ``null`` and listed under ``__notLoaded``."""
    return console.context.validator.coercer.instance_to_json(instance, all_properties=all_properties)


#: ``--pretty``: indent JSON output (set by ``console.cli.main``); compact otherwise
PRETTY = {"on": False}


def set_pretty(on: bool) -> None:
    PRETTY["on"] = on


def emit_json(data: Any) -> None:
    """One JSON document: compact (C encoder), or indented by two with ``--pretty``."""
    out = raw_stdout()
    if PRETTY["on"]:
        json.dump(data, out, indent=2, ensure_ascii=False, sort_keys=False)
    else:
        out.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


def emit_json_stream(records: Iterable[Any]) -> None:
    """A JSON array written one record at a time (never all in memory): ``[``, one compact
    record per line, ``]`` — or with ``--pretty`` the same text ``emit_json`` of the whole
    list prints. Compact records are encoded by orjson (the same text as ``json.dumps`` with
    ``ensure_ascii=False`` and compact separators, at a fraction of the cost: at 100,000
    packages the standard encoder was a third of the command's time)."""
    out = raw_stdout()
    if PRETTY["on"]:
        first = True
        for record in records:
            text = "  " + json.dumps(record, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            out.write(("[\n" if first else ",\n") + text)
            first = False
        out.write("[]\n" if first else "\n]\n")
        return
    import orjson

    buffer = getattr(out, "buffer", None)
    out.flush()
    write = buffer.write if buffer is not None else (lambda data: out.write(data.decode("utf-8")))
    dumps = orjson.dumps
    separator = b"[\n"
    for record in records:
        write(separator + dumps(record))
        separator = b",\n"
    write(b"[]\n" if separator == b"[\n" else b"\n]\n")
    if buffer is not None:
        buffer.flush()


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [["" if v is None else safe_text(str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    print(line.rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def property_list(items: Iterable[tuple[str, str]]) -> None:
    items = list(items)
    width = max((len(k) for k, _ in items), default=0)
    for key, value in items:
        lines = [safe_text(line) for line in value.splitlines()] or [""]
        print(f"{key.ljust(width)} : {lines[0]}")
        for extra in lines[1:]:
            print(f"{' ' * width}   {extra}")
