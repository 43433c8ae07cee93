"""A process the console starts of itself (its detached worker, the GUI on a virtual screen) runs
the parent's own code, also when that code lives in a private folder that is not on Python's
default path, as in the Debian package (/usr/lib/bootimage-console)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PARENT = """
import subprocess, sys
sys.path.insert(0, sys.argv[1])
from console.self_command import self_command, self_environment
result = subprocess.run(self_command("bootimage", "--version"), env=self_environment(), capture_output=True,
                        text=True, timeout=60)
print(result.stdout.strip() or result.stderr.strip())
"""


def test_the_child_runs_the_private_copy_the_parent_runs(tmp_path: Path) -> None:
    private = tmp_path / "usr-lib-bootimage-console"
    shutil.copytree(ROOT / "console", private / "console", ignore=shutil.ignore_patterns("__pycache__"))
    init = private / "console" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.9+private-'))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-s", "-c", PARENT, str(private)], cwd=elsewhere, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("bootimage 9.9.9+private-"), result.stdout
