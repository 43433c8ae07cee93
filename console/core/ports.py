"""What the service layer needs from storage, as protocols (implemented in ``console.storage``)."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self

from console.core.audit import AuditQuery, AuditRecord
from console.core.distribution_store import DistributionRepository
from console.core.drivers import Driver, DriverQuery
from console.core.instance import Instance
from console.core.jobs import Job, WorkerRecord
from console.core.object_locks import ObjectLock
from console.core.servicing import SourceFingerprint


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    is_local: bool
    created_at: datetime | None = None


@dataclass(frozen=True)
class PackageRecord:
    """A stored package: its property values plus bookkeeping that is not a WMI property."""

    values: Mapping[str, Any]
    folder_id: int | None
    modified_by: str
    modified_at: datetime | None
    lazy_loaded: bool


@dataclass(frozen=True)
class PackageQuery:
    """Filter, sort and page over packages.

    ``folder_id``: ``None`` = every package; ``0`` = packages at the top of the node;
    otherwise that folder (and its sub-folders when ``recursive``).
    ``text`` matches Name, PackageID, Version and Description (case-insensitive substring).
    ``where`` holds exact property matches. ``include`` names lazy properties to load
    anyway for a listing (e.g. ScratchSpace for a column), without loading all of them.

    Reading a page at any position of a long list (a scrollbar jump, the last page): with
    ``total`` (the matching count the caller already has), a page in the back half is read
    from the end in reverse order. ``after`` is a keyset: (value of the ``sort`` property,
    PackageID) of the row just before the page (e.g. the last row of the block above); the
    page then starts right after it and ``offset`` counts from there (normally 0).
    """

    text: str = ""
    where: Mapping[str, Any] = field(default_factory=dict)
    folder_id: int | None = None
    recursive: bool = False
    sort: str = "Name"
    descending: bool = False
    offset: int = 0
    limit: int | None = None
    include: tuple[str, ...] = ()
    total: int | None = None
    after: tuple[Any, str] | None = None


@dataclass(frozen=True)
class Folder:
    id: int
    name: str
    parent_id: int
    object_type: int
    guid: str
    source_site: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class StatusMessage:
    id: int
    time: datetime
    severity: str  # "information" | "warning" | "error"
    kind: str  # "audit", "change_notification", "image", "job", ...
    package_id: str | None
    text: str
    user: str
    site_code: str
    details: Mapping[str, Any] | None = None


class SiteRepository(Protocol):
    def get(self, code: str) -> Site | None: ...
    def local(self) -> Site | None: ...
    def list(self) -> list[Site]: ...
    def add(self, site: Site, *, created_at: datetime) -> None: ...
    def allocate_package_number(self, code: str) -> int: ...


class PackageRepository(Protocol):
    def add(
        self, values: Mapping[str, Any], *, folder_id: int | None, modified_by: str, modified_at: datetime
    ) -> None: ...
    def get(self, package_id: str, *, lazy: bool) -> PackageRecord | None: ...
    def refresh_schedules(self) -> dict[str, list[Instance]]:
        """Every package's RefreshSchedule tokens (packages without one are left out)."""
        ...
    def query(self, query: PackageQuery, *, lazy: bool = False, count: bool = True) -> tuple[list[PackageRecord], int]: ...
    def count(self, query: PackageQuery) -> int: ...
    def update(
        self,
        package_id: str,
        values: Mapping[str, Any],
        *,
        expected_version: str,
        new_version: str,
        modified_by: str,
        modified_at: datetime,
    ) -> bool: ...
    def delete(self, package_id: str) -> bool: ...
    def name_in_use(self, name: str, *, excluding: str | None = None) -> str | None: ...
    def lock(self, package_id: str) -> None:
        """Hold the package for this write transaction: another save of it waits for the commit."""
        ...
    def move(self, package_ids: Sequence[str], folder_id: int | None) -> int: ...
    def count_in_folders(self, folder_ids: Sequence[int]) -> int: ...
    def set_source_fingerprint(self, package_id: str, fingerprint: SourceFingerprint) -> None:
        """Record what the source WIM looked like when its image facts were read (bookkeeping,
        not a class property: ``get`` and ``query`` never return it)."""
        ...
    def source_fingerprint(self, package_id: str) -> SourceFingerprint | None:
        """The recorded fingerprint; None when none was recorded (or no such package)."""
        ...


class FolderRepository(Protocol):
    def add(self, name: str, parent_id: int, object_type: int, guid: str, source_site: str, created_at: datetime) -> int: ...
    def get(self, folder_id: int) -> Folder | None: ...
    def children(self, parent_id: int, object_type: int) -> list[Folder]: ...
    def all(self, object_type: int) -> list[Folder]: ...
    def rename(self, folder_id: int, name: str) -> None: ...
    def reparent(self, folder_id: int, parent_id: int) -> None: ...
    def delete(self, folder_id: int) -> None: ...


class StatusRepository(Protocol):
    def add(
        self,
        *,
        time: datetime,
        severity: str,
        kind: str,
        package_id: str | None,
        text: str,
        user: str,
        site_code: str,
        details: Mapping[str, Any] | None = None,
    ) -> int: ...
    def query(
        self, *, package_id: str | None = None, kind: str | None = None, limit: int = 200,
        severity: str | None = None, before: int | None = None,
    ) -> list[StatusMessage]: ...


class JobRepository(Protocol):
    """Jobs and workers (``console.core.jobs``). ``update`` writes only when the row matches
    ``owner`` (the worker holding it) / ``states`` (when given) and says whether it did: a worker that lost its
    lease cannot overwrite the job."""

    def add(self, job: Job) -> None: ...
    def add_many(self, jobs: Sequence[Job]) -> None: ...
    def get(self, context_id: str) -> Job | None: ...
    def list(
        self, *, package_id: str | None = None, states: Sequence[str] = (), limit: int | None = None
    ) -> list[Job]: ...
    def update(
        self, context_id: str, *, owner: str | None = None, states: Sequence[str] = (), **fields: Any
    ) -> bool: ...
    def delete(self, context_id: str, *, unless_states: Sequence[str] = ()) -> bool: ...
    def claim(self, worker_id: str, kinds: Sequence[str], *, now: datetime, lease_expires_at: datetime) -> Job | None:
        """Atomically take the oldest queued job of ``kinds`` that is due (or a running one
        whose lease expired), never one whose package has another running job."""
        ...
    def count_open(self, kinds: Sequence[str]) -> int: ...
    def add_worker(self, worker: WorkerRecord) -> None: ...
    def worker_heartbeat(self, worker_id: str, now: datetime) -> bool: ...
    def remove_worker(self, worker_id: str) -> None: ...
    def remove_workers_silent_since(self, before: datetime) -> int: ...
    def live_workers(self, since: datetime) -> builtins.list[WorkerRecord]: ...


class DriverRepository(Protocol):
    """The driver catalog (SMS_Driver). ``query`` rows carry no models; ``get`` does."""

    def allocate_ci_id(self, site_code: str) -> int: ...
    def add(self, driver: Driver) -> Driver | None:
        """None when added; the catalog's driver with the same content when another console
        imported it since this one looked (nothing is added then)."""
        ...
    def get(self, ci_id: int) -> Driver | None: ...
    def get_many(self, ci_ids: Sequence[int]) -> dict[int, Driver]: ...
    def by_content_hash(self, hashes: Sequence[str]) -> dict[str, Driver]: ...
    def query(self, query: DriverQuery) -> tuple[list[Driver], int]: ...
    def counts(self, query: DriverQuery) -> tuple[int, int]:
        """(drivers matching ``query``'s filters, how many of them are disabled) in one read."""
        ...
    def set_enabled(self, ci_ids: Sequence[int], enabled: bool, *, modified_by: str, modified_at: datetime) -> int: ...
    def set_categories(self, ci_id: int, names: Sequence[str], *, modified_by: str, modified_at: datetime) -> None: ...
    def delete(self, ci_id: int) -> bool: ...
    def referencing_packages(self, ci_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]: ...
    def classes(self) -> list[str]: ...
    def categories(self) -> list[str]: ...


class SettingsRepository(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, *, modified_by: str, modified_at: datetime) -> None: ...


class ObjectLockRepository(Protocol):
    """Object locks (``console.core.object_locks``): one row per locked object."""

    def acquire(self, lock: ObjectLock, *, stale_before: datetime) -> ObjectLock | None:
        """In one statement: insert ``lock``, or take over a lock on the object whose heartbeat
        is older than ``stale_before``, or renew the one this same login and console holds (its
        lock id and time acquired stay). The lock now held, or None when another's live lock stands."""
        ...
    def get(self, object_type: str, object_id: str) -> ObjectLock | None: ...
    def find(self, key: str) -> ObjectLock | None:
        """The lock with lock id ``key``, else the lock on the object whose id is ``key``."""
        ...
    def list(self) -> builtins.list[ObjectLock]: ...
    def heartbeat(self, lock_id: str, now: datetime) -> bool:
        """Renew a lock; False when it is no longer held (released by force, taken over)."""
        ...
    def release(self, lock_id: str) -> ObjectLock | None:
        """Delete the lock; the lock as it was, or None when there was none."""
        ...


class PackageStream(Protocol):
    """Packages as JSON records read one at a time (a listing of every package stays flat
    in memory): ``bootimage list --json``."""

    def records(self, query: PackageQuery) -> Iterator[dict[str, Any]]: ...


class AuditRepository(Protocol):
    """Audit records, written by the database's own triggers (``console/storage/audit_sql.py``)."""

    def query(self, query: AuditQuery) -> builtins.list[AuditRecord]: ...
    def of_transactions(self, transaction_ids: Sequence[int]) -> builtins.list[AuditRecord]: ...
    def get(self, record_id: int) -> AuditRecord | None: ...
    def transaction_id(self) -> int | None:
        """The id the audit records of the current write transaction carry."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the ``with`` block without ``commit()`` rolls back.

    A unit of work opened for reading sees one consistent snapshot and never waits for a
    writer; only one opened with ``write=True`` may change anything (it holds the write lock
    from its start, so keep it short: no file or network I/O inside it)."""

    # Read-only members, so that an implementation may hold its own repository classes.
    @property
    def sites(self) -> SiteRepository: ...
    @property
    def packages(self) -> PackageRepository: ...
    @property
    def folders(self) -> FolderRepository: ...
    @property
    def status(self) -> StatusRepository: ...
    @property
    def jobs(self) -> JobRepository: ...
    @property
    def drivers(self) -> DriverRepository: ...
    @property
    def settings(self) -> SettingsRepository: ...
    @property
    def distribution(self) -> DistributionRepository: ...
    @property
    def package_stream(self) -> PackageStream: ...
    @property
    def locks(self) -> ObjectLockRepository: ...
    @property
    def audit(self) -> AuditRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = False) -> UnitOfWork: ...
