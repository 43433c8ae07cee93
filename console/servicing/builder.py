"""``WimlibImageBuilder``: ``console.core.servicing.ImageBuilder`` with wimlib-imagex and hivex.

Steps and what each leaves in the work folder (``workdir``):

* ``export``: image ``ImageIndex`` of ``ImagePath`` → ``export.wim`` (through
  ``export.wim.tmp``; ``--boot``, no recompression). The source is only read.
* ``customize``: every customization from the spec, in one ``wimlib-imagex update`` of the
  exported WIM in place (``customize.wim.tmp``, undo record ``customize.undo``) →
  ``customized.wim``. Drivers → ``\\Drivers\\<CI_ID>\\`` (INF, catalog, referenced files);
  ScratchSpace → SYSTEM ``ControlSet001\\Services\\FBWF`` ``WinPECacheThreshold``; prestart
  folder → ``\\Prestart\\``; background → ``Windows\\System32\\winpe.jpg`` (``winpe.bmp`` on
  images that have only that); the boot script → ``startnet.cmd`` + ``winpeshl.ini``.
* ``verify``: ``wimlib-imagex verify``, the image read back with the console's own WIM reader,
  each customization checked inside the built image (files listed, script, background and
  hive value extracted and compared), the file's SHA-256, the listing of every file in the
  image (``dir --detailed``: path, size, SHA-1) and the registry values the build manages as
  the built hive has them → ``verify.json``, then ``customized.wim`` is renamed
  ``boot.<PackageID>.wim``. The revision keeps the listing and the values (revision diffs,
  boot media pre-flight).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from console.core.adk import WindowsAdk
from console.core.content import RegistryValue
from console.core.errors import ConsoleError
from console.core.images import ImageReader
from console.core.servicing import (
    BACKGROUND_BMP,
    BACKGROUND_JPG,
    DRIVERS_FOLDER,
    PRESTART_FOLDER,
    SCRATCH_KEY,
    SCRATCH_VALUE,
    STARTNET,
    SYSTEM_HIVE,
    SYSTEM_ROOT,
    WINPESHL,
    BuildSpec,
    BuiltImage,
    CancelCheck,
    Cancelled,
    Check,
    ImageBuilder,
    LocaleResolver,
    Progress,
    ServicingError,
    describe_spec,
    resolve_input_locale,
)
from console.servicing.bootscript import WINPESHL_INI, boot_script
from console.servicing.checkpoint import save_undo, step_lock, undo, write_atomic
from console.servicing.hives import REG_DWORD, Hives
from console.servicing.preflight import Preflight, folder_files
from console.servicing.wimlib import Wimlib, remove

EXPORTED = "export.wim"
CUSTOMIZING = "customize.wim.tmp"
UNDO = "customize.undo"
STAGE = "customize.stage"
CUSTOMIZED = "customized.wim"
VERIFY_TMP = "verify.tmp"
REPORT = "verify.json"
_HASH_CHUNK = 8 * 1024 * 1024


def _never() -> bool:
    return False


def _quiet(done: int, total: int, text: str) -> None:
    return None


def _quote(path: str) -> str:
    """One argument of a wimlib update command."""
    if "\n" in path or ('"' in path and "'" in path):
        raise ServicingError(f"the path {path!r} cannot be passed to wimlib-imagex update (new line or both quote kinds)")
    return f"'{path}'" if '"' in path else f'"{path}"'


class WimlibImageBuilder:
    """Builds a package's boot image; see the module docstring for the steps."""

    STEPS: tuple[str, ...] = ("export", "customize", "verify")

    def __init__(self, reader: ImageReader, wimlib: Wimlib | None = None, hives: Hives | None = None,
                 resolve_locale: LocaleResolver = resolve_input_locale) -> None:
        self.reader = reader
        self.wimlib = wimlib or Wimlib()
        self.hives = hives or Hives()
        self.resolve_locale = resolve_locale

    def preflight(self, spec: BuildSpec) -> list[Check]:
        return Preflight(self.reader, self.wimlib, self.hives, self.resolve_locale).run(spec)

    def run_step(self, step: str, spec: BuildSpec, workdir: str, progress: Progress = _quiet,
                 cancelled: CancelCheck = _never) -> None:
        steps = {"export": self._export, "customize": self._customize, "verify": self._verify}
        if step not in steps:
            raise ServicingError(f"unknown build step {step!r} (steps: {', '.join(self.STEPS)})")
        folder = Path(workdir)
        with step_lock(folder):
            steps[step](spec, folder, progress, cancelled)

    def result(self, spec: BuildSpec, workdir: str) -> BuiltImage:
        folder = Path(workdir)
        final = folder / spec.output_name
        report = folder / REPORT
        if not (final.is_file() and report.is_file()):
            raise ServicingError(f"the build in {workdir} has not completed its verify step")
        data = json.loads(report.read_text(encoding="utf-8"))
        data["path"] = str(final)
        data["languages"] = tuple(data["languages"])
        data["changes"] = tuple(data["changes"])
        listing = data.get("image_listing")
        data["image_listing"] = None if listing is None else {p: (int(v[0]), str(v[1])) for p, v in listing.items()}
        data["registry"] = tuple(RegistryValue.from_json(r) for r in data.get("registry") or ())
        return BuiltImage(**data)

    # -- export ------------------------------------------------------------------------------------

    def _export(self, spec: BuildSpec, folder: Path, progress: Progress, cancelled: CancelCheck) -> None:
        later = [folder / EXPORTED, folder / CUSTOMIZED, folder / spec.output_name]
        if any(p.exists() for p in later) or ((folder / CUSTOMIZING).exists() and (folder / UNDO).exists()):
            return
        tmp = folder / (EXPORTED + ".tmp")
        remove(tmp)
        try:
            self.wimlib.export(spec.image_path, spec.image_index, str(tmp), progress=progress, cancelled=cancelled)
        except BaseException:
            remove(tmp)
            raise
        os.replace(tmp, folder / EXPORTED)

    # -- customize ---------------------------------------------------------------------------------

    def _customize(self, spec: BuildSpec, folder: Path, progress: Progress, cancelled: CancelCheck) -> None:
        if (folder / CUSTOMIZED).exists() or (folder / spec.output_name).exists():
            return
        exported, working, record = folder / EXPORTED, folder / CUSTOMIZING, folder / UNDO
        if not exported.exists():
            if working.exists() and record.exists():
                undo(working, record)  # an interrupted update: back to the export's output
                os.replace(working, exported)
            else:
                raise ServicingError(f"the export step's output {exported} is missing; run the export step first")
        remove(working)
        stage = folder / STAGE
        remove(stage)
        stage.mkdir()
        try:
            commands = self._commands(spec, exported, stage, cancelled)
            if cancelled():
                raise Cancelled("customize")
            save_undo(exported, record)
            os.replace(exported, working)
            try:
                self.wimlib.update(str(working), 1, commands, progress=progress, cancelled=cancelled)
            except BaseException:
                undo(working, record)
                os.replace(working, exported)
                raise
            os.replace(working, folder / CUSTOMIZED)
            record.unlink()
        finally:
            remove(stage)

    def _commands(self, spec: BuildSpec, wim: Path, stage: Path, cancelled: CancelCheck) -> list[str]:
        commands: list[str] = []

        def add(source: str | Path, target: str) -> None:
            commands.append(f"add {_quote(str(source))} {_quote(target)}")

        for driver in spec.drivers:
            if cancelled():
                raise Cancelled("customize")
            for source, rel in self._driver_files(driver.inf_path, driver.catalog_file, driver.referenced_files):
                add(source, f"{DRIVERS_FOLDER}/{driver.ci_id}/{rel}")
        if spec.scratch_space:
            self.wimlib.extract(str(wim), 1, [SYSTEM_HIVE], str(stage), cancelled=cancelled)
            hive = stage / "SYSTEM"
            self.hives.set_dword(str(hive), SCRATCH_KEY, SCRATCH_VALUE, spec.scratch_space)
            add(hive, SYSTEM_HIVE)
        if spec.pre_exec_source_directory:
            add(spec.pre_exec_source_directory, PRESTART_FOLDER)
        if spec.background_bitmap_path:
            add(spec.background_bitmap_path, self._background_target(wim))
        layout = self.resolve_locale(spec.input_locale) if spec.input_locale.strip() else None
        (stage / "startnet.cmd").write_bytes(boot_script(spec, layout).encode("utf-8"))
        (stage / "winpeshl.ini").write_bytes(WINPESHL_INI.encode("ascii"))
        add(stage / "startnet.cmd", STARTNET)
        add(stage / "winpeshl.ini", WINPESHL)
        return commands

    @staticmethod
    def _driver_files(inf_path: str, catalog: str, referenced: tuple[str, ...]) -> list[tuple[Path, str]]:
        """(file on disk, path relative to the driver's folder in the image) for INF, catalog
        (when present: a missing one is a pre-flight warning, not a failure) and every
        referenced file; names as they are on disk."""
        folder = Path(inf_path).parent
        present = folder_files(str(folder))
        has_catalog = bool(catalog) and catalog.replace("\\", "/").casefold() in present
        wanted = [Path(inf_path).name, *([catalog] if has_catalog else []), *referenced]
        files = []
        for name in dict.fromkeys(wanted):
            rel = present.get(name.replace("\\", "/").casefold())
            if rel is None:
                raise ServicingError(f"{folder}: {name} is missing (the driver's INF needs it); copy the complete "
                                     "driver package there")
            files.append((folder / rel, rel))
        return files

    def _background_target(self, wim: Path) -> str:
        names = {p.casefold() for p in self.wimlib.dir(str(wim), 1, "/Windows/System32")}
        if BACKGROUND_BMP.casefold() in names and BACKGROUND_JPG.casefold() not in names:
            return BACKGROUND_BMP
        return BACKGROUND_JPG

    # -- verify ------------------------------------------------------------------------------------

    def _verify(self, spec: BuildSpec, folder: Path, progress: Progress, cancelled: CancelCheck) -> None:
        final, report, built = folder / spec.output_name, folder / REPORT, folder / CUSTOMIZED
        if final.exists() and report.exists():
            return
        if not report.exists() or not built.exists():
            if not built.exists():
                raise ServicingError(f"the customize step's output {built} is missing; run the customize step first")
            scratch = folder / VERIFY_TMP
            remove(scratch)
            scratch.mkdir()
            try:
                self.wimlib.verify(str(built), progress=progress, cancelled=cancelled)
                facts = self._check_built(spec, built, scratch, cancelled)
                facts["sha256"] = _sha256(built, progress, cancelled)
                write_atomic(report, json.dumps(facts, indent=1).encode("utf-8"))
            finally:
                remove(scratch)
        os.replace(built, final)
        for leftover in (EXPORTED, CUSTOMIZING, UNDO, UNDO + ".tmp", STAGE):
            remove(folder / leftover)

    def _check_built(self, spec: BuildSpec, wim: Path, scratch: Path, cancelled: CancelCheck) -> dict[str, object]:
        try:
            info = self.reader.read(wim)
        except ConsoleError as exc:
            raise ServicingError(f"the built image cannot be read back: {exc.message}") from None
        image = info.image(1)
        if image is None or info.image_count != 1 or info.boot_index != 1 or not image.is_windows_pe:
            raise ServicingError(f"the built image {wim} is not one bootable Windows PE image "
                                 f"({info.image_count} image(s), boot index {info.boot_index})")
        listing = self.wimlib.listing(str(wim), 1)
        listed = {p.casefold() for p in listing}
        expected = [STARTNET, WINPESHL]
        for driver in spec.drivers:
            expected += [f"{DRIVERS_FOLDER}/{driver.ci_id}/{rel}" for _src, rel in
                         self._driver_files(driver.inf_path, driver.catalog_file, driver.referenced_files)]
        if spec.pre_exec_source_directory:
            expected += [f"{PRESTART_FOLDER}/{rel}" for rel in folder_files(spec.pre_exec_source_directory).values()]
        missing = [p for p in expected if p.casefold() not in listed]
        if missing:
            raise ServicingError(f"the built image lacks {', '.join(missing[:5])}: the update did not land; build again")
        extract = [STARTNET, WINPESHL, SYSTEM_HIVE]
        background = ""
        if spec.background_bitmap_path:
            background = BACKGROUND_BMP if BACKGROUND_BMP.casefold() in listed and BACKGROUND_JPG.casefold() not in listed \
                else BACKGROUND_JPG
            extract.append(background)
        self.wimlib.extract(str(wim), 1, extract, str(scratch), cancelled=cancelled)
        layout = self.resolve_locale(spec.input_locale) if spec.input_locale.strip() else None
        if (scratch / "startnet.cmd").read_bytes() != boot_script(spec, layout).encode("utf-8"):
            raise ServicingError("the boot script in the built image differs from the one written; build again")
        registry = self._registry(scratch / "SYSTEM")
        if spec.scratch_space:
            value = next((r.value for r in registry if r.name == SCRATCH_VALUE), None)
            if value != spec.scratch_space:
                raise ServicingError(f"the built image's {SCRATCH_KEY}\\{SCRATCH_VALUE} is "
                                     f"{'missing' if value is None else value}, not {spec.scratch_space}; build again")
        if background:
            name = background.rsplit("/", 1)[-1]
            if (scratch / name).read_bytes() != Path(spec.background_bitmap_path).read_bytes():
                raise ServicingError("the background in the built image differs from the chosen picture; build again")
        summary, changes = describe_spec(spec)
        size = wim.stat().st_size
        return {
            "size_kb": -(-size // 1024), "image_xml": info.xml, "architecture": image.architecture,
            "os_version": image.os_version, "languages": list(image.languages), "file_count": image.file_count,
            "summary": summary, "changes": list(changes),
            "image_listing": {p: [size, digest] for p, (size, digest) in sorted(listing.items())},
            "registry": [r.to_json() for r in registry],
        }

    def _registry(self, hive: Path) -> list[RegistryValue]:
        """The values a build manages (the scratch space's ``WinPECacheThreshold``) as the built
        hive has them; one the image lacks is left out."""
        values = self.hives.values(str(hive), SCRATCH_KEY) or []
        found = next((v for v in values if v.name.casefold() == SCRATCH_VALUE.casefold()), None)
        if found is None or found.type != REG_DWORD or len(found.data) < 4:
            return []
        return [RegistryValue(SYSTEM_ROOT + SCRATCH_KEY, SCRATCH_VALUE, int.from_bytes(found.data[:4], "little"),
                              "REG_DWORD")]


def _sha256(path: Path, progress: Progress, cancelled: CancelCheck) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            if cancelled():
                raise Cancelled("verify")
            digest.update(chunk)
            done += len(chunk)
            progress(done, total, "Computing the image's SHA-256")
    return digest.hexdigest()


def export_default_boot_image(adk: WindowsAdk, adk_folder: str, architecture: str, index: int, path: str, *,
                              wimlib: Wimlib | None = None, progress: Progress = _quiet,
                              cancelled: CancelCheck = _never) -> None:
    """ExportDefaultBootImage: image ``index`` of the ADK's ``winpe.wim`` for ``architecture``
    into a new WIM at ``path`` (written as ``path.tmp``, renamed when complete)."""
    try:
        info = adk.inspect(Path(adk_folder))
    except ConsoleError as exc:
        raise ServicingError(f"the Windows ADK cannot be used: {exc.message}") from None
    source = info.winpe_images.get(architecture)
    if source is None:
        found = ", ".join(sorted(info.winpe_images)) or "none"
        raise ServicingError(f"the Windows ADK at {info.root} has no winpe.wim for {architecture} (it has: {found}); "
                             "install the Windows PE add-on for that architecture")
    tmp = Path(path + ".tmp")
    remove(tmp)
    try:
        (wimlib or Wimlib()).export(str(source), index, str(tmp), progress=progress, cancelled=cancelled)
    except BaseException:
        remove(tmp)
        raise
    os.replace(tmp, path)



if TYPE_CHECKING:  # mypy proves that the adapter implements the core port

    def _implements_port(builder: WimlibImageBuilder) -> ImageBuilder:
        return builder
