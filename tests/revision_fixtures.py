"""A built image as a build job hands it to ``console.revisions.record_build``: a real WIM
captured with wimlib-imagex from a WinPE-like tree, with its listing, facts and the scratch
space registry value (the same recipe as tests/integration/test_revisions.py)."""

from __future__ import annotations

from pathlib import Path

from console.core.content import RegistryValue
from console.core.image_facts import ImageFacts
from console.core.revision_types import BuiltImage
from console.servicing.wimlib import Wimlib
from console.wim.capture import capture, write_tree
from tests.wim_fixtures import WINPE_X64, require_tool

FBWF = "HKLM\\SYSTEM\\ControlSet001\\Services\\FBWF"


def built_image(folder: Path, name: str, *, scratch: int = 64, os_version: str = "10.0.26100.1",
                add: dict[str, bytes] | None = None, remove: tuple[str, ...] = (),
                change: dict[str, bytes] | None = None) -> BuiltImage:
    require_tool("wimlib-imagex")
    tree = write_tree(folder / f"{name}-tree", WINPE_X64)
    for rel, data in {**(add or {}), **(change or {})}.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_bytes(data)
    for rel in remove:
        (tree / rel).unlink()
    wim = capture(folder / "Work" / name / "boot.wim", [WINPE_X64], trees=[tree])
    facts = ImageFacts("x64", os_version, "en-US", f"<WIM><IMAGE INDEX=\"1\"><NAME>{name}</NAME></IMAGE></WIM>",
                       wim.stat().st_size // 1024, "Microsoft Windows PE (x64)")
    return BuiltImage(files={"boot.wim": wim}, facts=facts, image_listing=Wimlib().listing(str(wim)),
                      registry=(RegistryValue(FBWF, "WinPECacheThreshold", scratch, "REG_DWORD"),),
                      summary=f"scratch {scratch} MB", duration_seconds=2.5)
