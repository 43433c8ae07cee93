"""The driver catalog's domain: drivers as read from INF files, and the rules the Drivers
wizard filters by (architecture of a boot image, storage/network class, signed).

Stdlib only. Reading INF files and walking folders is done by ``console.drivers`` behind
the ``DriverReader`` port; storing drivers by ``console.storage`` behind ``DriverRepository``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from console.core.errors import ConsoleError, FileLineError

#: Architectures an INF can name in a ``[Manufacturer]`` decoration, normalized.
INF_ARCHITECTURES = ("x86", "amd64", "arm", "arm64", "ia64")
#: A bare ``NT`` decoration, or a manufacturer entry without any decoration.
ANY_ARCHITECTURE = "any"
#: ``NT$ARCH$``: the build's stampinf step never replaced the placeholder.
UNSTAMPED = "unstamped"

#: Boot image ``Architecture`` → the INF decoration that serves it.
BOOT_IMAGE_ARCHITECTURES = {"x86": "x86", "x64": "amd64", "amd64": "amd64", "arm64": "arm64", "ia64": "ia64"}
#: Boot image architectures an undecorated / bare-``NT`` INF is accepted for. Only x86: since
#: Windows Server 2003 SP1, 64-bit Windows installs only models sections decorated for its
#: platform (NTamd64, NTarm64, NTia64), so an undecorated INF installs on x86 alone. The Drivers
#: wizard's architecture filter therefore hides such drivers for x64/arm64 boot images, and
#: says why (``architecture_mismatch``).
ANY_MATCHES = frozenset({"x86"})
#: How architectures are shown: the terms of SMS_BootImagePackage.Architecture (x86, x64,
#: arm64, ia64). INF decoration names (NTamd64) appear only where the INF itself is shown.
ARCHITECTURE_LABELS = {
    "x86": "x86", "amd64": "x64", "arm": "arm", "arm64": "arm64", "ia64": "ia64",
    ANY_ARCHITECTURE: "x86 (undecorated INF)", UNSTAMPED: "not stamped (template INF)",
}

#: Device setup classes Windows PE needs drivers for: a network adapter to reach the site,
#: and the controller (and disk) drivers to see the disk the OS is applied to.
NETWORK_CLASSES = {"net": "{4d36e972-e325-11ce-bfc1-08002be10318}"}
STORAGE_CLASSES = {
    "scsiadapter": "{4d36e97b-e325-11ce-bfc1-08002be10318}",  # SAS/SATA RAID, AHCI, NVMe, storport miniports
    "hdc": "{4d36e96a-e325-11ce-bfc1-08002be10318}",  # IDE/ATA/SATA controllers
    "diskdrive": "{4d36e967-e325-11ce-bfc1-08002be10318}",  # disk drives and disk filters (e.g. multipath)
    "sdhost": "{a0a588a4-c46f-4b37-b7ea-c82fe89870c6}",  # SD/eMMC host controllers (eMMC system disks)
}
BOOT_CRITICAL_CLASSES = {**NETWORK_CLASSES, **STORAGE_CLASSES}


class InfError(FileLineError):
    """An INF file that cannot be read or is not a usable driver INF. Names file and line."""

    title = "Unusable INF file"


class NotADriverInfError(InfError):
    """A well-formed INF that installs no device (autorun.inf, legacy or filter INFs...)."""

    title = "Not a device driver INF"


class DuplicateDriverError(ConsoleError):
    title = "Driver already in the catalog"


class DriverInUseError(ConsoleError):
    """A catalog driver that a boot image still references cannot be deleted."""

    title = "Driver in use"


@dataclass(frozen=True)
class DriverModel:
    """One line of a models section: a device the driver installs on."""

    manufacturer: str
    description: str
    install_section: str
    hardware_id: str = ""
    compatible_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriverCandidate:
    """A driver as found on disk: what its INF says plus facts about its folder."""

    inf_path: str  # full path of the INF file
    inf_file: str  # DriverINFFile: the INF's name inside its folder
    folder: str  # ContentSourcePath: the folder holding the INF and its files
    name: str  # LocalizedDisplayName: first model's device description, else the INF name
    driver_class: str
    class_guid: str
    provider: str
    version: str
    date: date | None
    catalog_file: str  # the catalog file the INF names ("" = none)
    signed: bool  # that catalog file exists beside the INF (presence, not a signature check)
    architectures: tuple[str, ...]  # INF_ARCHITECTURES, ANY_ARCHITECTURE or UNSTAMPED
    models: tuple[DriverModel, ...]
    size: int  # bytes of every file in the folder
    content_hash: str  # same INF + same files = same hash (duplicate detection)
    warnings: tuple[str, ...] = ()

    @property
    def hardware_ids(self) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for model in self.models:
            if model.hardware_id:
                seen.setdefault(model.hardware_id.casefold(), model.hardware_id)
        return tuple(seen.values())


@dataclass(frozen=True)
class Driver(DriverCandidate):
    """A driver in the catalog (SMS_Driver)."""

    ci_id: int = 0
    ci_unique_id: str = ""
    is_enabled: bool = True
    categories: tuple[str, ...] = ()
    source_site: str = ""
    created_at: datetime | None = None
    created_by: str = ""
    modified_at: datetime | None = None
    modified_by: str = ""


@dataclass(frozen=True)
class DriverQuery:
    """Filter, sort and page over the catalog.

    ``text`` matches name, provider, class, version, INF name, folder and hardware ids
    (case-insensitive substring). ``architecture`` is a boot image architecture (x86, x64,
    arm64, ia64) or an INF one (amd64...): drivers that ``matches_architecture``.
    ``None`` for a flag means "either".
    """

    text: str = ""
    driver_class: str = ""
    architecture: str = ""
    signed: bool | None = None
    enabled: bool | None = None
    storage_or_network: bool | None = None
    category: str = ""
    sort: str = "name"  # name, ci_id, driver_class, provider, version, date, size
    descending: bool = False
    offset: int = 0
    limit: int | None = None
    #: keyset paging: the CI_ID of the previous page's last row; the page starts after it in
    #: the sort order (one index range, no OFFSET re-sorting; ``offset`` is then not used)
    after: int | None = None
    #: False: the total is not counted (``DriverPage.total`` is -1), for the pages after the first
    count: bool = True


SORT_KEYS = ("name", "ci_id", "driver_class", "provider", "version", "date", "size", "inf_file")


@dataclass(frozen=True)
class ScanFailure:
    """An INF that cannot be used, or (``folder``) a folder that cannot be read."""

    path: str
    message: str
    folder: bool = False


@dataclass(frozen=True)
class Duplicate:
    """A driver found twice: ``existing_ci_id`` when already in the catalog, else the path
    of the first copy found in the same scan."""

    candidate: DriverCandidate
    existing_ci_id: int | None = None
    existing_path: str = ""

    def describe(self) -> str:
        if self.existing_ci_id is not None:
            return f"already in the catalog as driver {self.existing_ci_id} (imported from {self.existing_path})"
        return f"same INF and files as {self.existing_path}"


@dataclass(frozen=True)
class ScanResult:
    folder: str
    found: tuple[DriverCandidate, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    failed: tuple[ScanFailure, ...] = ()
    cancelled: bool = False

    @property
    def inf_count(self) -> int:
        return len(self.found) + len(self.duplicates) + sum(1 for f in self.failed if not f.folder)


@dataclass(frozen=True)
class ImportResult:
    imported: tuple[Driver, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    failed: tuple[ScanFailure, ...] = ()
    cancelled: bool = False


@dataclass(frozen=True)
class DriverPage:
    items: tuple[Driver, ...]
    total: int


@dataclass(frozen=True)
class ReferencedDriver:
    """One entry of a boot image's ReferencedDrivers with its catalog driver
    (``driver`` is None when the catalog no longer has that CI_ID)."""

    ci_id: int
    source_path: str
    driver: Driver | None


@dataclass(frozen=True)
class BootImageDriverList:
    package_id: str
    architecture: str
    drivers: tuple[ReferencedDriver, ...] = ()
    total_size: int = 0  # bytes; a folder shared by several drivers counts once


#: ``progress(done, total, path)``: called before each INF is read; total is known up front.
ProgressCallback = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


class DriverReader(Protocol):
    """Reads driver folders on disk (implemented in ``console.drivers``)."""

    def new_scan(self) -> None:
        """A scan starts: forget folder contents cached by earlier scans."""

    def find_infs(self, folder: str, failures: list[ScanFailure], cancelled: CancelCheck) -> Iterator[str]: ...
    def read(self, inf_path: str) -> DriverCandidate: ...


# -- rules --------------------------------------------------------------------------------------


def inf_architecture(boot_image_architecture: str) -> str | None:
    """The INF architecture that serves a boot image architecture (x64 → amd64)."""
    return BOOT_IMAGE_ARCHITECTURES.get(boot_image_architecture.strip().lower())


def matches_architecture(architectures: tuple[str, ...], boot_image_architecture: str) -> bool:
    """Does a driver with these INF architectures install on a boot image of that architecture?

    x64 ↔ amd64, x86 ↔ x86, arm64 ↔ arm64, ia64 ↔ ia64. An undecorated or bare ``NT`` INF
    (``any``) matches x86 only (see ``ANY_MATCHES``). An unstamped ``NT$ARCH$`` INF
    matches nothing: Windows does not recognize the placeholder. A boot image whose
    architecture is not known yet matches every driver (nothing to compare with).
    """
    if not boot_image_architecture.strip():
        return True
    wanted = inf_architecture(boot_image_architecture)
    if wanted is None:
        return False
    return wanted in architectures or (ANY_ARCHITECTURE in architectures and wanted in ANY_MATCHES)


def is_storage_or_network(driver_class: str, class_guid: str = "") -> bool:
    """Net, SCSIAdapter, HDC, DiskDrive or SDHost, by class name or class GUID."""
    return (
        driver_class.strip().casefold() in BOOT_CRITICAL_CLASSES
        or class_guid.strip().casefold() in set(BOOT_CRITICAL_CLASSES.values())
    )


def describe_architectures(architectures: tuple[str, ...]) -> str:
    """``x64, arm64``; ``x86 (undecorated INF)``; ``not stamped (template INF)``."""
    return ", ".join(ARCHITECTURE_LABELS.get(a, a) for a in architectures) or "none"


def architecture_mismatch(architectures: tuple[str, ...], boot_image_architecture: str) -> str:
    """Why a driver does not install on a boot image of that architecture ('' when it does)."""
    if matches_architecture(architectures, boot_image_architecture):
        return ""
    if UNSTAMPED in architectures:
        return ("its INF is not stamped (a template INF: NT$ARCH$ was never replaced by the build), "
                "so Windows installs it on no architecture")
    if ANY_ARCHITECTURE in architectures:
        return (f"its INF is undecorated, so it installs on x86 only; an {boot_image_architecture} "
                "boot image needs a models section decorated for its platform")
    return f"it is for {describe_architectures(architectures)}, not {boot_image_architecture}"


@dataclass(frozen=True)
class DriverPlan:
    """What ReferencedDrivers becomes, computed before saving (one save applies it)."""

    package_id: str
    sedo_version: str
    referenced: tuple[tuple[int, str], ...]  # (CI_ID, SourcePath) in order
    added: tuple[Driver, ...] = ()
    removed: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    unchanged: bool = False


@dataclass(frozen=True)
class DriverChange:
    """Outcome of adding/removing drivers on a boot image."""

    package_id: str
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def version_sort_key(version: str) -> str:
    """A driver version as text that sorts in version order ("1.9" before "1.10"): each
    dot-separated part that is a number is zero-padded to 10 digits, other parts are kept
    (lower case). The catalog's Version column sorts by it (``driver.driver_version_key``)."""
    parts = []
    for part in version.strip().lower().split("."):
        parts.append(part.zfill(10) if part.isdigit() and len(part) <= 10 else part)
    return ".".join(parts)[:160]

