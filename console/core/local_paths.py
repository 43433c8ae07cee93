"""Paths as the machine that reads them sees them.

A UNC path (``\\\\server\\share\\boot.wim``) names a file share on Windows only. Linux and macOS
open a share where it is mounted (``mount -t cifs //server/share /mnt/share``), so there a UNC
path is refused where a file or folder is recorded to be read later (the source WIM, the
prestart folder, a driver folder): pre-flight would only say "no such file" much later.
"""

from __future__ import annotations

import os

ON_WINDOWS = os.name == "nt"


def is_unc(path: str) -> bool:
    """``\\\\server\\share…``."""
    return path.startswith("\\\\")


def share_example(tail: str, *, windows: bool = ON_WINDOWS) -> str:
    """A path on a file share written as this machine opens it, for hints and placeholders:
    ``\\\\server\\share\\<tail>`` on Windows, ``/mnt/share/<tail>`` elsewhere."""
    if windows:
        return "\\\\server\\share\\" + tail.replace("/", "\\")
    return "/mnt/share/" + tail.replace("\\", "/")


def unc_problem(path: str, *, example: str, windows: bool = ON_WINDOWS) -> str | None:
    """Why ``path`` cannot be read on this machine when it is a UNC path off Windows, or None."""
    if windows or not is_unc(path.strip()):
        return None
    return (f"{path.strip()} is a UNC path, which this machine cannot open (it is not Windows): mount the share "
            f"(for example mount -t cifs //server/share /mnt/share) and give the mounted path, such as "
            f"{share_example(example, windows=False)}")
