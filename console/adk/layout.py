"""Reads a Windows ADK (WinPE add-on) folder: winpe.wim per architecture and WinPE_OCs cabs.

Accepts the ADK root (``.../Assessment and Deployment Kit``), its ``Windows Preinstallation
Environment`` folder, or a folder copied from it with the same layout:
``<arch>/en-us/winpe.wim`` and ``<arch>/WinPE_OCs/<OC>.cab`` (+ ``<ll-cc>/<OC>_<ll-cc>.cab``).
"""

from __future__ import annotations

import re
from pathlib import Path

from console.core.adk import ADK_ARCH_FOLDERS, AdkCab, AdkInfo
from console.core.errors import ConsoleError

LANGUAGE_FOLDER = re.compile(r"^[a-z]{2,3}-[a-z0-9]{2,4}$", re.IGNORECASE)
WINPE_FOLDER = "Windows Preinstallation Environment"


class AdkError(ConsoleError):
    title = "Windows ADK"


def _child(folder: Path, name: str) -> Path | None:
    """Case-insensitive child lookup (ADK folders come from Windows)."""
    try:
        for entry in folder.iterdir():
            if entry.name.lower() == name.lower():
                return entry
    except OSError:
        return None
    return None


def find_winpe_root(folder: Path) -> Path:
    folder = folder.expanduser()
    if not folder.is_dir():
        raise AdkError(f"{folder} is not a folder; choose the Windows ADK folder")
    candidates = [folder, _child(folder, WINPE_FOLDER)]
    for candidate in candidates:
        if candidate is not None and any(_child(candidate, arch) for arch in ADK_ARCH_FOLDERS.values()):
            return candidate
    raise AdkError(
        f"{folder} does not look like a Windows ADK: it has no '{WINPE_FOLDER}' folder with "
        "amd64, x86 or arm64 inside (install the Windows PE add-on of the ADK)"
    )


class AdkFolder:
    """Implements ``console.core.adk.WindowsAdk`` on the file system."""

    def inspect(self, folder: Path) -> AdkInfo:
        root = find_winpe_root(Path(folder))
        architectures = []
        images: dict[str, Path] = {}
        components: dict[str, dict[str, AdkCab]] = {}
        for arch, name in ADK_ARCH_FOLDERS.items():
            arch_dir = _child(root, name)
            if arch_dir is None:
                continue
            architectures.append(arch)
            en_us = _child(arch_dir, "en-us")
            wim = _child(en_us, "winpe.wim") if en_us else None
            if wim is not None:
                images[arch] = wim
            components[arch] = self._cabs(_child(arch_dir, "WinPE_OCs"))
        return AdkInfo(root, tuple(architectures), images, components)

    @staticmethod
    def _cabs(folder: Path | None) -> dict[str, AdkCab]:
        if folder is None:
            return {}
        languages: dict[str, list[str]] = {}
        for sub in folder.iterdir():
            if sub.is_dir() and LANGUAGE_FOLDER.match(sub.name):
                for cab in sub.glob("*.cab"):
                    stem = cab.stem
                    suffix = "_" + sub.name
                    if stem.lower().endswith(suffix.lower()):
                        languages.setdefault(stem[: -len(suffix)].lower(), []).append(sub.name)
        result = {}
        for cab in sorted(folder.glob("*.cab")):
            name = cab.stem
            try:
                size = cab.stat().st_size
            except OSError:
                continue
            result[name.lower()] = AdkCab(name, cab, size, tuple(sorted(languages.get(name.lower(), []))))
        return result
