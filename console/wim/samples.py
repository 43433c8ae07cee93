"""Sample boot images for trying the console without a Windows ADK ("Create sample boot images").

Three small WinPE-like WIMs built with wimlib-imagex (a few hundred KB each), shaped like
real ADK/setup-media boot.wim files, then imported like any other boot image. Each image is
buildable (``console.wim.winpe_tree``): a real SYSTEM hive (hivex), startnet.cmd and
winpeshl.ini, the background picture and the packages of the components ConfigMgr requires.
They are not Windows: no Windows PE boots from them, and their boot files are missing, so
boot media cannot be made from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

from console.core.errors import DuplicateNameError
from console.core.instance import Instance
from console.wim.capture import ImageSpec, capture
from console.wim.winpe_tree import write_winpe_tree

if TYPE_CHECKING:
    from console.core.services.boot_image_packages import BootImagePackages

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Sample:
    file: str
    images: tuple[ImageSpec, ...]
    import_index: int  # the image the sample package is made from
    package_name: str
    boot_index: int = 1


SAMPLES: tuple[Sample, ...] = (
    Sample("winpe11-x64-boot.wim", (
        ImageSpec("Microsoft Windows PE (x64)", "Microsoft Windows PE (x64)", "x64", (10, 0, 26100, 1),
                  display_name="Windows PE 11 (x64)", payload_kib=256),
    ), 1, "Sample WinPE 11 (x64)"),
    Sample("winpe10-x86-boot.wim", (
        ImageSpec("Microsoft Windows PE (x86)", "Microsoft Windows PE (x86)", "x86", (10, 0, 19041, 1),
                  languages=("en-US", "de-DE"), display_name="Windows PE 10 (x86)", payload_kib=192),
    ), 1, "Sample WinPE 10 (x86)"),
    Sample("setup-media-x64-boot.wim", (
        ImageSpec("Microsoft Windows PE (amd64)", "Microsoft Windows PE (amd64)", "x64", (10, 0, 22621, 1),
                  flags="9", payload_kib=128, seed="setup-pe"),
        ImageSpec("Microsoft Windows Setup (amd64)", "Microsoft Windows Setup (amd64)", "x64", (10, 0, 22621, 1),
                  flags="2", payload_kib=192, seed="setup"),
    ), 2, "Sample Windows Setup (x64)", boot_index=2),
)


def create_sample_boot_images(folder: Path | str) -> list[Path]:
    """Build the sample WIMs in ``folder``: WinPE 11 x64, WinPE 10 x86 (en-US and de-DE),
    and a two-image Windows setup boot.wim (boot index 2)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    return [_capture(target / s.file, s) for s in SAMPLES]


def _capture(path: Path, sample: Sample) -> Path:
    """The sample's WIM at ``path``: one buildable WinPE-like tree per image."""
    with TemporaryDirectory(prefix="bootimage-sample-") as tmp:
        trees = [write_winpe_tree(Path(tmp) / f"image{n}", spec) for n, spec in enumerate(sample.images, 1)]
        return capture(path, sample.images, compress="LZX", boot_index=sample.boot_index, trees=trees)


def import_sample_boot_images(
    packages: BootImagePackages,
    folder: Path | str,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Instance]:
    """Build the samples in a new sub-folder of ``folder`` and import one package per sample.
    Stops early (returning what was imported) when ``cancelled()`` turns true."""
    target = Path(folder) / datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    target.mkdir(parents=True, exist_ok=True)
    steps = 2 * len(SAMPLES)
    created: list[Instance] = []
    for n, sample in enumerate(SAMPLES):
        if cancelled is not None and cancelled():
            break
        if progress is not None:
            progress(2 * n, steps, f"Building {sample.file}")
        path = _capture(target / sample.file, sample)
        if progress is not None:
            progress(2 * n + 1, steps, f"Importing {sample.package_name}")
        created.append(_import(packages, path, sample))
    if progress is not None:
        progress(steps, steps, f"Created {len(created)} sample boot image(s)")
    return created


def _import(packages: BootImagePackages, path: Path, sample: Sample) -> Instance:
    for attempt in range(1, 100):
        name = sample.package_name if attempt == 1 else f"{sample.package_name} ({attempt})"
        try:
            return packages.create_from_wim(str(path), sample.import_index, name, "1.0",
                                            f"Sample boot image built from {path.name}").value
        except DuplicateNameError:
            continue
    raise DuplicateNameError.single("Name", f"too many packages named {sample.package_name!r}; rename some first")
