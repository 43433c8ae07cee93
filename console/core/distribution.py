"""Distribution points: what a distribution point is, the per-(package, DP) state, and the port
to a DP's storage (standard library only; transports live in ``console.distribution``).

A distribution point (DP) keeps the same content library as the site (``FileLib`` by SHA-256,
``DataLib`` manifests, ``PkgLib`` pointers written last, see ``console.core.content``) under its
``library_root``, reached through a *transport*: a folder (local or mounted), an SMB share
(``smbprotocol``) or an SSH server (``asyncssh``/SFTP). The current version's files are also
*materialized* under ``Packages/<PackageID>/`` on the DP, where clients and PXE servers read them.

Paths given to a ``DpConnection`` are relative to the DP's library root, with forward slashes
(``FileLib/ab12/ab12…``); a connection refuses absolute paths and ``..``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Protocol, runtime_checkable

from console.core.errors import ConsoleError

#: Materialized files of a package's current version, relative to the DP's library root.
PACKAGES_FOLDER = "Packages"
#: Default global limit on distribution points served at once (a site setting).
DEFAULT_MAX_CONCURRENT_DPS = 16
#: 24 characters, one per hour from 00:00: "o" open, "c" closed (ConfigMgr's schedule, simplified).
ALWAYS_OPEN = "o" * 24
SCHEDULE = re.compile(r"^[oc]{24}$")


class TransportKind(StrEnum):
    FOLDER = "folder"
    SMB = "smb"
    SSH = "ssh"


class DpState(IntEnum):
    """SMS_PackageStatusDistPointsSummarizer.State, exactly as ConfigMgr numbers it."""

    INSTALLED = 0
    INSTALL_PENDING = 1
    INSTALL_RETRYING = 2
    INSTALL_FAILED = 3
    REMOVAL_PENDING = 4
    REMOVAL_RETRYING = 5
    REMOVAL_FAILED = 6
    CONTENT_UPDATING = 7
    CONTENT_MONITORING = 8

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def bucket(self) -> str:
        """Which Content Status counter the state adds to: success, in_progress, error or unknown."""
        if self is DpState.INSTALLED:
            return "success"
        if self in (DpState.INSTALL_FAILED, DpState.REMOVAL_FAILED):
            return "error"
        if self is DpState.CONTENT_MONITORING:
            return "unknown"
        return "in_progress"


class DistributionError(ConsoleError):
    title = "Distribution point"


class TransportError(DistributionError):
    """A transport failed. ``cause`` is one of the CAUSES keys, so status, retries and the GUI
    can tell a passing condition (unreachable) from one that needs the administrator."""

    def __init__(self, message: str, *, cause: str = "io") -> None:
        super().__init__(message)
        self.cause = cause

    @property
    def retryable(self) -> bool:
        return CAUSES.get(self.cause, (True, ""))[0]


#: cause -> (retry later?, what an administrator reads first)
CAUSES: dict[str, tuple[bool, str]] = {
    "unreachable": (True, "host unreachable"),
    "timeout": (True, "connection timed out"),
    "auth": (False, "authentication refused"),
    "key_file": (False, "SSH key file unusable"),
    "permission": (False, "permission denied"),
    "disk_full": (True, "disk full"),
    "hash_mismatch": (True, "hash mismatch after copy"),
    "not_found": (False, "not found"),
    "io": (True, "input/output error"),
}


@dataclass(frozen=True)
class DistributionPoint:
    """A server that holds content (``SMS_DistributionPointInfo``-like)."""

    name: str  # ServerName, unique in the site (DP01.contoso.com)
    transport: TransportKind
    address: str  # folder: /srv/dp01; smb: \\host[:port]\share[\path]; ssh: [user@]host[:port]:/path
    site_code: str = ""
    description: str = ""
    credential: str = ""  # a reference into the site secrets file (smb/ssh password) or an SSH key file
    username: str = ""
    pxe: bool = False
    maintenance: bool = False
    rate_limit_kbps: int = 0  # 0: unlimited
    schedule: str = ALWAYS_OPEN
    concurrency: int = 2  # parallel file streams to this DP
    library_root: str = "SCCMContentLib"  # under the address
    id: int | None = None
    version: int = 0  # optimistic-lock token, as SedoObjectVersion
    free_bytes: int | None = None  # last reported free space
    last_contact: datetime | None = None
    groups: tuple[str, ...] = ()

    @property
    def nal_path(self) -> str:
        return nal_path(self.name, self.site_code)

    def open_at(self, hour: int) -> bool:
        return self.schedule[hour % 24] == "o"


def nal_path(server: str, site_code: str) -> str:
    r"""ConfigMgr's NAL path: ``["Display=\\DP01\"]MSWNET:["SMS_SITE=PS1"]\\DP01\``."""
    return f'["Display=\\\\{server}\\"]MSWNET:["SMS_SITE={site_code}"]\\\\{server}\\'


@dataclass(frozen=True)
class DpGroup:
    """``SMS_DistributionPointGroup``: members are DP names."""

    name: str
    description: str = ""
    members: tuple[str, ...] = ()
    id: int | None = None
    version: int = 0


@dataclass(frozen=True)
class PackageOnDp:
    """One (package, DP) row: ConfigMgr's ``SMS_PackageStatusDistPointsSummarizer``."""

    package_id: str
    dp_name: str
    state: DpState
    source_version: int = 0  # the version the DP holds (0: none yet)
    target_version: int = 0  # the version it should hold
    last_copied: datetime | None = None
    bytes_done: int = 0
    bytes_total: int = 0
    last_error: str = ""
    error_cause: str = ""
    next_retry: datetime | None = None
    via_groups: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ContentSummary:
    """Per package (``SMS_ObjectContentExtraInfo``) or per DP (``SMS_DPStatusInfo``) counters."""

    key: str  # PackageID or DP name
    targeted: int = 0
    success: int = 0
    in_progress: int = 0
    errors: int = 0
    unknown: int = 0

    def line(self) -> str:
        """The details pane's one line: "Installed on 47 of 50 distribution points, 2 in progress, 1 failed"."""
        if not self.targeted:
            return "Not on any distribution point"
        parts = [f"Installed on {self.success} of {self.targeted} distribution point" + ("s" if self.targeted != 1 else "")]
        if self.in_progress:
            parts.append(f"{self.in_progress} in progress")
        if self.errors:
            parts.append(f"{self.errors} failed")
        if self.unknown:
            parts.append(f"{self.unknown} unknown")
        return ", ".join(parts)


@dataclass(frozen=True)
class ProbeReport:
    """What Test connection found: the probe file written, read back and deleted."""

    ok: bool
    message: str
    free_bytes: int | None = None
    seconds: float = 0.0
    details: Mapping[str, str] = field(default_factory=dict)


class DpConnection(Protocol):
    """An open connection to a DP's library root. Every method raises ``TransportError`` with a
    ``cause`` on failure. Paths are relative to the library root, with forward slashes."""

    def free_space(self) -> int: ...
    def exists(self, path: str) -> bool: ...
    def size(self, path: str) -> int | None:
        """The file's size, or None when it does not exist."""
        ...
    def listdir(self, path: str) -> list[str]:
        """Names in a folder ([] when it does not exist)."""
        ...
    def makedirs(self, path: str) -> None: ...
    def read_bytes(self, path: str) -> bytes:
        """A small file (manifests, pointers)."""
        ...
    def write_bytes(self, path: str, data: bytes) -> None:
        """A small file written under a temporary name and renamed over ``path``."""
        ...
    def write_stream(self, path: str, chunks: Iterable[bytes], *, offset: int = 0) -> int:
        """Write ``chunks`` into ``path`` from ``offset`` (resume: the bytes before it are kept);
        returns the file's size afterwards. No rename: the caller writes a temporary name."""
        ...
    def read_stream(self, path: str, *, block: int = 1 << 20) -> Iterator[bytes]: ...
    def sha256(self, path: str) -> str:
        """The file's SHA-256 computed where the transport allows it on the server
        (``sha256sum`` over SSH), else read back."""
        ...
    def concatenate(self, parts: list[str], dest: str) -> None:
        """Write the files ``parts`` one after another into ``dest`` on the server (reassembling
        a chunked file) without sending their bytes again where the transport allows it."""
        ...
    def rename(self, src: str, dst: str) -> None:
        """Atomic replace of ``dst``."""
        ...
    def remove(self, path: str) -> None:
        """Delete a file (no error when it is absent)."""
        ...
    def remove_tree(self, path: str) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class LinkingDpConnection(Protocol):
    """What a transport offers beyond ``DpConnection`` where its server can (the folder
    transport; SSH where the server has the OpenSSH extensions): the network boot layout uses
    hard links instead of copies and switches generations by replacing a symbolic link."""

    def hard_link(self, src: str, dst: str) -> bool:
        """Make ``dst`` a hard link of ``src``; False when the file system cannot (the caller copies)."""
        ...
    def swap_link(self, link: str, target: str) -> None:
        """Make ``link`` a symbolic link to ``target`` (a name in the same folder), replacing the
        link there atomically."""
        ...
    def read_link(self, link: str) -> str | None:
        """The target of the symbolic link ``link`` (None: it is not a link or is absent)."""
        ...


class SecretStore(Protocol):
    """DP passwords, outside the site database (the site secrets file, mode 0600, path in
    settings; optionally the desktop keyring too). ``reference`` is ``DistributionPoint.credential``."""

    def password(self, reference: str) -> str | None: ...
    def set_password(self, reference: str, password: str) -> None: ...
    def forget(self, reference: str) -> None: ...


class Transports(Protocol):
    """Opens connections to distribution points (``console.distribution.connect``)."""

    def connect(self, dp: DistributionPoint) -> DpConnection: ...


def check_schedule(text: str) -> str:
    value = text.strip().lower()
    if not SCHEDULE.match(value):
        raise DistributionError(f"schedule {text!r}: give 24 letters, one per hour from 00:00, o (open) or c (closed)")
    return value


def summarize(states: Iterable[DpState], key: str) -> ContentSummary:
    counts = {"success": 0, "in_progress": 0, "error": 0, "unknown": 0}
    total = 0
    for state in states:
        counts[state.bucket] += 1
        total += 1
    return ContentSummary(key, total, counts["success"], counts["in_progress"], counts["error"], counts["unknown"])
