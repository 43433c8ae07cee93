"""Distribution points and groups in the site database (the (package, DP) rows and the
counters: ``console.storage.distribution_rows``). Names are unique without regard to case
(``name_key``); a duplicate another console inserted at the same moment is caught at the
unique constraint and reported as ``DuplicateNameError``."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from console.core.distribution import DistributionPoint, DpGroup, TransportKind
from console.core.errors import DuplicateNameError
from console.storage.db_errors import is_unique_violation
from console.storage.distribution_rows import COUNTERS, PackageDpStore, key_of, utc_or_none
from console.storage.distribution_schema import (
    DistributionPointRow,
    DpContentSummaryRow,
    DpGroupMemberRow,
    DpGroupPackageRow,
    DpGroupRow,
    PackageDpRow,
)

DP_FIELDS = ("name", "transport", "address", "site_code", "description", "credential", "username", "pxe",
             "maintenance", "rate_limit_kbps", "schedule", "concurrency", "library_root")


class SqlDistributionRepository(PackageDpStore):
    """``console.core.distribution_store.DistributionRepository``."""

    # -- distribution points ----------------------------------------------------------------

    def _dp(self, row: DistributionPointRow, groups: tuple[str, ...]) -> DistributionPoint:
        return DistributionPoint(
            name=row.name, transport=TransportKind(row.transport), address=row.address, site_code=row.site_code,
            description=row.description, credential=row.credential, username=row.username, pxe=row.pxe,
            maintenance=row.maintenance, rate_limit_kbps=row.rate_limit_kbps, schedule=row.schedule,
            concurrency=row.concurrency, library_root=row.library_root, id=row.id, version=row.version,
            free_bytes=row.free_bytes, last_contact=utc_or_none(row.last_contact), groups=groups)

    def _group_names(self, dp_ids: Sequence[int] | None = None) -> dict[int, tuple[str, ...]]:
        stmt = (select(DpGroupMemberRow.dp_id, DpGroupRow.name)
                .join(DpGroupRow, DpGroupRow.id == DpGroupMemberRow.group_id).order_by(func.lower(DpGroupRow.name)))
        if dp_ids is not None:
            stmt = stmt.where(DpGroupMemberRow.dp_id.in_(list(dp_ids)))
        names: dict[int, list[str]] = {}
        for dp_id, name in self._s.execute(stmt):
            names.setdefault(dp_id, []).append(name)
        return {k: tuple(v) for k, v in names.items()}

    def _flush_unique(self, what: str, name: str) -> None:
        try:
            with self._s.begin_nested():
                self._s.flush()
        except IntegrityError:
            raise DuplicateNameError.single("Name", f"there is already a {what} named {name!r} in this site "
                                            "(names are compared without case)") from None

    def add_dp(self, dp: DistributionPoint, *, at: datetime, user: str) -> DistributionPoint:
        self.changed = True  # the content change counter goes up after the commit
        row = DistributionPointRow(name_key=key_of(dp.name), version=1, created_at=at, modified_at=at, modified_by=user,
                                   **{f: getattr(dp, f) for f in DP_FIELDS})
        row.transport = str(dp.transport)
        self._s.add(row)
        self._flush_unique("distribution point", dp.name)
        self._s.add(DpContentSummaryRow(dp_id=row.id, **{c: 0 for c in COUNTERS}))
        self._s.flush()
        return self._dp(row, ())

    def get_dp(self, name: str) -> DistributionPoint | None:
        row = self._dp_row(name)
        return self._dp(row, self._group_names([row.id]).get(row.id, ())) if row else None

    def list_dps(self) -> builtins.list[DistributionPoint]:
        groups = self._group_names()
        rows = self._s.scalars(select(DistributionPointRow).order_by(DistributionPointRow.name_key))
        return [self._dp(r, groups.get(r.id, ())) for r in rows]

    def update_dp(self, name: str, values: Mapping[str, Any], *, expected_version: int, at: datetime,
                  user: str) -> bool:
        self.changed = True  # the content change counter goes up after the commit
        fields = {k: (str(v) if k == "transport" else v) for k, v in values.items()}
        if "name" in fields:
            fields["name_key"] = key_of(str(fields["name"]))
        stmt = (update(DistributionPointRow)
                .where(DistributionPointRow.name_key == key_of(name), DistributionPointRow.version == expected_version)
                .values(version=DistributionPointRow.version + 1, modified_at=at, modified_by=user, **fields)
                .execution_options(synchronize_session=False))
        try:
            with self._s.begin_nested():
                result = self._s.execute(stmt)
        except IntegrityError:
            raise DuplicateNameError.single("Name", f"there is already a distribution point named "
                                            f"{fields['name']!r} in this site (names are compared without case)") from None
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def dp_modified(self, name: str) -> tuple[str, datetime | None, int] | None:
        row = self._dp_row(name)
        return (row.modified_by, utc_or_none(row.modified_at), row.version) if row else None

    def record_contact(self, name: str, free_bytes: int | None, at: datetime) -> None:
        self.changed = True  # the content change counter goes up after the commit
        self._s.execute(update(DistributionPointRow).where(DistributionPointRow.name_key == key_of(name))
                        .values(free_bytes=free_bytes, last_contact=at).execution_options(synchronize_session=False))

    def delete_dp(self, name: str) -> None:
        self.changed = True  # the content change counter goes up after the commit
        row = self._dp_row(name)
        if row is None:
            return
        self._delete_where(PackageDpRow.dp_id == row.id)
        self._s.execute(delete(DpGroupMemberRow).where(DpGroupMemberRow.dp_id == row.id))
        self._s.execute(delete(DpContentSummaryRow).where(DpContentSummaryRow.dp_id == row.id))
        self._s.execute(delete(DistributionPointRow).where(DistributionPointRow.id == row.id))

    def missing_dps(self, names: Sequence[str]) -> builtins.list[str]:
        found = self._dp_ids(names)
        return [n for n in names if key_of(n) not in found]

    # -- groups ------------------------------------------------------------------------------

    def _group_row(self, name: str) -> DpGroupRow | None:
        return self._s.scalars(select(DpGroupRow).where(DpGroupRow.name_key == key_of(name))).first()

    def _group(self, row: DpGroupRow) -> DpGroup:
        members = self._s.scalars(
            select(DistributionPointRow.name).join(DpGroupMemberRow, DpGroupMemberRow.dp_id == DistributionPointRow.id)
            .where(DpGroupMemberRow.group_id == row.id).order_by(DistributionPointRow.name_key))
        return DpGroup(row.name, row.description, tuple(members), row.id, row.version)

    def add_group(self, group: DpGroup, *, at: datetime, user: str) -> DpGroup:
        self.changed = True  # the content change counter goes up after the commit
        row = DpGroupRow(name=group.name, name_key=key_of(group.name), description=group.description, version=1,
                         created_at=at, modified_at=at, modified_by=user)
        self._s.add(row)
        self._flush_unique("distribution point group", group.name)
        self.add_members(group.name, group.members)
        return self._group(row)

    def get_group(self, name: str) -> DpGroup | None:
        row = self._group_row(name)
        return self._group(row) if row else None

    def list_groups(self) -> builtins.list[DpGroup]:
        return [self._group(r) for r in self._s.scalars(select(DpGroupRow).order_by(DpGroupRow.name_key))]

    def update_group(self, name: str, values: Mapping[str, Any], *, expected_version: int, at: datetime,
                     user: str) -> bool:
        self.changed = True  # the content change counter goes up after the commit
        fields = dict(values)
        if "name" in fields:
            fields["name_key"] = key_of(str(fields["name"]))
        stmt = (update(DpGroupRow).where(DpGroupRow.name_key == key_of(name), DpGroupRow.version == expected_version)
                .values(version=DpGroupRow.version + 1, modified_at=at, modified_by=user, **fields)
                .execution_options(synchronize_session=False))
        try:
            with self._s.begin_nested():
                result = self._s.execute(stmt)
        except IntegrityError:
            raise DuplicateNameError.single("Name", f"there is already a distribution point group named "
                                            f"{fields['name']!r} in this site") from None
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def group_modified(self, name: str) -> tuple[str, datetime | None, int] | None:
        row = self._group_row(name)
        return (row.modified_by, utc_or_none(row.modified_at), row.version) if row else None

    def delete_group(self, name: str) -> None:
        self.changed = True  # the content change counter goes up after the commit
        row = self._group_row(name)
        if row is not None:
            self._s.execute(delete(DpGroupMemberRow).where(DpGroupMemberRow.group_id == row.id))
            self._s.execute(delete(DpGroupPackageRow).where(DpGroupPackageRow.group_id == row.id))
            self._s.execute(delete(DpGroupRow).where(DpGroupRow.id == row.id))

    def _members(self, group_id: int) -> set[int]:
        return set(self._s.scalars(select(DpGroupMemberRow.dp_id).where(DpGroupMemberRow.group_id == group_id)))

    def add_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]:
        self.changed = True  # the content change counter goes up after the commit
        row = self._group_row(group)
        assert row is not None
        ids, present = self._dp_ids(dp_names), self._members(row.id)
        added = [n for n in dict.fromkeys(dp_names) if ids.get(key_of(n)) not in present and key_of(n) in ids]
        self._s.add_all([DpGroupMemberRow(group_id=row.id, dp_id=ids[key_of(n)]) for n in added])
        self._s.flush()
        return added

    def remove_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]:
        self.changed = True  # the content change counter goes up after the commit
        row = self._group_row(group)
        assert row is not None
        ids, present = self._dp_ids(dp_names), self._members(row.id)
        removed = [n for n in dict.fromkeys(dp_names) if ids.get(key_of(n)) in present]
        if removed:
            self._s.execute(delete(DpGroupMemberRow).where(
                DpGroupMemberRow.group_id == row.id, DpGroupMemberRow.dp_id.in_([ids[key_of(n)] for n in removed])))
        return removed

    def group_packages(self, group: str) -> builtins.list[str]:
        row = self._group_row(group)
        if row is None:
            return []
        return list(self._s.scalars(select(DpGroupPackageRow.package_id).where(DpGroupPackageRow.group_id == row.id)
                                    .order_by(DpGroupPackageRow.package_id)))

    def add_group_package(self, group: str, package_id: str) -> bool:
        self.changed = True  # the content change counter goes up after the commit
        row = self._group_row(group)
        assert row is not None
        if self._s.get(DpGroupPackageRow, (row.id, package_id)) is not None:
            return False
        try:
            with self._s.begin_nested():  # another console may assign it at the same moment (PostgreSQL)
                self._s.add(DpGroupPackageRow(group_id=row.id, package_id=package_id))
        except IntegrityError as exc:
            if not is_unique_violation(exc.orig):
                raise
            return False
        return True

    def groups_of_package(self, package_id: str) -> builtins.list[str]:
        return list(self._s.scalars(select(DpGroupRow.name).join(DpGroupPackageRow, DpGroupPackageRow.group_id == DpGroupRow.id)
                                    .where(DpGroupPackageRow.package_id == package_id).order_by(DpGroupRow.name_key)))
