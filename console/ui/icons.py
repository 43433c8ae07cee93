"""Icons from ``resources/icons/*.svg``; a wrong name fails loudly."""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtGui import QIcon

from console.paths import resources_dir


@lru_cache(maxsize=1)
def _icon_files() -> dict[str, Path]:
    return {path.stem: path for path in (resources_dir() / "icons").glob("*.svg")}


@cache
def icon(name: str) -> QIcon:
    files = _icon_files()
    if name not in files:
        raise ValueError(f"unknown icon {name!r}; known icons: {', '.join(sorted(files))}")
    return QIcon(str(files[name]))
