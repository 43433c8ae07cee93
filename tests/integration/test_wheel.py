"""The built wheel, installed (not editable) into a fresh virtual environment, starts.

The wheel is built the way a distributor builds it: the sdist from a copy of the source tree
(what `make dist` publishes), then the wheel from that sdist alone. It is installed into a new venv that has no
access to the checkout, and run from an empty folder, so only the resources shipped inside
the wheel can be found. The console's dependencies (PySide6, SQLAlchemy, lxml, ...) are not
downloaded again: the new venv sees the test venv's site-packages through a ``.pth`` line,
placed after its own site-packages so the installed ``console`` comes first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from console.cli import resident

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ITEMS = ["console", "resources", "pyproject.toml", "README.md", "LICENSE", "setup.py", "MANIFEST.in", "Makefile",
                "packaging", "docs"]


def _copy_source(target: Path) -> None:
    target.mkdir()
    for name in SOURCE_ITEMS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, target / name)


def _sh(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with the wheel installed; returns its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    _copy_source(source)
    sdists = base / "sdists"
    _sh(sys.executable, "-m", "build", "--sdist", "--outdir", sdists, source, cwd=base)
    (sdist,) = sdists.glob("bootimage_console-*.tar.gz")
    shutil.rmtree(source)
    wheels = base / "wheels"
    _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, sdist, cwd=base)
    (wheel,) = wheels.glob("bootimage_console-*.whl")
    venv = base / "venv"
    _sh(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    python = venv / "bin" / "python"
    _sh(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel,
        cwd=base)
    purelib = Path(_sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=base).strip())
    (purelib / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return venv / "bin"


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BOOTIMAGE_", "PYTHON"))}
    # its resident command server in this session's private folder, stopped when the session ends
    env[resident.DIR_VARIABLE] = os.environ[resident.DIR_VARIABLE]
    return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "QT_QPA_PLATFORM": "offscreen"}


def test_wheel_ships_the_resources(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    source = tmp_path / "source"
    _copy_source(source)
    _sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", wheels, source, cwd=tmp_path)
    (wheel,) = wheels.glob("bootimage_console-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ROOT.joinpath("resources").rglob("*"):
        if name.is_file():
            assert f"console/resources/{name.relative_to(ROOT / 'resources').as_posix()}" in names


def test_wheel_built_from_the_sdist_carries_the_licence_and_migrations(installed: Path) -> None:
    (record,) = installed.parent.glob("lib/python*/site-packages/bootimage_console-*.dist-info/RECORD")
    names = {line.split(",")[0] for line in record.read_text().splitlines()}
    assert any(name.endswith("licenses/LICENSE") for name in names)
    assert "console/resources/classes/SMS_BootImagePackage.xml" in names
    assert "console/storage/migrations/env.py" in names
    assert sum(name.startswith("console/storage/migrations/versions/") for name in names) >= 16


def test_installed_cli_reads_the_shipped_class_files(installed: Path, tmp_path: Path) -> None:
    where = _sh(installed / "python", "-c", "import console.paths as p; print(p.PACKAGE_DIR, p.resources_dir())",
                cwd=tmp_path, env=_env(tmp_path))
    package_dir, resources = where.split()
    assert Path(package_dir).is_relative_to(installed.parent) and not Path(package_dir).is_relative_to(ROOT)
    assert resources == str(Path(package_dir) / "resources")
    out = _sh(installed / "bootimage", "--db", f"sqlite:///{tmp_path / 'site.db'}", "class", "SMS_BootImagePackage",
              cwd=tmp_path, env=_env(tmp_path))
    assert "SMS_BootImagePackage" in out and "ScratchSpace" in out


def test_installed_console_opens_its_window(installed: Path, tmp_path: Path) -> None:
    shot = tmp_path / "main-window.png"
    _sh(installed / "bootimage-console", "--db", f"sqlite:///{tmp_path / 'site.db'}", "--screenshot", shot,
        "--quit-after-screenshot", cwd=tmp_path, env=_env(tmp_path), timeout=120)
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 10_000
