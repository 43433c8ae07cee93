"""Build small WinPE-like WIM files with ``wimlib-imagex`` (sample data and test fixtures).

``ImageSpec`` describes one image the way a real ``boot.wim`` describes it in its XML
metadata (shaped after WIMGAPI output for an ADK WinPE image: WINDOWS/ARCH, PRODUCTNAME,
EDITIONID and INSTALLATIONTYPE ``WindowsPE``, PRODUCTTYPE ``WinNT``, LANGUAGES, VERSION
with SPBUILD and SPLEVEL, SYSTEMROOT, DISPLAYNAME, FLAGS). ``write_tree`` makes a
small directory tree with a WinPE layout; ``capture`` turns specs into one WIM.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from console.core.errors import ConsoleError

WIMLIB = "wimlib-imagex"
ARCH_CODES = {"x86": 0, "x64": 9, "ia64": 6, "arm64": 12}
_ARCH_DIRS = {"x86": "x86", "x64": "amd64", "ia64": "ia64", "arm64": "arm64"}
PRODUCT_NAME = "Microsoft® Windows® Operating System"
COMPRESSIONS = ("none", "XPRESS", "LZX", "LZMS")


class WimToolError(ConsoleError):
    """wimlib-imagex is missing or failed."""

    title = "wimlib-imagex failed"


@dataclass(frozen=True)
class ImageSpec:
    """One image of a WIM to build. ``architecture=None`` leaves WINDOWS out entirely
    (like WIMs captured from plain folders)."""

    name: str = "Microsoft Windows PE (x64)"
    description: str = ""
    architecture: str | int | None = "x64"  # x86/x64/ia64/arm64 or a raw ARCH code
    version: tuple[int, int, int, int] = (10, 0, 26100, 1)
    languages: tuple[str, ...] = ("en-US",)
    default_language: str = ""
    edition_id: str = "WindowsPE"
    installation_type: str = "WindowsPE"
    flags: str = "WindowsPE"
    display_name: str = ""
    product_type: str = "WinNT"
    payload_kib: int = 64  # pseudo-random file data, so compression has work to do
    seed: str = ""
    extra_properties: Mapping[str, str] = field(default_factory=dict)

    def properties(self) -> list[tuple[str, str]]:
        props: list[tuple[str, str]] = []
        if self.flags:
            props.append(("FLAGS", self.flags))
        if self.display_name:
            props.append(("DISPLAYNAME", self.display_name))
        if self.architecture is not None:
            arch = self.architecture
            code = ARCH_CODES[arch] if isinstance(arch, str) else arch
            major, minor, build, spbuild = self.version
            props += [
                ("WINDOWS/ARCH", str(code)), ("WINDOWS/PRODUCTNAME", PRODUCT_NAME),
                ("WINDOWS/EDITIONID", self.edition_id), ("WINDOWS/INSTALLATIONTYPE", self.installation_type),
                ("WINDOWS/PRODUCTTYPE", self.product_type),
            ]
            for n, language in enumerate(self.languages, 1):
                props.append((f"WINDOWS/LANGUAGES/LANGUAGE[{n}]" if n > 1 else "WINDOWS/LANGUAGES/LANGUAGE", language))
            if self.languages:
                props.append(("WINDOWS/LANGUAGES/DEFAULT", self.default_language or self.languages[0]))
            props += [
                ("WINDOWS/VERSION/MAJOR", str(major)), ("WINDOWS/VERSION/MINOR", str(minor)),
                ("WINDOWS/VERSION/BUILD", str(build)), ("WINDOWS/VERSION/SPBUILD", str(spbuild)),
                ("WINDOWS/VERSION/SPLEVEL", "0"), ("WINDOWS/SYSTEMROOT", "WINDOWS"),
            ]
        props += list(self.extra_properties.items())
        return [(k, v) for k, v in props if v != ""]


def _pseudo_random(seed: str, size: int) -> bytes:
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def write_tree(folder: Path, spec: ImageSpec) -> Path:
    """A WinPE-shaped tree: Windows/System32 with startnet.cmd and winpeshl.ini, a few
    driver and DLL-sized blobs (deterministic per spec) and a boot folder."""
    folder.mkdir(parents=True, exist_ok=True)
    system32 = folder / "Windows" / "System32"
    (system32 / "drivers").mkdir(parents=True, exist_ok=True)
    (system32 / "config").mkdir(exist_ok=True)
    (folder / "Windows" / "Boot" / "PXE").mkdir(parents=True, exist_ok=True)
    (folder / "sources").mkdir(exist_ok=True)
    (system32 / "startnet.cmd").write_text("wpeinit\r\n", encoding="ascii")
    (system32 / "winpeshl.ini").write_text("[LaunchApps]\r\n%SYSTEMROOT%\\System32\\cmd.exe\r\n", encoding="ascii")
    arch = spec.architecture if isinstance(spec.architecture, str) else "x64"
    (folder / "Windows" / "Boot" / "PXE" / "readme.txt").write_text(
        f"{spec.name} ({_ARCH_DIRS.get(arch, arch)})\n", encoding="utf-8"
    )
    seed = spec.seed or spec.name
    total = max(spec.payload_kib, 1) * 1024
    blobs = [("drivers/netkvm.sys", 0.4), ("drivers/storport.sys", 0.3), ("wpeutil.dll", 0.2), ("setupplatform.exe", 0.1)]
    for name, share in blobs:
        (system32 / name).write_bytes(_pseudo_random(f"{seed}/{name}", int(total * share)))
    return folder


def _run(args: Sequence[str]) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise WimToolError(f"{args[0]} was not found: install wimlib (Debian/Ubuntu package wimtools)")
    proc = subprocess.run([tool, *args[1:]], capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise WimToolError(f"{' '.join(args[:2])} failed ({proc.returncode}): {detail[-1] if detail else 'no output'}")


def _property_args(spec: ImageSpec) -> list[str]:
    args = []
    for key, value in spec.properties():
        args += ["--image-property", f"{key}={value}"]
    return args


def capture(
    path: Path | str,
    images: Sequence[ImageSpec],
    *,
    compress: str = "LZX",
    solid: bool = False,
    pipable: bool = False,
    boot_index: int | None = 1,
    trees: Sequence[Path] | None = None,
) -> Path:
    """Capture ``images`` into a new WIM at ``path`` (replacing it). ``trees`` gives a source
    folder per image; otherwise a WinPE-like tree is generated per spec."""
    if compress not in COMPRESSIONS:
        raise ValueError(f"compress must be one of {', '.join(COMPRESSIONS)}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="bootimage-capture-") as tmp:
        target = Path(tmp) / "build.wim" if pipable else out
        for n, spec in enumerate(images, 1):
            source = trees[n - 1] if trees else write_tree(Path(tmp) / f"image{n}", spec)
            verb = "capture" if n == 1 else "append"
            args = [WIMLIB, verb, str(source), str(target), spec.name]
            if spec.description:
                args.append(spec.description)
            args += [f"--compress={compress}", *_property_args(spec)]
            if solid:
                args.append("--solid")
            if boot_index == n:
                args.append("--boot")
            _run(args)
        if pipable:
            _run([WIMLIB, "export", str(target), "all", str(out), "--pipable", f"--compress={compress}"])
            if boot_index:
                _run([WIMLIB, "info", str(out), str(boot_index), "--boot"])
    return out


def split(path: Path | str, first_part: Path | str, part_mib: float) -> list[Path]:
    """``wimlib-imagex split``: returns the parts (``name.swm``, ``name2.swm``, ...)."""
    first = Path(first_part)
    _run([WIMLIB, "split", str(path), str(first), str(part_mib)])
    parts = [first]
    n = 2
    while (candidate := first.with_name(f"{first.stem}{n}{first.suffix}")).exists():
        parts.append(candidate)
        n += 1
    return parts


def set_properties(path: Path | str, index: int, properties: Mapping[str, str]) -> None:
    """``wimlib-imagex info WIM INDEX --image-property K=V``: edit an image's XML in place."""
    args = [WIMLIB, "info", str(path), str(index)]
    for key, value in properties.items():
        args += ["--image-property", f"{key}={value}"]
    _run(args)


def wimlib_available() -> bool:
    return shutil.which(WIMLIB) is not None
