"""Offline registry hive edits with hivex's programs (Debian package ``libhivex-bin``).

``hivexsh -w`` edits a hive through a script (``cd``/``add`` each key level, ``setval``,
``commit``); ``hivexget`` reads values back. ``setval`` replaces *every* value of a key, so
``set_value`` first reads the key's existing values (``lsval``) and writes them back exactly
(as ``hex:<type>:<bytes>``) together with the new one: the other values of
``Services\\FBWF`` on a real Windows PE SYSTEM hive survive.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from console.core.servicing import ServicingError

_TIMEOUT = 120
_LSVAL = re.compile(r'^(?:"(?P<name>(?:[^"\\]|\\.)*)"|@)=(?P<value>.*)$')
REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD = 1, 2, 3, 4


class HiveError(ServicingError):
    """A hive cannot be opened, read or changed; names the hive and hivex's message."""

    title = "Registry hive"


@dataclass(frozen=True)
class RegValue:
    name: str  # "" = the default value
    type: int
    data: bytes


def _tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise HiveError(f"{name} was not found: install hivex's tools (Debian/Ubuntu package libhivex-bin)")
    return tool


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=_TIMEOUT, check=False,
                          env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})


def _message(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
    return lines[0].removeprefix("hivexsh: ") if lines else f"exit code {proc.returncode}"


def _levels(key: str) -> list[str]:
    levels = [p for p in key.split("\\") if p]
    for level in levels:
        if "\n" in level or "/" in level:
            raise HiveError(f"registry key {key!r}: a key name may not contain a new line or '/'")
    return levels


class Hives:
    """Reads and edits hive files on disk."""

    def check_opens(self, hive: str) -> None:
        """Raise ``HiveError`` unless hivex opens ``hive`` and lists its root key."""
        proc = _run([_tool("hivexsh"), hive], "ls\n")
        if proc.returncode != 0:
            raise HiveError(f"{hive}: the registry hive cannot be opened ({_message(proc)}); the image is damaged "
                            "or the file is not a registry hive")

    def key_exists(self, hive: str, key: str) -> bool:
        return self._lsval(hive, key) is not None

    def subkeys(self, hive: str, key: str) -> list[str]:
        script = "".join(f"cd {level}\n" for level in _levels(key)) + "ls\n"
        proc = _run([_tool("hivexsh"), hive], script)
        return proc.stdout.splitlines() if proc.returncode == 0 else []

    def values(self, hive: str, key: str) -> list[RegValue] | None:
        """The key's values exactly as stored; None when the key does not exist."""
        lines = self._lsval(hive, key)
        return None if lines is None else [_parse_value(line, hive, key) for line in lines if line.strip()]

    def get(self, hive: str, key: str, name: str) -> str:
        """``hivexget HIVE KEY NAME``: the value as hivexget prints it (a DWORD in decimal)."""
        proc = _run([_tool("hivexget"), hive, "\\" + "\\".join(_levels(key)), name])
        if proc.returncode != 0:
            raise HiveError(f"{hive}: cannot read {key}\\{name} ({_message(proc) if proc.stderr.strip() else 'no such key or value'})")
        return proc.stdout.rstrip("\n")

    def set_value(self, hive: str, key: str, value: RegValue) -> None:
        """Create ``key`` (and missing parents) and set ``value``, keeping the key's other values."""
        levels = _levels(key)
        existing: list[str] = []
        for level in levels:  # the deepest existing key
            if self._lsval(hive, "\\".join([*existing, level])) is None:
                break
            existing.append(level)
        script = ["cd \\" + "\\".join(existing)] if existing else []
        for level in levels[len(existing):]:
            script += [f"add {level}", f"cd {level}"]
        current = self.values(hive, key) if len(existing) == len(levels) else []
        kept = [v for v in current or [] if v.name.casefold() != value.name.casefold()] + [value]
        script.append(f"setval {len(kept)}")
        for item in kept:
            if "\n" in item.name:
                raise HiveError(f"{hive}: value name {item.name!r} under {key} contains a new line")
            script += [item.name or "@", f"hex:{item.type}:{','.join(f'{b:02x}' for b in item.data)}"]
        script.append("commit")
        proc = _run([_tool("hivexsh"), "-w", hive], "\n".join(script) + "\n")
        if proc.returncode != 0:
            raise HiveError(f"{hive}: cannot set {key}\\{value.name} ({_message(proc)})")

    def set_dword(self, hive: str, key: str, name: str, number: int) -> None:
        self.set_value(hive, key, RegValue(name, REG_DWORD, int(number).to_bytes(4, "little")))

    def _lsval(self, hive: str, key: str) -> list[str] | None:
        script = "".join(f"cd {level}\n" for level in _levels(key)) + "lsval\n"
        proc = _run([_tool("hivexsh"), hive], script)
        if proc.returncode != 0:
            if "not found" in proc.stderr:
                return None
            raise HiveError(f"{hive}: cannot read {key} ({_message(proc)})")
        return proc.stdout.splitlines()


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _parse_value(line: str, hive: str, key: str) -> RegValue:
    """One ``lsval`` line (regedit syntax) back into type and bytes."""
    match = _LSVAL.match(line)
    if match is None:
        raise HiveError(f"{hive}: cannot understand hivexsh's listing of {key}: {line!r}")
    name = _unescape(match["name"]) if match["name"] is not None else ""
    value = match["value"]
    if value.startswith('"') and value.endswith('"'):
        return RegValue(name, REG_SZ, (_unescape(value[1:-1]) + "\0").encode("utf-16-le"))
    string = re.match(r'^str\((\d+)\):"(.*)"$', value)
    if string:
        return RegValue(name, int(string[1]), (_unescape(string[2]) + "\0").encode("utf-16-le"))
    if value.startswith("dword:"):
        return RegValue(name, REG_DWORD, int(value[6:], 16).to_bytes(4, "little"))
    raw = re.match(r"^hex(?:\((\d+)\))?:(.*)$", value)
    if raw:
        kind = int(raw[1]) if raw[1] else REG_BINARY  # hivexsh prints the type in decimal
        data = bytes(int(b, 16) for b in raw[2].split(",") if b.strip())
        return RegValue(name, kind, data)
    raise HiveError(f"{hive}: cannot understand hivexsh's listing of {key}: {line!r}")
