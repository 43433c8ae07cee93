"""Pre-flight checks of a build: everything that would make it fail or surprise, found first.

Each check reports ``pass``, ``warning`` or ``failure`` with the real cause and what to do;
``fix`` names where the console fixes it. One ``Check`` per problem (two drivers of the
wrong architecture are two failures); a check with no problem reports one ``pass``.
Checks that need the source image (components, hives) are skipped when it cannot be read:
that failure already blocks the build.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from console.core.drivers import UNSTAMPED, describe_architectures, matches_architecture
from console.core.errors import ConsoleError
from console.core.images import ImageReader, WimInfo
from console.core.servicing import (
    PACKAGES_FOLDER,
    SYSTEM_HIVE,
    BuildSpec,
    Check,
    DriverSource,
    LocaleResolver,
    Severity,
    resolve_input_locale,
)
from console.servicing.hives import Hives
from console.servicing.wimlib import Wimlib

MB = 1024 * 1024
PRESTART_WARN = 100 * MB
PRESTART_LIMIT = 1024 * MB
_PACKAGE = re.compile(r"^(?P<name>.+?)-Package~[^~]*~[^~]*~(?P<lang>[^~]*)~.*\.mum$", re.IGNORECASE)

DATA_SOURCE = "properties:Data Source"
CUSTOMIZATION = "properties:Customization"
DRIVERS = "wizard:drivers"
COMPONENTS = "wizard:optional-components"
SETTINGS = "settings"


def image_components(paths: list[str]) -> set[str]:
    """Component names (``WinPE-WMI``) from the ``.mum`` files in ``Windows\\servicing\\Packages``
    (language packs count for their component too)."""
    found = set()
    for path in paths:
        match = _PACKAGE.match(path.rsplit("/", 1)[-1])
        if match and match["name"].lower().startswith("winpe-"):
            found.add(match["name"])
    return found


def picture_format(path: str) -> str:
    """``jpeg``, ``bmp`` or "" by the file's first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(3)
    if head == b"\xff\xd8\xff":
        return "jpeg"
    if head[:2] == b"BM":
        return "bmp"
    return ""


def folder_size(folder: str, stop_after: int) -> int:
    """Bytes of the files under ``folder``, counting stops once past ``stop_after``."""
    total = 0
    stack = [folder]
    while stack and total <= stop_after:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
    return total


def folder_files(folder: str) -> dict[str, str]:
    """Casefolded relative path → relative path as on disk, for every file under ``folder``."""
    found = {}
    for current, _dirs, files in os.walk(folder):
        for name in files:
            rel = os.path.relpath(os.path.join(current, name), folder).replace(os.sep, "/")
            found[rel.casefold()] = rel
    return found


class Preflight:
    """Runs every check of issue 9's table against a ``BuildSpec``."""

    def __init__(self, reader: ImageReader, wimlib: Wimlib | None = None, hives: Hives | None = None,
                 resolve_locale: LocaleResolver = resolve_input_locale) -> None:
        self.reader = reader
        self.wimlib = wimlib or Wimlib()
        self.hives = hives or Hives()
        self.resolve_locale = resolve_locale

    def run(self, spec: BuildSpec) -> list[Check]:
        checks: list[Check] = []
        info = self._source(spec, checks)
        groups: list[Callable[[BuildSpec], Iterator[Check]]] = [
            self._drivers, self._prestart, self._background, self._locale, self._work_root,
        ]
        for group in groups:
            checks += list(group(spec))
        if info is not None:
            checks += self._image(spec, info)
        return checks

    # -- the source WIM ------------------------------------------------------------------------

    def _source(self, spec: BuildSpec, checks: list[Check]) -> WimInfo | None:
        path = spec.image_path
        try:
            if not os.access(path, os.R_OK) and os.path.exists(path):
                raise ConsoleError(f"{path}: permission denied: the build (user {_user()}) may not read the file")
            info = self.reader.read(path)
        except ConsoleError as exc:
            checks.append(_check("source.file", "failure", f"The source WIM cannot be used: {exc.message}. "
                                 "Restore the file or point the package at another one.", DATA_SOURCE))
            return None
        checks.append(_check("source.file", "pass", f"{path} is present and readable"))
        if info.is_split:
            checks.append(_check("source.split", "failure", f"{path} is part {info.part_number} of a {info.total_parts}-part "
                                 "split WIM; join it first (wimlib-imagex join) and import the joined file", DATA_SOURCE))
            return None
        image = info.image(spec.image_index)
        if image is None:
            checks.append(_check("source.index", "failure", f"{path} has no image {spec.image_index} (it holds "
                                 f"{info.image_count}); choose an existing image index", DATA_SOURCE))
            return None
        checks.append(_check("source.index", "pass", f"image {spec.image_index} exists ({image.name or 'unnamed'})"))
        if not image.is_windows_pe:
            checks.append(_check("source.winpe", "failure", "; ".join(image.problems()) + "; a boot image must be "
                                 "Windows PE (boot.wim or the ADK's winpe.wim)", DATA_SOURCE))
            return None
        checks.append(_check("source.winpe", "pass", f"image {spec.image_index} is Windows PE {image.os_version}"))
        if image.architecture != spec.architecture:
            checks.append(_check("source.architecture", "failure", f"image {spec.image_index} is {image.architecture_text}, "
                                 f"but the package says {spec.architecture}; re-import the image", DATA_SOURCE))
        checks.append(self._changed(spec, info))
        return info

    def _changed(self, spec: BuildSpec, info: WimInfo) -> Check:
        fp = spec.fingerprint
        changes = []
        st = os.stat(spec.image_path)
        if fp.size is not None and fp.size != st.st_size:
            changes.append(f"its size is {st.st_size} bytes, {fp.size} at import")
        if fp.mtime is not None and abs(fp.mtime - st.st_mtime) > 1:
            changes.append("it was modified after the import")
        if fp.guid and fp.guid.lower() != info.guid.lower():
            changes.append(f"its WIM GUID is {info.guid}, {fp.guid} at import (it is another file)")
        if changes:
            return _check("source.changed", "warning", f"The source WIM changed since it was imported: {'; '.join(changes)}. "
                          "The build uses the file as it is now; reload the image properties (Reload on the Images tab, or "
                          f"`bootimage reload {spec.package_id}`) to refresh the image facts and record the file as it "
                          "is now.", DATA_SOURCE)
        return _check("source.changed", "pass", "the source WIM is unchanged since the import")

    # -- drivers -------------------------------------------------------------------------------

    def _drivers(self, spec: BuildSpec) -> Iterator[Check]:
        problems = 0
        seen: dict[str, int] = {}
        hardware: dict[str, int] = {}
        for d in spec.drivers:
            label = f"Driver {d.ci_id} ({d.name})"
            if UNSTAMPED in d.architectures or not matches_architecture(d.architectures, spec.architecture):
                problems += 1
                yield _check("drivers.architecture", "failure", f"{label} is for {describe_architectures(d.architectures)}, "
                             f"not {spec.architecture}: it would not load; remove it from the boot image", DRIVERS)
            signed = bool(d.catalog_file) and _exists_nocase(Path(d.inf_path).parent, d.catalog_file)
            if spec.architecture == "x64" and not signed:
                problems += 1
                why = "its INF names no catalog file" if not d.catalog_file else f"its catalog {d.catalog_file} is missing"
                yield _check("drivers.catalog", "warning", f"{label} is unsigned ({why}); x64 Windows PE may refuse "
                             "to load it. Import the driver with its .cat file", DRIVERS)
            key = d.inf_file.casefold()
            other = seen.get(key) or next((hardware[h.casefold()] for h in d.hardware_ids if h.casefold() in hardware), None)
            if other is not None:
                problems += 1
                yield _check("drivers.duplicate", "warning", f"{label} and driver {other} are two versions of one driver "
                             f"(same INF name or hardware IDs); the first loaded wins. Keep one", DRIVERS)
            seen.setdefault(key, d.ci_id)
            for h in d.hardware_ids:
                hardware.setdefault(h.casefold(), d.ci_id)
            yield from self._driver_files(d, label)
        if not problems:
            yield _check("drivers", "pass", f"{len(spec.drivers)} driver(s) match {spec.architecture}")

    def _driver_files(self, d: DriverSource, label: str) -> Iterator[Check]:
        folder = str(Path(d.inf_path).parent)
        if not os.path.isfile(d.inf_path):
            yield _check("drivers.files", "failure", f"{label}: its INF {d.inf_path} is missing; restore the driver "
                         "folder or remove the driver", DRIVERS)
            return
        present = folder_files(folder)
        missing = [f for f in d.referenced_files if f.casefold() not in present]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            yield _check("drivers.files", "failure", f"{label}: the INF references {shown}, missing from {folder}; "
                         "copy the complete driver package there", DRIVERS)

    # -- customization ---------------------------------------------------------------------------

    def _prestart(self, spec: BuildSpec) -> Iterator[Check]:
        command = spec.pre_exec_command_line.strip()
        folder = spec.pre_exec_source_directory.strip()
        if command and not command.lower().startswith("cmd /c"):
            yield _check("prestart.command", "failure", f"The prestart command {command!r} does not start with "
                         "'cmd /c': Windows PE would wait for it forever. Start it with cmd /c", CUSTOMIZATION)
        elif command:
            yield _check("prestart.command", "pass", "the prestart command starts with cmd /c")
        if not folder:
            return
        if not os.path.isdir(folder):
            yield _check("prestart.folder", "failure", f"The prestart command's folder {folder} does not exist or is "
                         "not a folder; choose the folder holding its files", CUSTOMIZATION)
            return
        size = folder_size(folder, PRESTART_LIMIT)
        if size > PRESTART_LIMIT:
            yield _check("prestart.size", "failure", f"The prestart folder {folder} holds over 1 GB; every client "
                         "downloads it with the boot image. Keep only what the command needs", CUSTOMIZATION)
        elif size > PRESTART_WARN:
            yield _check("prestart.size", "warning", f"The prestart folder {folder} holds {size // MB} MB (over 100 MB): "
                         "the boot image grows by that much", CUSTOMIZATION)
        else:
            yield _check("prestart.folder", "pass", f"the prestart folder holds {size // 1024} KB")

    def _background(self, spec: BuildSpec) -> Iterator[Check]:
        path = spec.background_bitmap_path.strip()
        if not path:
            return
        try:
            kind = picture_format(path)
        except OSError as exc:
            yield _check("background.format", "failure", f"The background {path} cannot be read ({exc.strerror or exc}); "
                         "choose a BMP or JPEG file", CUSTOMIZATION)
            return
        if not kind:
            yield _check("background.format", "failure", f"The background {path} is not a BMP or JPEG picture (by its "
                         "first bytes); Windows PE shows only those. Convert it", CUSTOMIZATION)
        else:
            yield _check("background.format", "pass", f"the background is a {kind.upper()} picture")

    def _locale(self, spec: BuildSpec) -> Iterator[Check]:
        if not spec.input_locale.strip():
            return
        if self.resolve_locale(spec.input_locale) is None:
            yield _check("locale", "failure", f"The input locale {spec.input_locale!r} is not known; use a language "
                         "tag such as en-US or the LLLL:KKKKKKKK form (0409:00000409)", CUSTOMIZATION)
        else:
            yield _check("locale", "pass", f"input locale {spec.input_locale}")

    def _work_root(self, spec: BuildSpec) -> Iterator[Check]:
        root = spec.work_root
        if not os.path.isdir(root):
            yield _check("workroot.writable", "failure", f"The content library's work folder {root} does not exist; "
                         "check the content library location", SETTINGS)
            return
        try:
            fd, probe = tempfile.mkstemp(prefix=".bootimage-write-test-", dir=root)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            yield _check("workroot.writable", "failure", f"The build (user {_user()}) cannot write to the work folder "
                         f"{root} ({exc.strerror or exc}); give it write access", SETTINGS)
            return
        try:
            needed = 2 * os.path.getsize(spec.image_path)
        except OSError:
            needed = 0
        free = shutil.disk_usage(root).free
        if free < needed:
            yield _check("workroot.space", "failure", f"The work folder {root} has {free // MB} MB free; the build needs "
                         f"{needed // MB} MB (twice the WIM). Free some space", SETTINGS)
        else:
            yield _check("workroot.space", "pass", f"{free // MB} MB free in {root}")

    # -- inside the image ------------------------------------------------------------------------

    def _image(self, spec: BuildSpec, info: WimInfo) -> list[Check]:
        checks = []
        try:
            packages = self.wimlib.dir(spec.image_path, spec.image_index, PACKAGES_FOLDER)
        except ConsoleError as exc:
            return [_check("source.file", "failure", f"wimlib cannot list the image: {exc.message}", DATA_SOURCE)]
        present = {c.lower() for c in image_components(packages)}
        for names, what in ((spec.chosen_components, "chosen"), (spec.prerequisite_components, "a prerequisite")):
            for name in names:
                if name.lower() not in present:
                    checks.append(_check("components.missing", "failure", f"The optional component {name} ({what}) is not "
                                         "in the source image. Adding a component needs DISM on Windows or a source "
                                         "image that has it", COMPONENTS))
        if not any(c.id == "components.missing" for c in checks):
            checks.append(_check("components.missing", "pass", "every chosen optional component is in the image"))
        site_missing = [n for n in spec.site_required_components if n.lower() not in present]
        if site_missing:
            checks.append(_check("components.site", "warning", f"The image lacks {', '.join(site_missing)}: it boots, "
                                 "but ConfigMgr-style deployments need them", COMPONENTS))
        checks += self._hives(spec)
        return checks

    def _hives(self, spec: BuildSpec) -> list[Check]:
        with tempfile.TemporaryDirectory(prefix="bootimage-preflight-") as tmp:
            try:
                self.wimlib.extract(spec.image_path, spec.image_index, [SYSTEM_HIVE], tmp)
            except ConsoleError as exc:
                return [_check("hives.open", "failure", f"The image's SYSTEM hive cannot be read ({exc.message}); "
                               "the image is damaged or not Windows PE", DATA_SOURCE)]
            hive = os.path.join(tmp, "SYSTEM")
            try:
                self.hives.check_opens(hive)
            except ConsoleError as exc:
                return [_check("hives.open", "failure", f"The image's SYSTEM hive cannot be opened: {exc.message}",
                               DATA_SOURCE)]
            checks = [_check("hives.open", "pass", "the image's SYSTEM hive opens")]
            layout = self.resolve_locale(spec.input_locale) if spec.input_locale.strip() else None
            layouts = r"\ControlSet001\Control\Keyboard Layouts"
            if layout and self.hives.key_exists(hive, layouts):
                klid = layout.split(":")[1]
                if klid.lower() not in {k.lower() for k in self.hives.subkeys(hive, layouts)}:
                    checks.append(_check("locale.layout", "warning", f"The keyboard layout {klid} of {spec.input_locale} "
                                         "is not in the image; wpeutil cannot switch to it", CUSTOMIZATION))
            return checks


def _check(check_id: str, severity: Severity, message: str, fix: str = "") -> Check:
    return Check(check_id, severity, message, fix if severity != "pass" else "")


def _exists_nocase(folder: Path, name: str) -> bool:
    try:
        return any(entry.name.casefold() == name.casefold() for entry in folder.iterdir())
    except OSError:
        return False


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return "this user"

