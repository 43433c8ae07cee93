"""Argument types that refuse what the console cannot store or use, as usage errors (exit 2)
with a message naming the argument — never an internal error later.

* whole numbers within the range of what they name (``CI_ID``, folder IDs, counts);
* ``--filter`` text up to ``MAX_SEARCH_LENGTH`` characters;
* paths whose file and folder names fit the file system (``MAX_NAME_LENGTH``), without NUL;
* every argument must be UTF-8 text (``non_utf8_argument``: Python hands undecodable bytes
  over as lone surrogates, which no database or terminal can take).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from console.core.errors import ConsoleError
from console.core.files import check_name_lengths
from console.core.input_limits import MAX_SEARCH_LENGTH, check_search_text

INT64_MAX = 2**63 - 1
UINT32_MAX = 2**32 - 1


def bounded_int(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        span = f"from {low} to {high}" + (f" ({what})" if what else "")
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number; give one {span}") from None
        if not low <= value <= high:
            shown = text if len(text) <= 40 else text[:20] + "…"
            raise argparse.ArgumentTypeError(f"{shown} is out of range; give a whole number {span}")
        return value

    parse.__name__ = "whole number"
    return parse


#: A count of rows (--limit, --offset).
count = bounded_int(0, INT64_MAX)
#: A driver's CI_ID (UInt32, never 0).
ci_id = bounded_int(1, UINT32_MAX, "a driver CI_ID")
#: A console folder (ContainerNodeID, UInt32; 0 = top level).
folder_id = bounded_int(0, UINT32_MAX, "a folder ID; 0 = top level")
#: An image index inside a WIM (1-based, UInt32).
image_index = bounded_int(1, UINT32_MAX, "an image index")
#: Any other whole number: what SQLite can store.
any_int = bounded_int(-INT64_MAX - 1, INT64_MAX)


def search_text(text: str) -> str:
    try:
        return check_search_text(text)
    except ConsoleError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def path(text: str) -> str:
    try:
        check_name_lengths(text)
    except ConsoleError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def bound_plain_ints(parser: argparse.ArgumentParser) -> None:
    """Give every ``type=int`` argument of ``parser`` and its sub-commands the ``any_int``
    range, so no command can pass a number SQLite cannot store."""
    for action in parser._actions:
        if action.type is int:
            action.type = any_int
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                bound_plain_ints(sub)


def non_utf8_argument(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """'' when every parsed argument is UTF-8 text, else a usage message naming the first that
    is not (Python hands undecodable bytes of argv over as lone surrogates)."""
    for dest, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            bad = next((ord(c) for c in item if "\ud800" <= c <= "\udfff"), None)
            if bad is None:
                continue
            shown = "".join(f"\\x{ord(c) - 0xDC00:02x}" if "\udc80" <= c <= "\udcff"
                            else c.encode("ascii", "backslashreplace").decode("ascii") for c in item[:60])
            what = f"byte 0x{bad - 0xDC00:02x}" if 0xDC80 <= bad <= 0xDCFF else f"lone surrogate U+{bad:04X}"
            return (f"argument {_argument_name(parser, args, dest)}: "
                    f"'{shown}' is not UTF-8 text ({what}); "
                    "the console keeps names, paths and values as UTF-8")
    return ""


def _argument_name(parser: argparse.ArgumentParser, args: argparse.Namespace, dest: str) -> str:
    """``--filter`` or the metavar of a positional argument, in the sub-command that was run."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            name = _argument_name(chosen, args, dest) if chosen is not None else dest
            if name != dest:
                return name
        elif action.dest == dest:
            return "/".join(action.option_strings) or str(action.metavar or dest)
    return dest


__all__ = ["MAX_SEARCH_LENGTH", "any_int", "bound_plain_ints", "bounded_int", "ci_id", "count", "folder_id",
           "image_index", "non_utf8_argument", "path", "search_text"]
