"""What the distribution services need from storage (implemented by
``console.storage.distribution_repository``). DPs and groups are named by their names
(case-insensitive); ``package_dp`` rows by (PackageID, DP name).

Every method that changes a ``package_dp`` row changes the Content Status counters in the same
transaction (``package_content_summary`` / ``dp_content_summary``)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from console.core.distribution import ContentSummary, DistributionPoint, DpGroup, DpState, PackageOnDp

#: package_dp fields a state change may set besides ``state``
STATE_FIELDS = ("source_version", "target_version", "last_copied", "bytes_done", "bytes_total", "last_error",
                "error_cause", "next_retry")


@dataclass(frozen=True)
class StateChange:
    """One (package, DP) state change for ``set_states`` (batches)."""

    package_id: str
    dp_name: str
    state: DpState
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContentQuery:
    """A package's DPs (``package_id``) or a DP's packages (``dp_name``), filtered and paged.
    ``text`` matches the DP name / PackageID and the last error (case-insensitive)."""

    package_id: str | None = None
    dp_name: str | None = None
    states: tuple[DpState, ...] = ()
    text: str = ""
    offset: int = 0
    limit: int | None = 100
    #: keyset paging: the previous page's last row (its DP name for a package's DPs, its
    #: PackageID for a DP's packages); the page starts after it, read as one index range
    #: (``offset`` is then not used)
    after: str | None = None


class DistributionRepository(Protocol):
    # distribution points
    def add_dp(self, dp: DistributionPoint, *, at: datetime, user: str) -> DistributionPoint: ...
    def get_dp(self, name: str) -> DistributionPoint | None: ...
    def list_dps(self) -> builtins.list[DistributionPoint]: ...
    def update_dp(self, name: str, values: Mapping[str, Any], *, expected_version: int, at: datetime,
                  user: str) -> bool: ...
    def dp_modified(self, name: str) -> tuple[str, datetime | None, int] | None: ...
    def record_contact(self, name: str, free_bytes: int | None, at: datetime) -> None: ...
    def delete_dp(self, name: str) -> None:
        """Deletes the DP, its memberships and its package_dp rows (counters adjusted)."""
        ...
    def missing_dps(self, names: Sequence[str]) -> builtins.list[str]: ...

    # groups
    def add_group(self, group: DpGroup, *, at: datetime, user: str) -> DpGroup: ...
    def get_group(self, name: str) -> DpGroup | None: ...
    def list_groups(self) -> builtins.list[DpGroup]: ...
    def update_group(self, name: str, values: Mapping[str, Any], *, expected_version: int, at: datetime,
                     user: str) -> bool: ...
    def group_modified(self, name: str) -> tuple[str, datetime | None, int] | None: ...
    def delete_group(self, name: str) -> None: ...
    def add_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]:
        """The DP names that were not members yet."""
        ...
    def remove_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]: ...
    def group_packages(self, group: str) -> builtins.list[str]: ...
    def add_group_package(self, group: str, package_id: str) -> bool: ...
    def groups_of_package(self, package_id: str) -> builtins.list[str]: ...

    # (package, DP) rows and counters
    def assign(self, package_id: str, dp_names: Sequence[str], *, direct: bool, target_version: int,
               at: datetime) -> builtins.list[str]:
        """Create INSTALL_PENDING rows for DPs that do not have the package yet (their names
        are returned); a direct assignment marks existing rows direct."""
        ...
    def forget_package(self, package_id: str) -> None:
        """A deleted package (on no DP any more): its group assignments and counters go."""
        ...
    def get_row(self, package_id: str, dp_name: str) -> PackageOnDp | None: ...
    def set_states(self, changes: Sequence[StateChange], *, at: datetime) -> int: ...
    def delete_rows(self, package_id: str, dp_names: Sequence[str]) -> int: ...
    def query_rows(self, query: ContentQuery) -> tuple[builtins.list[PackageOnDp], int]: ...
    def dps_of_package(self, package_id: str) -> builtins.list[str]: ...
    def installed_batch(self, after: tuple[str, int] | None, limit: int) -> builtins.list[tuple[str, int, str]]:
        """(PackageID, DP id, DP name) of installed rows in (PackageID, DP id) order after
        ``after`` (a keyset batch of the primary key), at most ``limit``."""
        ...
    def package_summary(self, package_id: str) -> ContentSummary: ...
    def package_summaries(self, package_ids: Sequence[str] | None, *, offset: int,
                          limit: int | None, show: str = "", after: str | None = None) -> builtins.list[ContentSummary]:
        """Per-package counters by PackageID; ``show`` as ``dp_summary_page``; ``after``: the
        previous page's last PackageID (keyset; ``offset`` is then not used)."""
        ...
    def dp_summary(self, name: str) -> ContentSummary: ...
    def dp_summaries(self) -> dict[str, ContentSummary]: ...
    def dp_summary_page(self, *, text: str = "", show: str = "", offset: int = 0,
                        limit: int | None = 100, after: str | None = None) -> tuple[builtins.list[ContentSummary], int]:
        """DPs' counters by name (case-insensitive), ``text`` in the name, ``show`` one of
        ``errors``, ``in_progress``, ``incomplete`` (or "" for all); one page and the total."""
        ...
    def change_token(self) -> tuple[Any, ...]:
        """A cheap value that changes whenever (package, DP) rows, counters or DPs change."""
        ...
    def recount(self) -> tuple[builtins.list[ContentSummary], builtins.list[ContentSummary]]:
        """Counters computed from the rows (per package, per DP): the nightly check."""
        ...
