"""The files a driver INF references: what must travel with it into a boot image.

``referenced_files(inf, architecture)`` returns paths relative to the INF's folder, from

* ``[SourceDisksFiles]`` and ``[SourceDisksFiles.<arch>]`` (``file = diskid[,subdir]``, placed
  under the ``[SourceDisksNames]`` path of that disk), and
* every ``CopyFiles`` directive (``CopyFiles = section[,section...]`` or ``@file``): the
  section's lines are ``destination[,source]``; the source name is looked up in
  SourceDisksFiles for its sub-folder.

Decorated sections of other architectures are ignored. An approximation of what Windows
copies (it follows only the install sections of the models it installs), erring on the side
of naming more files: a multi-architecture INF shares its CopyFiles sections anyway.
"""

from __future__ import annotations

from pathlib import Path

from console.core.drivers import Driver, inf_architecture
from console.core.servicing import DriverSource
from console.drivers.inf_text import InfText, decode, parse_text


def _decorated(inf: InfText, base: str, arch: str) -> list[str]:
    names = [base, f"{base}.{arch}"] if arch else [base]
    if arch == "amd64":
        names.append(f"{base}.x64")  # not valid for Windows, but seen in the wild
    return names


def _join(*parts: str) -> str:
    cleaned = [p.replace("\\", "/").strip("/") for p in parts if p and p.strip("\\/. ")]
    return "/".join(cleaned)


def read_inf_text(path: str | Path) -> InfText:
    data = Path(path).read_bytes()
    text, encoding = decode(data, str(path))
    return parse_text(text, str(path), encoding)


def referenced_files(inf_path: str | Path, architecture: str = "") -> tuple[str, ...]:
    """Relative paths (``/``-separated, as written in the INF) of the files it references."""
    inf = read_inf_text(inf_path)
    arch = inf_architecture(architecture) or architecture.strip().lower() if architecture else ""
    disks: dict[str, str] = {}
    for name in _decorated(inf, "SourceDisksNames", arch):
        section = inf.section(name)
        for line in section.lines if section else []:
            fields = inf.fields(line.value)
            if line.key is not None:
                disks[inf.resolve(line.key).strip()] = fields[3].strip() if len(fields) > 3 else ""
    sources: dict[str, str] = {}  # casefolded file name → relative path
    for name in _decorated(inf, "SourceDisksFiles", arch):
        section = inf.section(name)
        for line in section.lines if section else []:
            file = inf.resolve(line.key if line.key is not None else line.value).strip()
            if not file:
                continue
            fields = inf.fields(line.value) if line.key is not None else []
            disk = fields[0].strip() if fields else ""
            subdir = fields[1].strip() if len(fields) > 1 else ""
            sources[file.casefold()] = _join(disks.get(disk, ""), subdir, file)
    found: dict[str, str] = dict(sources)
    for section in inf.sections.values():
        for line in section.lines:
            if line.key is None or inf.resolve(line.key).strip().casefold() != "copyfiles":
                continue
            for target in (f.strip() for f in inf.fields(line.value)):
                if target.startswith("@"):
                    files = [target[1:]]
                else:
                    copy = inf.section(target)
                    files = []
                    for entry in copy.lines if copy else []:  # "destination[,source[,,flags]]"
                        fields = [f.strip() for f in inf.fields(entry.value)]
                        destination = inf.resolve(entry.key).strip() if entry.key is not None else fields[0]
                        source = fields[1] if entry.key is None and len(fields) > 1 else ""
                        if source or destination:
                            files.append(source or destination)
                for file in files:
                    if file and file.casefold() not in found:
                        found[file.casefold()] = sources.get(file.casefold(), _join(file))
    return tuple(found.values())


def driver_source(driver: Driver, architecture: str) -> DriverSource:
    """What a build of an ``architecture`` boot image needs to know about a catalog driver.

    The INF is read again for the files it references (the catalog does not store them).
    Raises ``OSError`` when the INF is gone and ``InfError`` when it no longer parses: the
    caller reports either as the build's failure, naming the driver."""
    return DriverSource(
        ci_id=driver.ci_id, name=driver.name, inf_path=driver.inf_path, content_folder=driver.folder,
        architectures=driver.architectures, catalog_file=driver.catalog_file,
        referenced_files=referenced_files(driver.inf_path, architecture), version=driver.version,
        hardware_ids=driver.hardware_ids,
    )
