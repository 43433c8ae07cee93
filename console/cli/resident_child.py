"""A resident server's forked child taking its client's place: the client's standard streams,
working folder, umask, niceness, resource limits, environment, argument vector and module path,
then the command."""

from __future__ import annotations

import argparse
import atexit
import io
import os
import sys
import time
from typing import Any


def run_command(parser: argparse.ArgumentParser, request: dict[str, Any], fds: list[int]) -> int:
    """Run the client's command in this (forked) process; its exit status."""
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
    os.fchdir(fds[3])
    for fd in fds:
        os.close(fd)
    fds.clear()
    os.umask(int(request["umask"]))
    niceness = int(request.get("nice", 0)) - os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > 0:  # ``nice bootimage …``: as low a priority as the client's (never higher)
        os.nice(niceness)
    import resource

    from console.cli.resident import LIMITS

    for name in LIMITS:  # the client's ``ulimit`` (the server checked that it can take them)
        if name in request["limits"] and hasattr(resource, name):
            soft, hard = request["limits"][name]
            resource.setrlimit(getattr(resource, name), (soft, hard))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    time.tzset()
    sys.path[:] = [str(p) for p in request["path"]]
    argv = [str(a) for a in request["argv"]]
    sys.argv = [str(request.get("argv0") or "bootimage"), *argv]
    _standard_streams(request["streams"])
    from console.cli import main

    try:
        code = _exit_code(main(argv, parser=parser))
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException:  # as an uncaught exception ends a process: traceback, status 1
        import traceback

        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()  # what the interpreter does when a process ends
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 120  # as Python reports a failed flush of standard output at exit
    return code


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)  # SystemExit("message"), as the interpreter prints it
    return 1


def _standard_streams(settings: list[dict[str, Any]]) -> None:
    """New stdin / stdout / stderr on descriptors 0–2 with the client's encodings and buffering."""
    streams = []
    for fd, setting, mode in zip((0, 1, 2), settings, ("r", "w", "w"), strict=True):
        raw = io.FileIO(fd, mode + "b", closefd=False)
        buffered: io.BufferedReader | io.BufferedWriter = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        streams.append(io.TextIOWrapper(buffered, encoding=str(setting["encoding"]), errors=str(setting["errors"]),
                                        line_buffering=bool(setting["line_buffering"]) or fd == 2,
                                        write_through=fd == 2))
    sys.stdin, sys.stdout, sys.stderr = streams
