"""Build the PyInstaller one-folder bundle and pack it as
``dist/bootimage-console-<version>-linux-x86_64.tar.gz`` (``make dist-bundle``).

The tarball holds one folder, ``bootimage-console-<version>/``, with the two programs
(``bootimage``, ``bootimage-console``), their ``_internal/`` folder and ``BUILD-INFO.json``:
the source key (a hash of every file the bundle is built from and of the installed Python
packages), so a test can tell whether a tarball in ``dist/`` was built from the current tree.

``python packaging/bundle/build.py --key`` prints the key of the current tree without building.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SPEC = HERE / "bootimage-console.spec"
#: What the bundle is built from (besides the installed packages).
SOURCES = ("console", "resources", "packaging/bundle", "pyproject.toml", "setup.py")


def version() -> str:
    for line in (ROOT / "console" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("console/__init__.py has no __version__")


def platform_tag() -> str:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower().replace("amd64", "x86_64")
    return f"{system}-{machine}"


def tarball_name() -> str:
    return f"bootimage-console-{version()}-{platform_tag()}.tar.gz"


def source_key() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        top = ROOT / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    installed = sorted(f"{d.metadata['Name']}=={d.version}".lower() for d in importlib.metadata.distributions())
    digest.update("\n".join(installed).encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=30)
    except OSError:
        return ""
    return out.stdout.strip()


def build(dist: Path, work: Path) -> Path:
    started = time.monotonic()
    folder_name = f"bootimage-console-{version()}"
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                    "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(SPEC)],
                   cwd=ROOT, check=True, timeout=1800)
    folder = work / "dist" / folder_name
    info = {"version": version(), "source_key": source_key(), "git": git_commit(), "platform": platform_tag(),
            "python": platform.python_version()}
    (folder / "BUILD-INFO.json").write_text(json.dumps(info, indent=2) + "\n")
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / tarball_name()
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder_name)
    partial.replace(target)
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB, built in {time.monotonic() - started:.0f} s")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the tarball goes (default: dist/)")
    parser.add_argument("--work", type=Path, default=None, help="PyInstaller's work folder (default: a temporary one)")
    parser.add_argument("--key", action="store_true", help="print the source key of the current tree and exit")
    parser.add_argument("--name", action="store_true", help="print the tarball's file name and exit")
    args = parser.parse_args(argv)
    if args.name:
        print(tarball_name())
        return 0
    if args.key:
        print(source_key())
        return 0
    if args.work is not None:
        build(args.dist.resolve(), args.work.resolve())
        return 0
    work = Path(tempfile.mkdtemp(prefix="bootimage-bundle-"))
    try:
        build(args.dist.resolve(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
