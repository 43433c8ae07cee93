"""Building a boot image (UpdateImage's work): the port the job engine calls, and its data.

Standard library only. ``console.servicing`` implements ``ImageBuilder`` with wimlib and
hivex; the job engine turns a package's current properties into a ``BuildSpec``, runs
``preflight``, then each of ``STEPS`` with ``run_step`` (checkpointing after each one), and
finally records ``result``.

Contract of a step (what makes a build survive ``kill -9``):

* a step writes only inside ``workdir``, under temporary names, and renames its output into
  place when it is complete; the source WIM is never written;
* a completed step is skipped when it is run again;
* a step interrupted in any way (crash, ``kill -9``, ``Cancelled``) starts again from the
  previous step's completed output when it is run again, removing its own leftovers first;
* a work folder belongs to one build of one spec (the job's folder): a completed step is
  recognized by its output file, not by comparing specs;
* ``progress(done, total, text)`` is called regularly (the caller coalesces); ``cancelled()``
  is checked at least every file or 64 MiB of copying; when it returns true the step raises
  ``Cancelled`` and leaves no half-written output behind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from console.core.content import RegistryValue
from console.core.errors import ConsoleError

Severity = Literal["pass", "warning", "failure"]
#: ``progress(done, total, text)``
Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]
#: Input locale as the administrator typed it → ``LLLL:KKKKKKKK`` (language:keyboard layout),
#: or None when unknown. Replaceable: the known-locales list of core plugs in here.
LocaleResolver = Callable[[str], "str | None"]

#: Components ConfigMgr always puts in a boot image (short names as in ``WinPE-<Name>``).
SITE_REQUIRED_COMPONENTS = ("WinPE-Scripting", "WinPE-WMI", "WinPE-WDS-Tools", "WinPE-SecureStartup")
#: Where customizations land inside the image (WIM paths, ``/`` separated, exact case).
DRIVERS_FOLDER = "/Drivers"
PRESTART_FOLDER = "/Prestart"
SYSTEM_HIVE = "/Windows/System32/config/SYSTEM"
STARTNET = "/Windows/System32/startnet.cmd"
WINPESHL = "/Windows/System32/winpeshl.ini"
BACKGROUND_JPG = "/Windows/System32/winpe.jpg"
BACKGROUND_BMP = "/Windows/System32/winpe.bmp"
PACKAGES_FOLDER = "/Windows/servicing/Packages"
SCRATCH_KEY = r"\ControlSet001\Services\FBWF"
SCRATCH_VALUE = "WinPECacheThreshold"
#: How a revision names the SYSTEM hive's keys (``HKLM\SYSTEM\ControlSet001\...``).
SYSTEM_ROOT = "HKLM\\SYSTEM"


class ServicingError(ConsoleError):
    """A build step failed; the message names the real cause (tool, file, stderr)."""

    title = "Boot image build failed"


class Cancelled(ServicingError):
    """The user cancelled; the step left no half-written output (the source is untouched)."""

    title = "Build cancelled"

    def __init__(self, step: str = "") -> None:
        super().__init__(f"the build was cancelled{f' during {step}' if step else ''}; nothing was changed")
        self.step = step


@dataclass(frozen=True)
class DriverSource:
    """One of the package's ReferencedDrivers, as the build needs it."""

    ci_id: int
    name: str
    inf_path: str  # full path of the INF file
    content_folder: str  # ContentSourcePath (the folder holding the INF)
    architectures: tuple[str, ...]  # INF architectures (amd64, x86, arm64, any, unstamped)
    catalog_file: str = ""  # the catalog the INF names ("" = none)
    referenced_files: tuple[str, ...] = ()  # SourceDisksFiles / CopyFiles, relative to the INF's folder
    version: str = ""
    hardware_ids: tuple[str, ...] = ()

    @property
    def inf_file(self) -> str:
        return self.inf_path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SourceFingerprint:
    """What the source WIM looked like at import (None = not recorded)."""

    size: int | None = None
    mtime: float | None = None  # seconds since the epoch
    guid: str = ""  # 32 hex digits as the WIM reader reports them ("" = unknown)


@dataclass(frozen=True)
class BuildSpec:
    """Everything a build of one package needs, taken from its current properties."""

    package_id: str
    image_path: str
    image_index: int
    architecture: str  # x86, x64, arm64
    work_root: str  # the content library's work area: pre-flight checks space and write access there
    scratch_space: int = 0  # MB; 0 = leave the image's value
    pre_exec_command_line: str = ""
    pre_exec_source_directory: str = ""
    enable_lab_shell: bool = False
    background_bitmap_path: str = ""
    input_locale: str = ""
    chosen_components: tuple[str, ...] = ()  # "WinPE-WMI", ...
    prerequisite_components: tuple[str, ...] = ()
    site_required_components: tuple[str, ...] = SITE_REQUIRED_COMPONENTS
    drivers: tuple[DriverSource, ...] = ()
    deployment_command: str = ""  # site setting; "" = none
    fingerprint: SourceFingerprint = field(default_factory=SourceFingerprint)

    @property
    def output_name(self) -> str:
        return f"boot.{self.package_id}.wim"


@dataclass(frozen=True)
class Check:
    """One pre-flight result. ``fix`` says where to fix it: ``properties:<Tab>``,
    ``wizard:<name>`` or ``settings`` ("" when nothing in the console fixes it)."""

    id: str
    severity: Severity
    message: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.severity == "failure"


def has_failures(checks: Sequence[Check]) -> bool:
    return any(c.failed for c in checks)


@dataclass(frozen=True)
class BuiltImage:
    """The verified result of a build (the job engine moves ``path`` into the library)."""

    path: str
    size_kb: int  # file size in KB, rounded up (PackageSize)
    sha256: str
    image_xml: str  # the built WIM's XML metadata (ImageProperty)
    architecture: str
    os_version: str
    languages: tuple[str, ...]
    file_count: int | None
    summary: str  # "2 drivers, scratch 128 MB, prestart command, ..."
    changes: tuple[str, ...] = ()  # one line per customization applied
    #: every file inside the built image: path -> (size, SHA-1 as wimlib reports it); None:
    #: not recorded (a build verified by an older version)
    image_listing: Mapping[str, tuple[int, str]] | None = None
    #: the registry values the build manages, as the built image has them (scratch space)
    registry: tuple[RegistryValue, ...] = ()


class ImageBuilder(Protocol):
    """The build pipeline; each step idempotent and resumable (see the module docstring)."""

    STEPS: tuple[str, ...]

    def preflight(self, spec: BuildSpec) -> list[Check]: ...

    def run_step(self, step: str, spec: BuildSpec, workdir: str, progress: Progress, cancelled: CancelCheck) -> None: ...

    def result(self, spec: BuildSpec, workdir: str) -> BuiltImage: ...


# -- input locales (until the known-locales list of issue 8 lands) ------------------------------

#: A few common tags → language:keyboard layout (the wpeutil SetKeyboardLayout form).
_LOCALE_TAGS = {
    "en-us": "0409:00000409", "en-gb": "0809:00000809", "de-de": "0407:00000407", "de-ch": "0807:00000807",
    "fr-fr": "040c:0000040c", "fr-ca": "0c0c:00001009", "es-es": "0c0a:0000040a", "it-it": "0410:00000410",
    "nl-nl": "0413:00020409", "pt-br": "0416:00000416", "sv-se": "041d:0000041d", "ja-jp": "0411:00000411",
}


def resolve_input_locale(value: str) -> str | None:
    """``0409:00000409`` (as typed, lower-cased) or a known tag such as ``en-US``; else None."""
    text = value.strip().lower()
    head, sep, tail = text.partition(":")
    if sep and len(head) == 4 and len(tail) == 8 and _is_hex(head) and _is_hex(tail):
        return text
    return _LOCALE_TAGS.get(text)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def describe_spec(spec: BuildSpec) -> tuple[str, tuple[str, ...]]:
    """The one-line summary and the per-customization lines of what a build applies."""
    parts: list[str] = []
    lines: list[str] = []
    if spec.drivers:
        parts.append(f"{len(spec.drivers)} driver{'s' if len(spec.drivers) != 1 else ''}")
        lines += [f"driver {d.ci_id} ({d.name}) staged in {DRIVERS_FOLDER}/{d.ci_id}, loaded at boot" for d in spec.drivers]
    if spec.scratch_space:
        parts.append(f"scratch {spec.scratch_space} MB")
        lines.append(f"scratch space {spec.scratch_space} MB ({SCRATCH_KEY} {SCRATCH_VALUE})")
    if spec.pre_exec_command_line:
        parts.append("prestart command")
        lines.append(f"prestart command: {spec.pre_exec_command_line}")
    if spec.background_bitmap_path:
        parts.append("background")
        lines.append(f"background from {spec.background_bitmap_path}")
    if spec.input_locale:
        parts.append(f"keyboard {spec.input_locale}")
        lines.append(f"keyboard layout {spec.input_locale} set at boot")
    if spec.enable_lab_shell:
        parts.append("command support")
        lines.append("command support (a command prompt at boot)")
    if spec.deployment_command:
        lines.append(f"deployment command: {spec.deployment_command}")
    lines.append("boot script (startnet.cmd, winpeshl.ini)")
    return (", ".join(parts) or "no customizations"), tuple(lines)
