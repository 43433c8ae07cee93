"""How the console starts another process of itself (the detached worker, the GUI on a virtual
screen) so that the child runs exactly the code the parent runs, however it was installed:
a virtual environment or checkout, the Debian package's private folder, or a frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The folder holding the ``console`` package (and, in the Debian package, its vendored
#: dependencies): the child finds the same code even when it is not on the default path.
_CODE_ROOT = Path(__file__).resolve().parent.parent


def is_frozen() -> bool:
    """True inside a PyInstaller bundle, where ``sys.executable`` is the program itself."""
    return bool(getattr(sys, "frozen", False))


def self_command(program: str, *args: str) -> list[str]:
    """The command line that runs ``program`` (``bootimage`` or ``bootimage-console``) with ``args``."""
    if is_frozen():
        suffix = ".exe" if os.name == "nt" else ""
        return [str(Path(sys.executable).with_name(program + suffix)), *args]
    module = "console.cli" if program == "bootimage" else "console"
    # -P: ``-m`` would put the working directory first on the path, and a ``console`` folder
    # there (a source checkout, say) would run instead of the installed code
    return [sys.executable, "-P", "-m", module, *args]


def self_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the console's own code first on the path."""
    env = dict(os.environ if base is None else base)
    if not is_frozen():
        parts = [str(_CODE_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    return env
