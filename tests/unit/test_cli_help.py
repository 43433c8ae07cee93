"""Every argument of every `bootimage` command is described: in --help, in the man page
bootimage(1) and in the shell completion, which are all made from the parser."""

from __future__ import annotations

import argparse

from console.cli import build_parser
from console.cli.help_texts import SHARED_HELP


def _walk(parser: argparse.ArgumentParser, path: str, found: dict[str, list[str]]) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                _walk(sub, f"{path} {name}".strip(), found)
        else:
            found.setdefault(path, [])
            if not action.help:
                found[path].append(action.dest)


def test_every_argument_of_every_command_has_help() -> None:
    found: dict[str, list[str]] = {}
    _walk(build_parser(), "", found)
    assert len(found) > 80  # every command was walked
    assert {path: dests for path, dests in found.items() if dests} == {}


def test_shared_help_is_specific_where_a_command_means_something_else() -> None:
    parser = build_parser()
    help_of = {}
    for path in (["class"], ["dp", "show"], ["folder", "rename"], ["scope", "add"]):
        sub = parser
        for word in path:
            sub = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices[word]
        help_of[" ".join(path)] = next(a.help for a in sub._actions if a.dest == "name")
    assert help_of == {"class": SHARED_HELP[("class", "name")], "dp show": SHARED_HELP[("dp", "name")],
                       "folder rename": SHARED_HELP[("folder rename", "name")],
                       "scope add": SHARED_HELP[("scope", "name")]}
