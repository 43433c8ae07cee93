"""What makes a folder buildable as Windows PE: a real SYSTEM registry hive, the background
picture and the optional-component packages, on top of ``capture.write_tree``'s layout (for
the sample boot images, and the test fixtures that build from the same trees).

* ``empty_hive()`` writes a minimal valid ``regf`` file (hivex cannot create one): a 4 KiB
  base block with its XOR checksum and one 4 KiB ``hbin`` holding the root ``nk`` cell, an
  ``sk`` cell (self-relative security descriptor: owner Administrators, group SYSTEM, a DACL
  giving Everyone full control) and one free cell.
* ``system_hive()`` then adds, with ``hivexsh -w`` (Debian package libhivex-bin), the keys a
  Windows PE SYSTEM hive has and a build touches: ``ControlSet001\\Services\\FBWF`` (the
  scratch space's key, with the values a real one has but no ``WinPECacheThreshold``) and
  ``ControlSet001\\Control\\Keyboard Layouts``.
* ``write_winpe_tree()`` adds that hive, ``winpe.jpg`` and one ``.mum`` per component (and
  language pack) under ``Windows\\servicing\\Packages`` to the tree.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path

from console.wim.capture import ImageSpec, WimToolError, write_tree

#: An 8×8 baseline JPEG (written once with Qt's JPEG writer, kept as bytes): Windows PE's background.
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
#: The components ConfigMgr puts in every boot image (as in a boot.wim exported from a site).
SITE_COMPONENTS = ("WinPE-WMI", "WinPE-Scripting", "WinPE-WDS-Tools", "WinPE-SecureStartup")
#: en-US, de-DE, fr-FR, en-GB, it-IT, es-ES, ja-JP, US-International.
KEYBOARD_LAYOUTS = ("00000409", "00000407", "0000040c", "00000809", "00000410", "0000040a", "00000411", "00020409")
_ARCH_DIRS = {"x86": "x86", "x64": "amd64", "arm64": "arm64"}


def _cell(body: bytes) -> bytes:
    size = (4 + len(body) + 7) & ~7
    return struct.pack("<i", -size) + body + b"\0" * (size - 4 - len(body))


def empty_hive(root_name: str = "ROOT", label: str = "SYSTEM") -> bytes:
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
    text = label.encode("utf-16-le")[:64]
    base[0x30:0x30 + len(text)] = text
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= word
    struct.pack_into("<I", base, 508, {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(checksum, checksum))
    return bytes(base) + hbin


def hivexsh_write(hive: Path, script: str) -> None:
    """Run a ``hivexsh -w`` script (ending in ``commit``) on ``hive``."""
    tool = shutil.which("hivexsh")
    if tool is None:
        raise WimToolError("hivexsh was not found: install hivex's tools (Debian/Ubuntu package libhivex-bin)")
    proc = subprocess.run([tool, "-w", str(hive)], input=script, text=True, capture_output=True, timeout=60,
                          check=False, env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise WimToolError(f"hivexsh cannot write {hive}: {detail[0] if detail else f'exit code {proc.returncode}'}")


def system_hive(path: Path, keyboard_layouts: Sequence[str] = KEYBOARD_LAYOUTS) -> Path:
    """A SYSTEM hive shaped like Windows PE's (see the module docstring) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(empty_hive())
    lines = ["add Select", "cd Select", "setval 2", "Current", "dword:0x00000001", "Default", "dword:0x00000001",
             "cd \\", "add ControlSet001", "cd ControlSet001", "add Services", "cd Services", "add FBWF", "cd FBWF",
             "setval 3", "Start", "dword:0x00000000", "Type", "dword:0x00000002", "DisplayName", "string:FBWF",
             "cd \\ControlSet001", "add Control", "cd Control", "add Keyboard Layouts", "cd Keyboard Layouts"]
    for klid in keyboard_layouts:
        lines += [f"add {klid}", f"cd {klid}", "setval 1", "Layout File", f"string:KBD{klid[-4:].upper()}.DLL", "cd .."]
    hivexsh_write(path, "\n".join([*lines, "commit", ""]))
    return path


def component_packages(folder: Path, components: Sequence[str], architecture: str, languages: Sequence[str],
                       version: str) -> None:
    """One ``.mum`` per component and one per component and language under
    ``Windows\\servicing\\Packages`` (what DISM leaves; the pre-flight reads their names)."""
    packages = folder / "Windows" / "servicing" / "Packages"
    packages.mkdir(parents=True, exist_ok=True)
    arch = _ARCH_DIRS.get(architecture, architecture)
    for name in components:
        for lang in ("", *languages):
            (packages / f"{name}-Package~{PACKAGE_TOKEN}~{arch}~{lang}~{version}.mum").write_text(
                f'<assembly name="{name}-Package" language="{lang or "neutral"}"/>', encoding="utf-8")


def write_winpe_tree(folder: Path, spec: ImageSpec | None = None, *, components: Sequence[str] = SITE_COMPONENTS,
                     hive: bool = True, background: str = "winpe.jpg",
                     keyboard_layouts: Sequence[str] = KEYBOARD_LAYOUTS) -> Path:
    """``write_tree``'s layout plus a SYSTEM hive, the background picture and the component
    packages: a tree the console's build accepts."""
    spec = spec or ImageSpec()
    write_tree(folder, spec)
    system32 = folder / "Windows" / "System32"
    if hive:
        system_hive(system32 / "config" / "SYSTEM", keyboard_layouts)
    if background:
        (system32 / background).write_bytes(TINY_JPEG)
    arch = spec.architecture if isinstance(spec.architecture, str) else "x64"
    component_packages(folder, components, arch, spec.languages, ".".join(map(str, spec.version)))
    return folder
