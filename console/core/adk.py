"""What the console needs to know about a Windows ADK installation (read by ``console.adk``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

#: Configuration Manager architecture → ADK folder name.
ADK_ARCH_FOLDERS = {"x86": "x86", "x64": "amd64", "arm64": "arm64"}


@dataclass(frozen=True)
class AdkCab:
    """An optional component's language-neutral cab in the ADK, with its language cabs."""

    name: str
    path: Path
    size: int
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdkInfo:
    root: Path  # the "Windows Preinstallation Environment" folder
    architectures: tuple[str, ...]  # x86 / x64 / arm64 found
    winpe_images: dict[str, Path] = field(default_factory=dict)  # architecture → winpe.wim
    components: dict[str, dict[str, AdkCab]] = field(default_factory=dict)  # arch → lower name → cab


class WindowsAdk(Protocol):
    def inspect(self, folder: Path) -> AdkInfo: ...
