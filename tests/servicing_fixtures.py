"""Fixtures for building boot images: a real registry hive, WinPE-like WIMs that carry it,
driver folders, a prestart folder and a JPEG background.

* ``minimal_hive()`` and ``system_hive()`` are the product's own (``console.wim.winpe_tree``,
  which the sample boot images use too): a hand-made empty ``regf`` file, then shaped with
  ``hivexsh -w`` as a real Windows PE SYSTEM hive has it.
* ``driver_folder()`` copies a real INF of the test data into its own folder and writes
  **stand-in** files for its catalog and every file it references: the test data has INFs
  only, so the ``.sys``/``.cat``/``.dll`` files here are placeholders with the right names,
  not driver binaries.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from console.core.servicing import BuildSpec, DriverSource, SourceFingerprint
from console.drivers.inf import read_inf
from console.drivers.inf_files import referenced_files
from console.wim.capture import ImageSpec, capture
from console.wim.winpe_tree import SITE_COMPONENTS, TINY_JPEG, empty_hive, write_winpe_tree
from console.wim.winpe_tree import system_hive as product_system_hive
from tests.driver_fixtures import LOCAL_INF

DEFAULT_COMPONENTS = SITE_COMPONENTS
#: Two x64 drivers of the local test data (MS-PL): a disk class driver whose INF references a
#: file in a sub-folder (amd64\disk.sys), and a system bus driver.
DISK_INF = LOCAL_INF / "microsoft__Windows-driver-samples__storage__class__disk__src__diskdev.inf"
BUS_INF = LOCAL_INF / "ViGEm__ViGEmBus__sys__ViGEmBus.inf"
ARM64_INF = LOCAL_INF / "SoftEtherVPN__SoftEtherVPN__src__bin__hamcore__DriverPackages__Neo6_Win10__arm64__Neo6_arm64_VPN.inf"


def minimal_hive(root_name: str = "ROOT") -> bytes:
    """A valid, empty registry hive (8 KiB) that hivex opens and extends."""
    return empty_hive(root_name)


def system_hive(path: Path, keyboard_layouts: tuple[str, ...] = ("00000409", "00000407")) -> Path:
    """The product's Windows PE SYSTEM hive with two keyboard layouts (en-US, de-DE)."""
    return product_system_hive(path, keyboard_layouts)


def winpe_tree(folder: Path, *, components: tuple[str, ...] = DEFAULT_COMPONENTS, hive: bool = True,
               background: str = "winpe.jpg", spec: ImageSpec | None = None) -> Path:
    """A WinPE-like tree (``console.wim.winpe_tree.write_winpe_tree``): System32 with
    startnet.cmd, a SYSTEM hive with two keyboard layouts, the background picture, and one
    ``Windows\\servicing\\Packages`` ``.mum`` per component (plus its en-US pack)."""
    return write_winpe_tree(folder, spec or ImageSpec(), components=components, hive=hive, background=background,
                            keyboard_layouts=("00000409", "00000407"))


def winpe_wim(path: Path, **tree_options: object) -> Path:
    """A one-image WinPE x64 WIM (LZX, boot index 1) captured from ``winpe_tree``."""
    tree = winpe_tree(path.with_name(path.stem + ".tree"), **tree_options)  # type: ignore[arg-type]
    return capture(path, [ImageSpec()], trees=[tree])


def driver_folder(root: Path, inf: Path, *, catalog: bool = True, skip: tuple[str, ...] = ()) -> Path:
    """``root/<inf stem>/`` with the INF, a stand-in catalog and stand-ins for every file the INF
    references (except ``skip``). Returns the INF's path."""
    folder = root / inf.stem[-40:]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / inf.name
    shutil.copyfile(inf, target)
    for rel in referenced_files(target, "x64"):
        if rel in skip:
            continue
        stand_in = folder / rel
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_bytes(b"MZ stand-in for " + rel.encode() + b" (not a driver binary)")
    name = read_inf(target).catalog_file
    if catalog and name:
        (folder / name).write_bytes(b"stand-in catalog (not signed)")
    return target


def driver_source(inf_path: Path, ci_id: int, architecture: str = "x64") -> DriverSource:
    """What the job engine gives the builder for one catalog driver."""
    inf = read_inf(inf_path)
    return DriverSource(
        ci_id=ci_id, name=inf.models[0].description if inf.models else inf_path.name, inf_path=str(inf_path),
        content_folder=str(inf_path.parent), architectures=inf.architectures, catalog_file=inf.catalog_file,
        referenced_files=referenced_files(inf_path, architecture), version=inf.driver_version,
        hardware_ids=tuple(m.hardware_id for m in inf.models if m.hardware_id),
    )


@dataclass
class BuildInputs:
    """Everything on disk that a full build reads."""

    source: Path
    drivers: list[DriverSource]
    prestart: Path
    background: Path
    work_root: Path


def build_inputs(tmp: Path, source: Path) -> BuildInputs:
    drivers_root = tmp / "drivers"
    drivers = [driver_source(driver_folder(drivers_root, DISK_INF), 16777217),
               driver_source(driver_folder(drivers_root, BUS_INF), 16777218)]
    prestart = tmp / "prestart"
    (prestart / "tools").mkdir(parents=True)
    (prestart / "setup.cmd").write_text("@echo prestart\r\n", encoding="ascii")
    (prestart / "tools" / "helper.exe").write_bytes(b"MZ stand-in helper")
    background = tmp / "background.jpg"
    background.write_bytes(TINY_JPEG[:-2] + b"\0" * 16 + TINY_JPEG[-2:])  # differs from the image's own
    work_root = tmp / "work"
    work_root.mkdir()
    return BuildInputs(source, drivers, prestart, background, work_root)


def full_spec(inputs: BuildInputs, **changes: object) -> BuildSpec:
    """Two drivers, scratch 128, a prestart command with a folder, a JPEG background, a
    locale, command support and a deployment command."""
    values: dict[str, object] = dict(
        package_id="PS100004", image_path=str(inputs.source), image_index=1, architecture="x64",
        work_root=str(inputs.work_root), scratch_space=128,
        pre_exec_command_line="cmd /c setup.cmd", pre_exec_source_directory=str(inputs.prestart),
        enable_lab_shell=True, background_bitmap_path=str(inputs.background), input_locale="de-DE",
        chosen_components=("WinPE-WMI",), prerequisite_components=(), drivers=tuple(inputs.drivers),
        deployment_command="X:\\sms\\bin\\x64\\TsBootShell.exe", fingerprint=SourceFingerprint(),
    )
    values.update(changes)
    return BuildSpec(**values)  # type: ignore[arg-type]
