"""Parse real driver INF files: ``[Version]``, ``[Manufacturer]`` decorations, models.

``read_inf(path)`` / ``parse_inf(data, source)`` return an ``InfFile``; a file that cannot be
used raises ``InfError`` (``NotADriverInfError`` for INFs that install no device), whose
message names the file and, where it applies, the line. See ``inf_text`` for the syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from console.core.drivers import (
    ANY_ARCHITECTURE,
    INF_ARCHITECTURES,
    UNSTAMPED,
    DriverModel,
    InfError,
    NotADriverInfError,
)
from console.core.files import FileReadError, read_regular
from console.drivers.inf_text import MAX_INF_BYTES, InfSection, InfText, decode, parse_text

SIGNATURES = ("$windows nt$", "$chicago$", "$windows 95$")
_DECORATION = re.compile(r"^nt(?P<arch>[^.]*)(?P<version>\..*)?$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_VERSION = re.compile(r"^\d{1,5}(\.\d{1,5}){0,3}$")


@dataclass(frozen=True)
class Manufacturer:
    name: str
    models_section: str
    decorations: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class InfFile:
    source: str
    encoding: str
    signature: str
    driver_class: str
    class_guid: str
    provider: str
    driver_ver: str  # "date,version" as written (whitespace around the parts removed)
    driver_date: date | None
    driver_version: str
    catalog_files: tuple[tuple[str, str], ...]  # (decoration, file); "" = undecorated CatalogFile
    manufacturers: tuple[Manufacturer, ...]
    decorations: tuple[str, ...]  # every [Manufacturer] decoration, in file order, once
    architectures: tuple[str, ...]  # normalized; ANY_ARCHITECTURE, UNSTAMPED as documented in core
    models: tuple[DriverModel, ...]
    warnings: tuple[str, ...]
    version_line: int = 0

    @property
    def catalog_file(self) -> str:
        """The undecorated CatalogFile, else the first decorated one ("" when none)."""
        for decoration, name in self.catalog_files:
            if not decoration:
                return name
        return self.catalog_files[0][1] if self.catalog_files else ""

    @property
    def undecorated(self) -> bool:
        return any(not m.decorations for m in self.manufacturers)

    def require_device_driver(self) -> None:
        """Refuse INFs that install no Plug and Play device (nothing to add to a boot image)."""
        if not self.driver_class and not self.class_guid:
            raise NotADriverInfError(
                "not a device driver INF: [Version] names no Class or ClassGuid "
                "(legacy, file-system or co-installer INFs cannot be added to a boot image)",
                file=self.source, line=self.version_line or None,
            )
        if not self.manufacturers:
            raise NotADriverInfError(
                "not a device driver INF: it has no [Manufacturer] section, so it installs no device "
                "(class filter and service INFs cannot be added to a boot image)",
                file=self.source,
            )
        if not self.models:
            wanted = [f"[{n}]" for m in self.manufacturers for n in models_sections(m)]
            shown = ", ".join(wanted[:3]) + (f" and {len(wanted) - 3} more" if len(wanted) > 3 else "")
            raise NotADriverInfError(
                f"not a device driver INF: the models sections its [Manufacturer] section names ({shown}) "
                "are missing or list no devices",
                file=self.source, line=self.manufacturers[0].line,
            )


def read_inf(path: str | Path, *, max_bytes: int = MAX_INF_BYTES) -> InfFile:
    """Read and parse one INF file from disk (refusing files over ``max_bytes``, and anything
    but a regular file: a named pipe or device called ``*.inf`` is never opened for reading)."""
    source = str(path)
    return parse_inf(read_inf_bytes(source, max_bytes=max_bytes), source)


def read_inf_bytes(source: str, *, max_bytes: int = MAX_INF_BYTES) -> bytes:
    try:
        return read_regular(source, max_bytes, "an INF file", f"{max_bytes // (1024 * 1024)} MB")
    except FileReadError as exc:
        raise InfError(exc.reason, file=source) from None


def parse_inf(data: bytes, source: str = "<memory>") -> InfFile:
    if len(data) > MAX_INF_BYTES:
        raise InfError(f"the file is larger than {MAX_INF_BYTES // (1024 * 1024)} MB, the limit for an INF file", file=source)
    text, encoding = decode(data, source)
    inf = parse_text(text, source, encoding)
    warnings = list(inf.warnings)
    version = inf.section("Version")
    if version is None:
        hint = " (this is an autorun.inf, not a driver INF)" if inf.section("autorun") else ""
        raise NotADriverInfError(f"not a driver INF: it has no [Version] section{hint}", file=source)
    values, lines = _version_values(inf, version)
    signature = values.get("signature", "")
    if not signature:
        raise InfError("[Version] has no Signature (expected \"$Windows NT$\")", file=source, line=version.number)
    if signature.casefold() not in SIGNATURES:
        raise InfError(
            f"[Version] Signature {signature!r} is not one Windows accepts ($Windows NT$, $Chicago$ or $Windows 95$)",
            file=source, line=lines["signature"],
        )
    driver_ver, driver_date, driver_version = _driver_ver(inf, values, lines, warnings)
    manufacturers = _manufacturers(inf, warnings)
    decorations = tuple(dict.fromkeys(d for m in manufacturers for d in m.decorations))
    return InfFile(
        source=source,
        encoding=encoding,
        signature=signature,
        driver_class=values.get("class", ""),
        class_guid=values.get("classguid", ""),
        provider=values.get("provider", ""),
        driver_ver=driver_ver,
        driver_date=driver_date,
        driver_version=driver_version,
        catalog_files=_catalog_files(values),
        manufacturers=manufacturers,
        decorations=decorations,
        architectures=_architectures(manufacturers, warnings),
        models=_models(inf, manufacturers, warnings),
        warnings=tuple(warnings),
        version_line=version.number,
    )


def _version_values(inf: InfText, section: InfSection) -> tuple[dict[str, str], dict[str, int]]:
    """[Version] keys (lower-cased) → resolved value; the first occurrence of a key wins."""
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line in section.lines:
        if line.key is None:
            continue
        key = inf.resolve(line.key).casefold()
        if key in values:
            continue
        values[key] = line.value if key == "driverver" else inf.resolve(line.value)
        lines[key] = line.number
    return values, lines


def _driver_ver(
    inf: InfText, values: dict[str, str], lines: dict[str, int], warnings: list[str]
) -> tuple[str, date | None, str]:
    raw = values.get("driverver")
    if raw is None:
        warnings.append("[Version] has no DriverVer: the driver has no date or version")
        return "", None, ""
    parts = [p.strip() for p in inf.fields(raw)]
    while parts and not parts[-1]:
        parts.pop()
    if not parts:
        warnings.append("DriverVer is empty: the driver has no date or version")
        return "", None, ""
    where = f"line {lines['driverver']}"
    text = ",".join(parts)
    when: date | None = None
    match = _DATE.match(parts[0])
    if match:
        month, day, year = (int(g) for g in match.groups())
        try:
            when = date(year, month, day)
        except ValueError:
            warnings.append(f"{where}: DriverVer date {parts[0]!r} is not a real date (mm/dd/yyyy)")
    elif not any(c.isdigit() for c in parts[0]):
        warnings.append(f"{where}: DriverVer {parts[0]!r} is a placeholder (stampinf never ran)")
    else:
        warnings.append(f"{where}: DriverVer date {parts[0]!r} is not mm/dd/yyyy")
    version = parts[1] if len(parts) > 1 else ""
    if version and not _VERSION.match(version):
        warnings.append(f"{where}: DriverVer version {version!r} is not w.x.y.z")
    return text, when, version


def _catalog_files(values: dict[str, str]) -> tuple[tuple[str, str], ...]:
    found = []
    for key, value in values.items():
        if key == "catalogfile" and value:
            found.append(("", value))
        elif key.startswith("catalogfile.") and value:
            found.append((key.split(".", 1)[1].strip(), value))
    # keep the decoration's spelling as written in the file for display
    return tuple((d if not d else _spelled(d), v) for d, v in found)


def _spelled(decoration: str) -> str:
    match = _DECORATION.match(decoration)
    if not match:
        return decoration
    return "NT" + decoration[2:]


def _manufacturers(inf: InfText, warnings: list[str]) -> tuple[Manufacturer, ...]:
    section = inf.section("Manufacturer")
    if section is None:
        return ()
    result = []
    for line in section.lines:
        fields = [f.strip() for f in inf.fields(line.value)]
        name = inf.resolve(line.key) if line.key is not None else (fields[0] if fields else "")
        if not fields or not fields[0]:
            warnings.append(f"line {line.number}: [Manufacturer] entry {name!r} names no models section")
            continue
        decorations = tuple(f for f in fields[1:] if f)
        result.append(Manufacturer(name, fields[0], decorations, line.number))
    return tuple(result)


def _architectures(manufacturers: tuple[Manufacturer, ...], warnings: list[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for manufacturer in manufacturers:
        if not manufacturer.decorations:
            found[ANY_ARCHITECTURE] = None
        for decoration in manufacturer.decorations:
            arch = decoration_architecture(decoration)
            if arch is None:
                warnings.append(
                    f"line {manufacturer.line}: [Manufacturer] decoration {decoration!r} names no known architecture"
                )
            else:
                found[arch] = None
    return tuple(found)


def decoration_architecture(decoration: str) -> str | None:
    """``NTamd64.10.0...17763`` → ``amd64``; ``NT`` → any; ``NT$ARCH$`` → unstamped."""
    match = _DECORATION.match(decoration.strip())
    if not match:
        return None
    arch = match.group("arch").casefold()
    if not arch:
        return ANY_ARCHITECTURE
    if arch == "$arch$":
        return UNSTAMPED
    return arch if arch in INF_ARCHITECTURES else None


def models_sections(manufacturer: Manufacturer) -> list[str]:
    """The models sections a [Manufacturer] entry names: one per decoration, else the base."""
    base = manufacturer.models_section
    return [f"{base}.{d}" for d in manufacturer.decorations] or [base]


def _models(inf: InfText, manufacturers: tuple[Manufacturer, ...], warnings: list[str]) -> tuple[DriverModel, ...]:
    models: dict[tuple[str, str, str], DriverModel] = {}
    for manufacturer in manufacturers:
        names = models_sections(manufacturer)
        missing = [n for n in names if inf.section(n) is None]
        if missing:
            shown = ", ".join(f"[{n}]" for n in missing)
            warnings.append(f"line {manufacturer.line}: models section(s) {shown} missing")
        # the undecorated base section also serves old Windows versions when decorations exist
        if manufacturer.decorations:
            names = [manufacturer.models_section, *names]
        present = [inf.section(n) for n in names]
        for section in present:
            if section is None:
                continue
            for line in section.lines:
                fields = [f.strip() for f in inf.fields(line.value)]
                if line.key is None or not fields or not fields[0]:
                    warnings.append(f"line {line.number}: models line names no install section; ignored")
                    continue
                description = inf.resolve(line.key)
                hardware_id = fields[1] if len(fields) > 1 else ""
                key = (description.casefold(), fields[0].casefold(), hardware_id.casefold())
                if key not in models:
                    models[key] = DriverModel(
                        manufacturer.name, description, fields[0], hardware_id, tuple(f for f in fields[2:] if f)
                    )
    return tuple(models.values())
