"""How drivers, scan findings and failures are shown in tables: text, sort keys, tool tips."""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePath
from typing import Any

from PySide6.QtGui import QIcon

from console.core.drivers import (
    ANY_ARCHITECTURE,
    ARCHITECTURE_LABELS,
    UNSTAMPED,
    DriverCandidate,
    Duplicate,
    ScanFailure,
    describe_architectures,
)
from console.ui.icons import icon
from console.ui.models.record_table_model import Column

SIGNED_NOTE = "catalog file present, signature not verified"


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:,.1f} MB"
    return f"{max(size, 1) / 1024:,.0f} KB" if size else "0 KB"


def date_text(day: date | None) -> str:
    return day.isoformat() if day else ""


def architectures_text(architectures: tuple[str, ...]) -> str:
    """The class's terms (x86, x64, arm64, ia64), as the CLI shows them (one rule in core)."""
    return describe_architectures(architectures).replace("none", "None", 1) if architectures else "None"


def architectures_tooltip(architectures: tuple[str, ...]) -> str:
    lines = []
    for arch in architectures:
        if arch == ANY_ARCHITECTURE:
            lines.append("x86 (undecorated INF): the models section is undecorated or bare NT; 64-bit Windows "
                         "installs only decorated sections, so it installs on x86 only")
        elif arch == UNSTAMPED:
            lines.append("Not stamped (template INF): its NT$ARCH$ placeholder was never replaced by the build "
                         "(stampinf); Windows installs it nowhere")
        else:
            lines.append(f"{ARCHITECTURE_LABELS.get(arch, arch)}: models section decorated NT{arch}")
    return "\n".join(lines) or "The INF names no models section"


def signed_tooltip(driver: DriverCandidate) -> str:
    if driver.signed:
        return f"Signed: {driver.catalog_file} is beside the INF ({SIGNED_NOTE})"
    if driver.catalog_file:
        return f"Not signed: the INF names {driver.catalog_file}, but that file is not beside it"
    return "Not signed: the INF names no catalog file"


def version_key(version: str) -> tuple[Any, ...]:
    """1.10.0.0 sorts after 1.9.0.0; text that is not a version sorts after versions."""
    parts = re.findall(r"\d+|[^\d.]+", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.casefold()) for p in parts)


def _date_key(day: date | None) -> tuple[bool, str]:
    return (day is None, day.isoformat() if day else "")


def _driver_icon(driver: Any) -> QIcon | None:
    return icon("driver") if getattr(driver, "is_enabled", True) else icon("disable")


def _driver_tooltip(driver: DriverCandidate) -> str:
    lines = [driver.name, f"INF: {driver.inf_path}"]
    if getattr(driver, "is_enabled", True) is False:
        lines.append("Disabled: it cannot be added to boot images until it is enabled")
    lines += [f"Warning: {w}" for w in driver.warnings]
    return "\n".join(lines)


def _name(text: str = "Name", width: int = 260) -> Column:
    return Column(text, lambda d: d.name, tooltip=_driver_tooltip, icon=_driver_icon, width=width)


def _ci_id() -> Column:
    return Column("CI_ID", lambda d: str(d.ci_id), sort_key=lambda d: d.ci_id, align_right=True, width=80)


def _common(date_column: bool = True) -> list[Column]:
    columns = [
        Column("Class", lambda d: d.driver_class, width=100),
        Column("Provider", lambda d: d.provider, width=140),
        Column("Version", lambda d: d.version, sort_key=lambda d: version_key(d.version), width=100),
    ]
    if date_column:
        columns.append(Column("Date", lambda d: date_text(d.date), sort_key=lambda d: _date_key(d.date), width=86))
    columns += [
        Column("Architectures", lambda d: architectures_text(d.architectures),
               tooltip=lambda d: architectures_tooltip(d.architectures), width=120),
        Column("Signed", lambda d: "Yes" if d.signed else "No", sort_key=lambda d: not d.signed,
               tooltip=signed_tooltip, width=60),
    ]
    return columns


def _size() -> Column:
    return Column("Size", lambda d: size_text(d.size), sort_key=lambda d: d.size, align_right=True, width=70)


#: The Drivers node (the catalog).
CATALOG_COLUMNS = (
    _name(), _ci_id(), *_common(), _size(),
    Column("Enabled", lambda d: "Yes" if d.is_enabled else "No", sort_key=lambda d: not d.is_enabled, width=62),
    Column("Categories", lambda d: ", ".join(d.categories), width=120),
    Column("INF file", lambda d: d.inf_file, tooltip=lambda d: d.inf_path, width=160),
)

#: The Drivers wizard's list of catalog drivers (the check box is on the name).
CHOICE_COLUMNS = (_name(width=250), _ci_id(), *_common(date_column=False), _size())

def relative_path(path: str, root: str) -> str:
    """``path`` inside the scanned folder, as the administrator sees it in that folder."""
    try:
        return str(PurePath(path).relative_to(root))
    except ValueError:
        return path


def found_columns(root: str) -> tuple[Column, ...]:
    """Import Driver: new drivers a scan of ``root`` found."""
    return (
        _name(width=240), *_common(), _size(),
        Column("INF file", lambda d: relative_path(d.inf_path, root), tooltip=lambda d: d.inf_path, width=260),
    )


def duplicate_columns(root: str) -> tuple[Column, ...]:
    """Import Driver: drivers already in the catalog or found twice."""
    return (
        Column("Name", lambda d: d.candidate.name, tooltip=lambda d: d.candidate.inf_path,
               icon=lambda d: icon("driver"), width=240),
        Column("Version", lambda d: d.candidate.version, sort_key=lambda d: version_key(d.candidate.version), width=90),
        Column("INF file", lambda d: relative_path(d.candidate.inf_path, root), tooltip=lambda d: d.candidate.inf_path, width=220),
        Column("Duplicate of", Duplicate.describe, tooltip=Duplicate.describe, width=320),
    )


def failed_columns(root: str) -> tuple[Column, ...]:
    """Import Driver: INF files that cannot be used, with the reason."""
    return (
        Column("INF file", lambda f: relative_path(f.path, root), tooltip=lambda f: f.path,
               icon=lambda f: icon("warning"), width=260),
        Column("Problem", problem_text, tooltip=lambda f: f.message, width=420),
    )


def problem_text(failure: ScanFailure) -> str:
    """The message without the file name it starts with (the first column shows it)."""
    message = failure.message
    for prefix in (failure.path + ", ", failure.path + ": "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message
