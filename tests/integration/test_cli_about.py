"""``bootimage about``: what an administrator pastes into a support request (Help › About's twin)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from console import __version__
from tests.integration.conftest import BOOTIMAGE


def _about(*args: str, env: dict[str, str]) -> dict[str, str]:
    result = subprocess.run([*BOOTIMAGE, *args, "about", "--json"], capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_about_names_version_installation_and_data_without_the_password(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("BOOTIMAGE_DB", None)
    # no server listens there: about never connects to the site database
    details = _about("--db", "postgresql+psycopg://worker:s3cret@127.0.0.1:1/ps1", env=env)
    assert details["Version"] == __version__
    assert details["Installation"] == "source checkout"
    assert details["Site database"] == "postgresql+psycopg://worker:***@127.0.0.1:1/ps1"
    assert "s3cret" not in json.dumps(details)
    assert details["Data folder"] == str(tmp_path / "data" / "bootimage-console")
    assert details["Worker log"] == str(tmp_path / "data" / "bootimage-console" / "worker.log")
    assert details["Settings folder"] == str(tmp_path / "config" / "bootimage-console")
    assert details["SQLAlchemy"][0].isdigit()

    embedded = _about(env=env)
    assert embedded["Site database"] == f"sqlite:///{tmp_path / 'data' / 'bootimage-console' / 'site.db'}"


def test_about_says_which_tool_is_missing_and_what_for(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("wimlib-imagex", "hivexsh"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or "/bin/false")
    env = {**os.environ, "PATH": str(bin_dir), "XDG_DATA_HOME": str(tmp_path / "data")}
    details = _about(env=env)
    assert details["xorriso"] == "not found: needed for boot media (ISO)"
    assert details["wimlib-imagex"] == str(bin_dir / "wimlib-imagex")
