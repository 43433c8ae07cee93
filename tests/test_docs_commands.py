"""The administrator's guide (docs/admin-guide.md and docs/admin-guide/*.md) cannot drift from the
product: every ``bootimage …`` command in it parses with the real parser, every picture and local
link it shows exists, and every task page has a GUI path (a screenshot) and a CLI equivalent.

Commands are taken from fenced code blocks (in a block with ``$ `` prompts only the prompted
lines; elsewhere every line, ``\\`` continuations joined; blocks marked ``text`` hold output and
are skipped) and from inline code spans that start
with ``bootimage ``. Placeholders in angle brackets (``<PackageID>``) are made concrete first.
Parsing only: nothing is run, no database is opened."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
INDEX = REPO / "docs" / "admin-guide.md"
PAGES_DIR = REPO / "docs" / "admin-guide"
GUIDE = [INDEX, *sorted(PAGES_DIR.glob("*.md"))]

#: What each placeholder the guide may use stands for, as a value the parser accepts.
PLACEHOLDERS = {
    "PackageID": "PS100004",
    "CI_ID": "16777217",
    "ContextID": "{D6174002-F288-494A-B1C3-68AB25A1E95E}",
    "DP": "dp01.contoso.com",
    "group": "Branches",
    "folder": "/srv/drivers",
    "file": "/srv/boot/boot.wim",
    "index": "1",
    "folder ID": "16777219",
    "login": "bob",
    "scope": "Lab",
    "N": "3",
}
PLACEHOLDER = re.compile(r"<([A-Za-z_][A-Za-z_ ]*)>")
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)[^)]*\)")
#: shell operators that end one simple command (shlex with punctuation_chars yields them as tokens)
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}
REDIRECTS = {">", ">>", "<", "<<"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True)
class Command:
    file: Path
    line: int
    text: str  # as written in the guide
    argv: tuple[str, ...]  # after "bootimage", placeholders made concrete

    @property
    def where(self) -> str:
        return f"{self.file.relative_to(REPO)}:{self.line}"


def _concrete(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise AssertionError(f"unknown placeholder <{name}> in {text!r}: add it to PLACEHOLDERS "
                                 "or write a concrete value")
        return PLACEHOLDERS[name]

    return PLACEHOLDER.sub(replace, text)


def _simple_commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line (pipes, &&, ; split them; redirections dropped)."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    skip_next = False
    for token in lexer:
        if skip_next:
            skip_next = False
        elif token in SEPARATORS:
            commands.append([])
        elif token in REDIRECTS:
            skip_next = True
        else:
            commands[-1].append(token)
    return [c for c in commands if c]


def _bootimage_argv(line: str) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    if not re.search(r"\bbootimage\b", line):
        return found
    for words in _simple_commands(_concrete(line)):
        while words and ASSIGNMENT.match(words[0]):  # BOOTIMAGE_DB=… bootimage worker
            words = words[1:]
        if words and words[0] == "bootimage":
            found.append(tuple(words[1:]))
    return found


def _code_blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """The lines of each fenced block, except blocks marked ``text`` (output, file contents)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    output = False
    for number, line in enumerate(lines, 1):
        if match := FENCE.match(line):
            if current is None:
                current, output = [], line[match.end():].strip() == "text"
            else:
                if not output:
                    blocks.append(current)
                current = None
        elif current is not None:
            current.append((number, line))
    assert current is None, "a code block is not closed"
    return blocks


def _block_command_lines(block: list[tuple[int, str]]) -> list[tuple[int, str]]:
    prompted = any(text.lstrip().startswith("$ ") for _n, text in block)
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, text in block:
        if pending is None and prompted:
            if not text.lstrip().startswith("$ "):
                continue  # output of the command above
            text = text.lstrip()[2:]
        if pending is not None:
            number, text = pending[0], pending[1] + " " + text.strip()
        if text.rstrip().endswith("\\"):
            pending = (number, text.rstrip()[:-1])
            continue
        pending = None
        joined.append((number, text))
    return joined


def guide_commands(path: Path) -> list[Command]:
    lines = path.read_text(encoding="utf-8").splitlines()
    commands: list[Command] = []
    code_lines: set[int] = set()
    for block in _code_blocks(lines):
        code_lines.update(n for n, _t in block)
        for number, text in _block_command_lines(block):
            commands += [Command(path, number, text.strip(), argv) for argv in _bootimage_argv(text)]
    fenced = False
    for number, line in enumerate(lines, 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced or number in code_lines:
            continue
        for span in INLINE_CODE.findall(line):
            if span.startswith("bootimage "):
                commands += [Command(path, number, span, argv) for argv in _bootimage_argv(span)]
    return commands


ALL_COMMANDS = [c for page in GUIDE for c in guide_commands(page)]


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped, spaces → -."""
    anchors = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^#{1,6}\s+(.*?)\s*#*$", line):
            anchors.add(re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-"))
    return anchors


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    return build_parser()


def test_the_guide_has_its_pages_and_commands() -> None:
    """The index and one page per task exist, and the guide is not empty of commands (so the
    parse test below cannot pass by finding nothing)."""
    assert INDEX.is_file()
    pages = sorted(p.name for p in PAGES_DIR.glob("*.md"))
    assert len(pages) >= 9, pages
    assert len(ALL_COMMANDS) >= 100, f"only {len(ALL_COMMANDS)} bootimage commands found in the guide"


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: c.where)
def test_every_command_in_the_guide_parses(parser: argparse.ArgumentParser, command: Command) -> None:
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            args = parser.parse_args(list(command.argv))
    except SystemExit as exc:
        message = stderr.getvalue().strip().splitlines()
        pytest.fail(f"{command.where}: `{command.text}` does not parse (exit {exc.code}): "
                    f"{message[-1] if message else ''}")
    assert callable(getattr(args, "func", None)), f"{command.where}: `{command.text}` names no command to run"


@pytest.mark.parametrize("page", GUIDE, ids=lambda p: p.name)
def test_every_picture_and_local_link_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = []
    for target in IMAGE.findall(text):
        path = (page.parent / target).resolve()
        if not path.is_file():
            missing.append(f"picture {target}")
        elif path.suffix.lower() == ".png" and path.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            missing.append(f"picture {target} (not a PNG)")
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # a web address
        file, _sep, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            missing.append(f"link {target}")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            missing.append(f"link {target} (no such heading)")
    assert not missing, f"{page.relative_to(REPO)}: " + "; ".join(missing)


@pytest.mark.parametrize("page", sorted(PAGES_DIR.glob("*.md")), ids=lambda p: p.name)
def test_every_task_page_shows_the_gui_and_the_cli_and_is_listed(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert IMAGE.search(text), f"{page.name} shows no screenshot"
    assert guide_commands(page), f"{page.name} gives no bootimage command"
    assert f"admin-guide/{page.name}" in INDEX.read_text(encoding="utf-8"), f"the index does not list {page.name}"


def test_the_extraction_reads_shell_the_way_the_guide_writes_it() -> None:
    """Prompts, output lines, continuations, pipes, environment assignments and comments."""
    block = [(1, "$ echo \"$PASSWORD\" | bootimage dp add DP02 --transport smb \\"),
             (2, "    --address '\\\\dp02\\share' --password-stdin"),
             (3, "added distribution point DP02"),
             (4, "$ BOOTIMAGE_DB=sqlite:////x.db bootimage worker --until-idle   # one pass")]
    lines = _block_command_lines(block)
    argvs = [argv for _n, text in lines for argv in _bootimage_argv(text)]
    assert argvs == [("dp", "add", "DP02", "--transport", "smb", "--address", "\\\\dp02\\share", "--password-stdin"),
                     ("worker", "--until-idle")]
    assert _bootimage_argv("bootimage show <PackageID> --json > out.json") == [("show", "PS100004", "--json")]
