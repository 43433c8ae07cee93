"""Build ``dist/bootimage-console_<version>_amd64.deb`` from this checkout (``make dist-deb``).

The package runs the console on Debian's own ``python3`` (3.11 on Debian 12) with every Python
dependency vendored in a private folder, ``/usr/lib/bootimage-console``: our wheel and PyPI's
binary wheels for CPython 3.11 / manylinux x86_64 (PySide6's Qt is native code Debian 12 does
not package), installed with ``pip install --target`` and byte-compiled here, so a run as root
never writes ``__pycache__`` files dpkg does not know about. Built with plain ``dpkg-deb``.
Layout, maintainer scripts and choices: packaging/deb/README.md.

Usage: python packaging/deb/build_deb.py [--out dist] [--work build/deb]
"""

from __future__ import annotations

import argparse
import email.parser
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
PRIVATE = "usr/lib/bootimage-console"
UNIT_DIR = "lib/systemd/system"
DOC_DIR = "usr/share/doc/bootimage-console"
#: Wheel platforms that run on Debian 12 (glibc 2.36): pip does not widen a given
#: ``--platform`` to older glibc versions, so each is named.
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(36, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
#: Desktop integration, man pages and completion (packaging/desktop).
STAGE_SHARE = CHECKOUT / "packaging" / "desktop" / "stage_share.py"
PIP_TIMEOUT = 1800
DEBIAN_DIR = "DEBIAN"


def project_version() -> str:
    with open(CHECKOUT / "pyproject.toml", "rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def deb_name(version: str) -> str:
    return f"bootimage-console_{version}_amd64.deb"


#: What goes into the package (tests reuse dist/'s package only when none of it changed).
SOURCES = ("console", "resources", "pyproject.toml", "setup.py", "MANIFEST.in", "packaging/bootimage-worker.service",
           "packaging/deb", "packaging/desktop", "docs")
#: Files of packaging/deb that do not go into the package.
NOT_PACKAGED = {"debian_root.py", "README.md"}


def source_stamp() -> str:
    """A hash of every file the package is built from, committed or not."""
    digest = hashlib.sha256()
    for name in SOURCES:
        top = CHECKOUT / name
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.name not in NOT_PACKAGED:
                digest.update(path.relative_to(CHECKOUT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp_file(deb: Path) -> Path:
    """Where the source hash of a built package is kept: beside the staging folder, not in dist/."""
    return CHECKOUT / "build" / "deb-stamps" / (hashlib.sha256(str(deb.resolve()).encode()).hexdigest()[:16] + ".source")


def run(command: list[str], **kwargs: object) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, timeout=PIP_TIMEOUT, **kwargs)  # type: ignore[call-overload]


def vendor(stage: Path, work: Path) -> Path:
    """Our wheel plus every runtime dependency (and the ``postgres`` extra), binary only, for
    CPython 3.11 on manylinux x86_64, into the private folder; byte-compiled."""
    wheels = work / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(CHECKOUT)])
    (wheel,) = wheels.glob("bootimage_console-*.whl")
    target = stage / PRIVATE
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
         "--target", str(target), "--only-binary=:all:", *[f"--platform={tag}" for tag in PLATFORMS],
         "--implementation", "cp", "--python-version", "3.11", f"{wheel}[postgres]"])
    shutil.rmtree(target / "bin", ignore_errors=True)  # pip's console scripts (build interpreter's shebang)
    for cache in list(target.rglob("__pycache__")):
        shutil.rmtree(cache)
    # Byte-code for Debian's python3.11 (same magic number as any 3.11): the recorded source
    # mtimes survive dpkg-deb, so the files stay valid after installation.
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "-s", str(stage), "-p", "/", str(target)],
        capture_output=True, text=True, timeout=PIP_TIMEOUT)
    failed = [line for line in compiled.stdout.splitlines() if line.startswith("*** Error compiling")]
    if compiled.returncode and not failed:
        raise SystemExit(f"byte-compiling failed:\n{compiled.stdout}\n{compiled.stderr}")
    for line in failed:  # e.g. Python 2 templates shipped as .py by a dependency: never imported
        print("note: not byte-compiled:", line.removeprefix("*** Error compiling "), flush=True)
    return target


def licenses(target: Path) -> list[tuple[str, str, str]]:
    """(name, version, license) of every vendored distribution, from its METADATA."""
    found = []
    for meta in sorted(target.glob("*.dist-info/METADATA")):
        message = email.parser.Parser().parsestr(meta.read_text(encoding="utf-8", errors="replace"), headersonly=True)
        text = message.get("License-Expression") or message.get("License") or ""
        if not text or len(text) > 80 or "\n" in text:  # a whole license text: use the classifiers
            classifiers = [c.split("::")[-1].strip() for c in message.get_all("Classifier") or []
                           if c.startswith("License ::")]
            text = ", ".join(classifiers) or "see its dist-info folder"
        found.append((str(message["Name"]), str(message["Version"]), text))
    return found


def write_docs(stage: Path, version: str, target: Path) -> None:
    doc = stage / DOC_DIR
    doc.mkdir(parents=True, exist_ok=True)
    lines = [(HERE / "copyright.in").read_text(encoding="utf-8").rstrip("\n"), "",
             f"Files: {PRIVATE}/*", "Copyright: the authors of each vendored Python distribution",
             "License: vendored", " Each distribution under the license its metadata declares (full",
             " text in its .dist-info folder):"]
    lines += [f"  {name} {dist_version}: {text}" for name, dist_version, text in licenses(target)]
    (doc / "copyright").write_text("\n".join(lines) + "\n", encoding="utf-8")
    changelog = (HERE / "changelog.in").read_text(encoding="utf-8").replace("@VERSION@", version)
    changelog = changelog.replace("@DATE@", time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()))
    # a native package (no Debian revision): changelog.gz
    with gzip.GzipFile(doc / "changelog.gz", "wb", compresslevel=9, mtime=0) as handle:
        handle.write(changelog.encode("utf-8"))
    shutil.copy(HERE / "README.Debian", doc / "README.Debian")
    overrides = stage / "usr/share/lintian/overrides"
    overrides.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "lintian-overrides", overrides / "bootimage-console")


#: The administrator's guide (Help › Administrator's Guide opens the installed copy).
GUIDE = "docs/admin-guide.md"
LOCAL_LINK = re.compile(r"\]\((?![a-z]+://|#)([^)#\s]+)")


def write_guide(stage: Path) -> None:
    """docs/admin-guide.md, its pages, and every document and screenshot they link to under
    docs/, in the same layout under /usr/share/doc/bootimage-console."""
    docs = CHECKOUT / "docs"
    todo, seen = [CHECKOUT / GUIDE], set()
    while todo:
        path = todo.pop().resolve()
        if path in seen or not path.is_file() or not path.is_relative_to(docs):
            continue
        seen.add(path)
        if path.suffix == ".md":
            todo += [path.parent / link for link in LOCAL_LINK.findall(path.read_text(encoding="utf-8"))]
    for path in sorted(seen):
        target = stage / DOC_DIR / path.relative_to(docs)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def stage_files(stage: Path) -> None:
    bin_dir = stage / "usr" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for launcher in ("bootimage", "bootimage-console"):
        shutil.copy(HERE / launcher, bin_dir / launcher)
        (bin_dir / launcher).chmod(0o755)
    unit_dir = stage / UNIT_DIR
    unit_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(CHECKOUT / "packaging" / "bootimage-worker.service", unit_dir / "bootimage-worker.service")
    etc = stage / "etc" / "bootimage"
    etc.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "worker.env", etc / "worker.env")
    (etc / "worker.env").chmod(0o640)  # group bootimage: set by postinst once the group exists


def stage_share(stage: Path) -> None:
    """.desktop file, AppStream metainfo, hicolor icons, man pages and bash completion, staged
    under usr/share by packaging/desktop/stage_share.py (needs the ``dist`` extra)."""
    run([sys.executable, str(STAGE_SHARE), "--dest", str(stage), "--prefix", "/usr"])


def normalize_modes(stage: Path) -> None:
    """Directories 0755; programs (ELF executables, ``#!`` scripts that are not modules) 0755;
    everything else, shared libraries included, 0644; worker.env keeps its 0640."""
    for path in [stage, *stage.rglob("*")]:
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
        elif path != stage / "etc/bootimage/worker.env":
            with open(path, "rb") as handle:
                head = handle.read(4)
            library = ".so" in path.suffixes or path.suffix == ".py"
            program = head == b"\x7fELF" or head.startswith(b"#!")
            path.chmod(0o755 if program and not library and path.stat().st_mode & 0o111 else 0o644)


def write_control(stage: Path, version: str) -> None:
    debian = stage / "DEBIAN"
    debian.mkdir(exist_ok=True)
    # as dpkg-gencontrol counts: each file's size in KiB rounded up, 1 KiB per other entry
    entries = [p for p in stage.rglob("*") if p.relative_to(stage).parts[0] != DEBIAN_DIR]
    size_kib = sum((p.lstat().st_size + 1023) // 1024 if p.is_file() and not p.is_symlink() else 1 for p in entries)
    control = (HERE / "control.in").read_text(encoding="utf-8")
    control = control.replace("@VERSION@", version).replace("@INSTALLED_SIZE@", str(size_kib))
    (debian / "control").write_text(control, encoding="utf-8")
    sums = []
    for path in sorted(stage.rglob("*")):
        rel = path.relative_to(stage)
        if rel.parts[0] in (DEBIAN_DIR, "etc") or path.is_dir() or path.is_symlink():
            continue
        sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel.as_posix()}\n")
    (debian / "md5sums").write_text("".join(sums), encoding="utf-8")
    (debian / "conffiles").write_text("/etc/bootimage/worker.env\n", encoding="utf-8")
    for script in ("postinst", "prerm", "postrm"):
        shutil.copy(HERE / script, debian / script)
        (debian / script).chmod(0o755)
    for name in ("control", "md5sums", "conffiles"):
        (debian / name).chmod(0o644)


def build(out: Path, work: Path, compression: str = "xz") -> Path:
    version = project_version()
    started = time.monotonic()
    stage = work / "root"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    old_umask = os.umask(0o022)
    try:
        target = vendor(stage, work)
        stage_files(stage)
        stage_share(stage)
        write_docs(stage, version, target)
        write_guide(stage)
        normalize_modes(stage)
        write_control(stage, version)
    finally:
        os.umask(old_umask)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / deb_name(version)
    stamp_file(deb).parent.mkdir(parents=True, exist_ok=True)
    stamp_file(deb).unlink(missing_ok=True)
    partial = deb.with_suffix(".partial")
    run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(stage), str(partial)])
    partial.replace(deb)
    stamp_file(deb).write_text(source_stamp() + "\n", encoding="utf-8")
    print(f"{deb}: {deb.stat().st_size / 2**20:.1f} MiB in {time.monotonic() - started:.0f} s", flush=True)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=CHECKOUT / "dist", help="output folder (default dist/)")
    parser.add_argument("--work", type=Path, default=CHECKOUT / "build" / "deb", help="staging folder")
    parser.add_argument("--compression", default="xz", choices=("xz", "gzip"), help="dpkg-deb compressor")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != (3, 11):
        parser.error("build with Python 3.11: the byte-code must match Debian 12's python3")
    build(args.out.resolve(), args.work.resolve(), args.compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
