"""Fixtures for building boot images: a real registry hive, WinPE-like WIMs that carry it,
driver folders, a prestart folder and a JPEG background.

* ``minimal_hive()`` writes a minimal valid ``regf`` file (hivex cannot create one): a 4 KiB
  base block with its XOR checksum and one 4 KiB ``hbin`` holding the root ``nk`` cell, an
  ``sk`` cell (self-relative security descriptor: owner Administrators, group SYSTEM, a DACL
  giving Everyone full control) and one free cell. ``system_hive()`` then adds keys to it
  with ``hivexsh -w``, as a real Windows PE SYSTEM hive has them.
* ``driver_folder()`` copies a real INF of the test data into its own folder and writes
  **stand-in** files for its catalog and every file it references: the test data has INFs
  only, so the ``.sys``/``.cat``/``.dll`` files here are placeholders with the right names,
  not driver binaries.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from console.core.servicing import BuildSpec, DriverSource, SourceFingerprint
from console.drivers.inf import read_inf
from console.drivers.inf_files import referenced_files
from console.wim.capture import ImageSpec, capture, write_tree
from tests.driver_fixtures import LOCAL_INF

#: An 8×8 baseline JPEG (written once with Qt's JPEG writer, kept as bytes).
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101006400640000ffdb004300100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c"
    "3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763ffdb0043011112121815182f1a1a2f634238426363"
    "636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363636363ffc00011"
    "080008000803012200021101031101ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002"
    "010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a1617"
    "18191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a83848586878889"
    "8a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9"
    "eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404"
    "03040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718"
    "191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92"
    "939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3"
    "f4f5f6f7f8f9faffda000c03010002110311003f00c2a28a2bd73c73ffd9"
)
PACKAGE_TOKEN = "31bf3856ad364e35"
DEFAULT_COMPONENTS = ("WinPE-WMI", "WinPE-Scripting", "WinPE-WDS-Tools", "WinPE-SecureStartup")
#: Two x64 drivers of the local test data (MS-PL): a disk class driver whose INF references a
#: file in a sub-folder (amd64\disk.sys), and a system bus driver.
DISK_INF = LOCAL_INF / "microsoft__Windows-driver-samples__storage__class__disk__src__diskdev.inf"
BUS_INF = LOCAL_INF / "ViGEm__ViGEmBus__sys__ViGEmBus.inf"
ARM64_INF = LOCAL_INF / "SoftEtherVPN__SoftEtherVPN__src__bin__hamcore__DriverPackages__Neo6_Win10__arm64__Neo6_arm64_VPN.inf"


def _cell(body: bytes) -> bytes:
    size = (4 + len(body) + 7) & ~7
    return struct.pack("<i", -size) + body + b"\0" * (size - 4 - len(body))


def minimal_hive(root_name: str = "ROOT") -> bytes:
    """A valid, empty registry hive (8 KiB) that hivex opens and extends."""
    hbin_size = 4096
    owner = bytes.fromhex("01020000000000052000000020020000")  # S-1-5-32-544
    group = bytes.fromhex("010100000000000512000000")  # S-1-5-18
    everyone = bytes.fromhex("010100000000000100000000")  # S-1-1-0
    ace = struct.pack("<BBHI", 0, 0x02, 8 + len(everyone), 0x000F003F) + everyone  # allow KEY_ALL_ACCESS
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(ace), 1, 0) + ace
    sd = struct.pack("<BBHIIII", 1, 0, 0x8004, 20 + len(acl), 20 + len(acl) + len(owner), 0, 20) + acl + owner + group
    name = root_name.encode("ascii")
    nk_off = 0x20  # right after the 32-byte hbin header
    sk_off = nk_off + ((4 + 76 + len(name) + 7) & ~7)
    none = 0xFFFFFFFF
    # flags: KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME; no subkeys, values or class
    nk = b"nk" + struct.pack("<HQ" + "I" * 15 + "HH", 0x2C, 0, 0, none, 0, 0, none, none, 0, none, sk_off, none,
                             0, 0, 0, 0, 0, len(name), 0) + name
    sk = b"sk" + struct.pack("<HIIII", 0, sk_off, sk_off, 1, len(sd)) + sd
    cells = _cell(nk) + _cell(sk)
    free = hbin_size - 32 - len(cells)
    cells += struct.pack("<i", free) + b"\0" * (free - 4)  # a free cell fills the bin
    hbin = b"hbin" + struct.pack("<IIQQI", 0, hbin_size, 0, 0, 0) + cells
    base = bytearray(4096)
    # signature, sequence numbers (equal = clean), timestamp, version 1.3, primary file, direct load
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, nk_off, hbin_size, 1)
    label = "SYSTEM".encode("utf-16-le")
    base[0x30:0x30 + len(label)] = label
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= word
    struct.pack_into("<I", base, 508, {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum))
    return bytes(base) + hbin


def hivexsh(hive: Path, script: str) -> None:
    subprocess.run(["hivexsh", "-w", str(hive)], input=script, text=True, check=True, capture_output=True, timeout=60)


def system_hive(path: Path, keyboard_layouts: tuple[str, ...] = ("00000409", "00000407")) -> Path:
    """A SYSTEM hive shaped like Windows PE's: ``ControlSet001\\Services\\FBWF`` with the values
    a real one has (but no WinPECacheThreshold), and ``Control\\Keyboard Layouts``."""
    path.write_bytes(minimal_hive())
    lines = ["add ControlSet001", "cd ControlSet001", "add Services", "cd Services", "add FBWF", "cd FBWF",
             "setval 3", "Start", "dword:0x00000000", "Type", "dword:0x00000002", "DisplayName", "string:FBWF",
             "cd \\ControlSet001", "add Control", "cd Control", "add Keyboard Layouts", "cd Keyboard Layouts"]
    for klid in keyboard_layouts:
        lines += [f"add {klid}", f"cd {klid}", "setval 1", "Layout File", "string:KBD.DLL", "cd .."]
    hivexsh(path, "\n".join([*lines, "commit", ""]))
    return path


def winpe_tree(folder: Path, *, components: tuple[str, ...] = DEFAULT_COMPONENTS, arch: str = "amd64",
               hive: bool = True, background: str = "winpe.jpg", spec: ImageSpec | None = None) -> Path:
    """A WinPE-like tree: System32 with startnet.cmd, a SYSTEM hive, the background picture,
    and one ``Windows\\servicing\\Packages`` ``.mum`` per component (plus its en-US pack)."""
    write_tree(folder, spec or ImageSpec())
    system32 = folder / "Windows" / "System32"
    if hive:
        system_hive(system32 / "config" / "SYSTEM")
    if background:
        (system32 / background).write_bytes(TINY_JPEG)
    packages = folder / "Windows" / "servicing" / "Packages"
    packages.mkdir(parents=True, exist_ok=True)
    for name in components:
        for lang in ("", "en-US"):
            (packages / f"{name}-Package~{PACKAGE_TOKEN}~{arch}~{lang}~10.0.26100.1.mum").write_text(
                f'<assembly name="{name}-Package"/>', encoding="utf-8")
    return folder


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
