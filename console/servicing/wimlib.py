"""``wimlib-imagex`` as a child process: export, update, dir, extract, verify, info.

Every call runs with ``WIMLIB_IMAGEX_IGNORE_CASE=1`` (Windows paths are case-insensitive;
without it ``/windows/system32`` would become a second tree next to ``/Windows``). Progress
lines (``Archiving file data: 12 MiB of 28 MiB (42%) done``) are parsed and passed on; the
child is polled every 0.1 s for ``cancelled()`` and killed on cancel (``Cancelled``). On
Linux the child also dies with its parent (started through util-linux's ``setpriv
--pdeathsig KILL``, which sets ``PR_SET_PDEATHSIG`` and execs wimlib-imagex; no Python code
runs between fork and exec, so this is safe in a threaded worker), so a worker killed with
``kill -9`` leaves no wimlib-imagex writing into the work folder behind it.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from console.core.image_listing import parse_detailed
from console.core.servicing import CancelCheck, Cancelled, Progress, ServicingError

WIMLIB = "wimlib-imagex"
_PROGRESS = re.compile(r"^(?P<what>[A-Za-z ]+):\s+(?P<done>\d+) (?P<unit>\w+) of (?P<total>\d+) (?P=unit) \((?P<pct>\d+)%\)")
_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


class WimlibError(ServicingError):
    """wimlib-imagex is missing or failed; the message carries its own error text."""

    title = "wimlib-imagex failed"


def _never() -> bool:
    return False


def _no_progress(done: int, total: int, text: str) -> None:
    return None


def die_with_parent() -> list[str]:
    """The command prefix that makes a child die with this process (Linux), else []."""
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def wimlib_env() -> dict[str, str]:
    return {**os.environ, "WIMLIB_IMAGEX_IGNORE_CASE": "1", "LC_ALL": "C"}


class Wimlib:
    """Runs wimlib-imagex. ``tool`` defaults to the one on PATH."""

    def __init__(self, tool: str | None = None) -> None:
        self.tool = tool

    def _tool(self) -> str:
        tool = self.tool or shutil.which(WIMLIB)
        if tool is None:
            raise WimlibError("wimlib-imagex was not found: install wimlib (Debian/Ubuntu package wimtools)")
        return tool

    # -- commands ---------------------------------------------------------------------------

    def export(self, source: str, index: int, target: str, *, progress: Progress = _no_progress,
               cancelled: CancelCheck = _never) -> None:
        """Image ``index`` of ``source`` into a new WIM ``target`` (``--boot``; the source's
        compression is kept, so nothing is recompressed)."""
        self.run(["export", source, str(index), target, "--boot"], progress=progress, cancelled=cancelled,
                 what=f"exporting image {index} of {source}")

    def update(self, wim: str, index: int, commands: Sequence[str], *, progress: Progress = _no_progress,
               cancelled: CancelCheck = _never) -> None:
        """``update WIM INDEX`` with one command per line (``add SRC DEST``, ``delete PATH``...)."""
        self.run(["update", wim, str(index)], stdin="\n".join(commands) + "\n", progress=progress,
                 cancelled=cancelled, what=f"updating {wim}")

    def dir(self, wim: str, index: int, path: str = "/") -> list[str]:
        """Every path under ``path`` in the image (``/``-separated, as stored); [] when ``path``
        does not exist."""
        try:
            out = self.run(["dir", wim, str(index), f"--path={path}"], what=f"listing {path} in {wim}")
        except WimlibError as exc:
            if "does not exist" in exc.message:
                return []
            raise
        return [line for line in out.splitlines() if line.startswith("/")]

    def listing(self, wim: str, index: int = 1) -> dict[str, tuple[int, str]]:
        """Every regular file of the image: path -> (size, SHA-1 as wimlib reports it), from
        ``dir --detailed`` (the WIM's metadata only: no file data is read)."""
        return parse_detailed(self.run(["dir", wim, str(index), "--detailed"], what=f"listing image {index} of {wim}"))

    def extract(self, wim: str, index: int, paths: Sequence[str], dest_dir: str, *,
                cancelled: CancelCheck = _never) -> None:
        """Extract ``paths`` flat into ``dest_dir`` (no ACLs, no attributes)."""
        self.run(["extract", wim, str(index), *paths, f"--dest-dir={dest_dir}", "--no-acls", "--no-attributes"],
                 cancelled=cancelled, what=f"extracting {', '.join(paths)} from {wim}")

    def verify(self, wim: str, *, progress: Progress = _no_progress, cancelled: CancelCheck = _never) -> None:
        self.run(["verify", wim], progress=progress, cancelled=cancelled, what=f"verifying {wim}")

    def info(self, wim: str) -> str:
        return self.run(["info", wim], what=f"reading {wim}")

    # -- the child process ----------------------------------------------------------------------

    def run(self, args: Sequence[str], *, stdin: str | None = None, progress: Progress = _no_progress,
            cancelled: CancelCheck = _never, what: str = "") -> str:
        """Run ``wimlib-imagex ARGS``; returns stdout without progress lines."""
        if cancelled():
            raise Cancelled()
        argv = [*die_with_parent(), self._tool(), *args]
        with subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=wimlib_env(),
        ) as proc:
            try:
                if stdin is not None and proc.stdin is not None:
                    try:
                        proc.stdin.write(stdin.encode("utf-8"))
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass
                out, err = self._pump(proc, progress, cancelled)
            except BaseException:
                _kill(proc)
                raise
        if proc.returncode != 0:
            raise WimlibError(f"{what or ' '.join(args[:1])}: {_cause(err, out, proc.returncode)}")
        return out

    def _pump(self, proc: subprocess.Popen[bytes], progress: Progress, cancelled: CancelCheck) -> tuple[str, str]:
        assert proc.stdout is not None and proc.stderr is not None
        chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        pending = b""
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, "out")
            sel.register(proc.stderr, selectors.EVENT_READ, "err")
            open_streams = 2
            while open_streams:
                if cancelled():
                    _kill(proc)
                    raise Cancelled()
                for key, _ in sel.select(timeout=0.1):
                    data = os.read(key.fd, 65536)
                    if not data:
                        sel.unregister(key.fileobj)
                        open_streams -= 1
                        continue
                    chunks[key.data].append(data)
                    if key.data == "out":
                        pending = _report(pending + data, progress)
        while proc.poll() is None:  # streams closed; the process is about to exit
            if cancelled():
                _kill(proc)
                raise Cancelled()
            time.sleep(0.01)
        text = b"".join(chunks["out"]).decode("utf-8", "replace")
        lines = [ln for ln in re.split(r"[\r\n]", text) if ln.strip() and not _PROGRESS.match(ln)]
        return "\n".join(lines), b"".join(chunks["err"]).decode("utf-8", "replace")


def _report(buffer: bytes, progress: Progress) -> bytes:
    *complete, rest = re.split(rb"[\r\n]", buffer)
    for raw in complete[-1:]:  # only the newest line matters
        match = _PROGRESS.match(raw.decode("utf-8", "replace"))
        if match:
            unit = _UNITS.get(match["unit"], 1)
            progress(int(match["done"]) * unit, max(int(match["total"]) * unit, 1), f"{match['what']} ({match['pct']}%)")
    return rest


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _cause(err: str, out: str, code: int) -> str:
    """wimlib's own words: the specific ``[ERROR]`` lines and ``ERROR: <what>`` first lines,
    then its summary of the exit code; else the last line of output."""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    specific: list[str] = []
    summary = ""
    for n, line in enumerate(lines):
        if line.startswith("[ERROR]"):
            specific.append(line.removeprefix("[ERROR]").strip())
        elif line.startswith("ERROR: Exiting with error code"):
            summary = lines[n + 1] if n + 1 < len(lines) else ""
        elif line.startswith("ERROR:"):
            specific.append(line.removeprefix("ERROR:").strip())
    if specific:
        text = "; ".join(specific) + (f" ({summary.rstrip('.')})" if summary else "")
    else:
        text = summary or (lines or [ln for ln in out.splitlines() if ln.strip()] or [f"exit code {code}"])[-1]
    return re.sub(r"\s+", " ", text)


def remove(path: str | Path) -> None:
    """Delete a file or folder if present."""
    p = Path(path)
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    else:
        p.unlink(missing_ok=True)
