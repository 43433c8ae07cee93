"""Distribution points, groups and (package, DP) rows in the site database.

Counters: every change of a ``package_dp`` row's state adds and subtracts on the
``package_content_summary`` and ``dp_content_summary`` rows in the same transaction, with
``col = col + n`` updates (two transactions changing different rows of one package never lose
a count). On PostgreSQL the rows being changed are locked (``FOR UPDATE``) before their old
state is read; on SQLite the writing transaction holds the database's write lock already.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.core.distribution import ContentSummary, DistributionPoint, DpGroup, DpState, PackageOnDp, TransportKind
from console.core.distribution_store import STATE_FIELDS, ContentQuery, StateChange
from console.core.errors import DuplicateNameError
from console.core.values import as_utc
from console.storage.distribution_schema import (
    BUCKET_COLUMNS,
    DistributionPointRow,
    DpContentSummaryRow,
    DpGroupMemberRow,
    DpGroupPackageRow,
    DpGroupRow,
    PackageContentSummaryRow,
    PackageDpRow,
)

DP_FIELDS = ("name", "transport", "address", "site_code", "description", "credential", "username", "pxe",
             "maintenance", "rate_limit_kbps", "schedule", "concurrency", "library_root")
COUNTERS = ("targeted", "success", "in_progress", "errors", "unknown")
#: rows per statement when reading old states of a batch
BATCH = 500


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _key(name: str) -> str:
    return name.strip().lower()


def _deltas(old: DpState | None, new: DpState | None) -> Counter[str]:
    delta: Counter[str] = Counter()
    if old is not None:
        delta["targeted"] -= 1
        delta[BUCKET_COLUMNS[old.bucket]] -= 1
    if new is not None:
        delta["targeted"] += 1
        delta[BUCKET_COLUMNS[new.bucket]] += 1
    return delta


class SqlDistributionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @property
    def _postgres(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    # -- distribution points ----------------------------------------------------------------

    def _dp(self, row: DistributionPointRow, groups: tuple[str, ...]) -> DistributionPoint:
        return DistributionPoint(
            name=row.name, transport=TransportKind(row.transport), address=row.address, site_code=row.site_code,
            description=row.description, credential=row.credential, username=row.username, pxe=row.pxe,
            maintenance=row.maintenance, rate_limit_kbps=row.rate_limit_kbps, schedule=row.schedule,
            concurrency=row.concurrency, library_root=row.library_root, id=row.id, version=row.version,
            free_bytes=row.free_bytes, last_contact=_utc(row.last_contact), groups=groups)

    def _group_names(self, dp_ids: Sequence[int] | None = None) -> dict[int, tuple[str, ...]]:
        stmt = (select(DpGroupMemberRow.dp_id, DpGroupRow.name)
                .join(DpGroupRow, DpGroupRow.id == DpGroupMemberRow.group_id).order_by(func.lower(DpGroupRow.name)))
        if dp_ids is not None:
            stmt = stmt.where(DpGroupMemberRow.dp_id.in_(list(dp_ids)))
        names: dict[int, list[str]] = {}
        for dp_id, name in self._s.execute(stmt):
            names.setdefault(dp_id, []).append(name)
        return {k: tuple(v) for k, v in names.items()}

    def _dp_row(self, name: str) -> DistributionPointRow | None:
        return self._s.scalars(select(DistributionPointRow).where(DistributionPointRow.name_key == _key(name))).first()

    def _dps(self, names: Iterable[str]) -> dict[str, tuple[int, str]]:
        """lower-case name -> (id, name as stored) for the names that exist."""
        keys = sorted({_key(n) for n in names})
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), BATCH):
            stmt = select(DistributionPointRow.name_key, DistributionPointRow.id, DistributionPointRow.name).where(
                DistributionPointRow.name_key.in_(keys[i:i + BATCH]))
            found.update({k: (i, n) for k, i, n in self._s.execute(stmt)})
        return found

    def _dp_ids(self, names: Iterable[str]) -> dict[str, int]:
        """lower-case name -> id for the names that exist."""
        return {k: v[0] for k, v in self._dps(names).items()}

    def _flush_unique(self, what: str, name: str) -> None:
        try:
            with self._s.begin_nested():
                self._s.flush()
        except IntegrityError:
            raise DuplicateNameError.single("Name", f"there is already a {what} named {name!r} in this site "
                                            "(names are compared without case)") from None

    def add_dp(self, dp: DistributionPoint, *, at: datetime, user: str) -> DistributionPoint:
        row = DistributionPointRow(name_key=_key(dp.name), version=1, created_at=at, modified_at=at, modified_by=user,
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
        fields = {k: (str(v) if k == "transport" else v) for k, v in values.items()}
        if "name" in fields:
            fields["name_key"] = _key(str(fields["name"]))
        stmt = (update(DistributionPointRow)
                .where(DistributionPointRow.name_key == _key(name), DistributionPointRow.version == expected_version)
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
        return (row.modified_by, _utc(row.modified_at), row.version) if row else None

    def record_contact(self, name: str, free_bytes: int | None, at: datetime) -> None:
        self._s.execute(update(DistributionPointRow).where(DistributionPointRow.name_key == _key(name))
                        .values(free_bytes=free_bytes, last_contact=at).execution_options(synchronize_session=False))

    def delete_dp(self, name: str) -> None:
        row = self._dp_row(name)
        if row is None:
            return
        self._delete_where(PackageDpRow.dp_id == row.id)
        self._s.execute(delete(DpGroupMemberRow).where(DpGroupMemberRow.dp_id == row.id))
        self._s.execute(delete(DpContentSummaryRow).where(DpContentSummaryRow.dp_id == row.id))
        self._s.execute(delete(DistributionPointRow).where(DistributionPointRow.id == row.id))

    def missing_dps(self, names: Sequence[str]) -> builtins.list[str]:
        found = self._dp_ids(names)
        return [n for n in names if _key(n) not in found]

    # -- groups ------------------------------------------------------------------------------

    def _group_row(self, name: str) -> DpGroupRow | None:
        return self._s.scalars(select(DpGroupRow).where(DpGroupRow.name_key == _key(name))).first()

    def _group(self, row: DpGroupRow) -> DpGroup:
        members = self._s.scalars(
            select(DistributionPointRow.name).join(DpGroupMemberRow, DpGroupMemberRow.dp_id == DistributionPointRow.id)
            .where(DpGroupMemberRow.group_id == row.id).order_by(DistributionPointRow.name_key))
        return DpGroup(row.name, row.description, tuple(members), row.id, row.version)

    def add_group(self, group: DpGroup, *, at: datetime, user: str) -> DpGroup:
        row = DpGroupRow(name=group.name, name_key=_key(group.name), description=group.description, version=1,
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
        fields = dict(values)
        if "name" in fields:
            fields["name_key"] = _key(str(fields["name"]))
        stmt = (update(DpGroupRow).where(DpGroupRow.name_key == _key(name), DpGroupRow.version == expected_version)
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
        return (row.modified_by, _utc(row.modified_at), row.version) if row else None

    def delete_group(self, name: str) -> None:
        row = self._group_row(name)
        if row is not None:
            self._s.execute(delete(DpGroupMemberRow).where(DpGroupMemberRow.group_id == row.id))
            self._s.execute(delete(DpGroupPackageRow).where(DpGroupPackageRow.group_id == row.id))
            self._s.execute(delete(DpGroupRow).where(DpGroupRow.id == row.id))

    def _members(self, group_id: int) -> set[int]:
        return set(self._s.scalars(select(DpGroupMemberRow.dp_id).where(DpGroupMemberRow.group_id == group_id)))

    def add_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]:
        row = self._group_row(group)
        assert row is not None
        ids, present = self._dp_ids(dp_names), self._members(row.id)
        added = [n for n in dict.fromkeys(dp_names) if ids.get(_key(n)) not in present and _key(n) in ids]
        self._s.add_all([DpGroupMemberRow(group_id=row.id, dp_id=ids[_key(n)]) for n in added])
        self._s.flush()
        return added

    def remove_members(self, group: str, dp_names: Sequence[str]) -> builtins.list[str]:
        row = self._group_row(group)
        assert row is not None
        ids, present = self._dp_ids(dp_names), self._members(row.id)
        removed = [n for n in dict.fromkeys(dp_names) if ids.get(_key(n)) in present]
        if removed:
            self._s.execute(delete(DpGroupMemberRow).where(
                DpGroupMemberRow.group_id == row.id, DpGroupMemberRow.dp_id.in_([ids[_key(n)] for n in removed])))
        return removed

    def group_packages(self, group: str) -> builtins.list[str]:
        row = self._group_row(group)
        if row is None:
            return []
        return list(self._s.scalars(select(DpGroupPackageRow.package_id).where(DpGroupPackageRow.group_id == row.id)
                                    .order_by(DpGroupPackageRow.package_id)))

    def add_group_package(self, group: str, package_id: str) -> bool:
        row = self._group_row(group)
        assert row is not None
        if self._s.get(DpGroupPackageRow, (row.id, package_id)) is not None:
            return False
        self._s.add(DpGroupPackageRow(group_id=row.id, package_id=package_id))
        self._s.flush()
        return True

    def groups_of_package(self, package_id: str) -> builtins.list[str]:
        return list(self._s.scalars(select(DpGroupRow.name).join(DpGroupPackageRow, DpGroupPackageRow.group_id == DpGroupRow.id)
                                    .where(DpGroupPackageRow.package_id == package_id).order_by(DpGroupRow.name_key)))

    # -- (package, DP) rows and counters -------------------------------------------------------

    def _ensure_summaries(self, package_ids: Iterable[str]) -> None:
        values = [{"package_id": p, **{c: 0 for c in COUNTERS}} for p in sorted(set(package_ids))]
        if not values:
            return
        insert = postgresql.insert if self._postgres else sqlite.insert
        self._s.execute(insert(PackageContentSummaryRow).values(values).on_conflict_do_nothing())

    def _bump(self, per_package: Mapping[str, Counter[str]], per_dp: Mapping[int, Counter[str]]) -> None:
        self._ensure_summaries(p for p, d in per_package.items() if any(d.values()))
        for table, column, deltas in ((PackageContentSummaryRow, PackageContentSummaryRow.package_id, per_package),
                                      (DpContentSummaryRow, DpContentSummaryRow.dp_id, per_dp)):
            alike: dict[tuple[tuple[str, int], ...], list[Any]] = {}
            for key, delta in deltas.items():  # one UPDATE for every key with the same change
                change = tuple(sorted((c, n) for c, n in delta.items() if n))
                if change:
                    alike.setdefault(change, []).append(key)
            for change, keys in sorted(alike.items()):
                values = {c: getattr(table, c) + n for c, n in change}
                keys.sort()
                for i in range(0, len(keys), BATCH):
                    self._s.execute(update(table).where(column.in_(keys[i:i + BATCH])).values(**values)
                                    .execution_options(synchronize_session=False))

    def assign(self, package_id: str, dp_names: Sequence[str], *, direct: bool, target_version: int,
               at: datetime) -> builtins.list[str]:
        dps = self._dps(dp_names)
        wanted = {dps[_key(n)][0]: dps[_key(n)][1] for n in dp_names if _key(n) in dps}
        if direct and wanted:
            self._s.execute(update(PackageDpRow).where(PackageDpRow.package_id == package_id,
                                                       PackageDpRow.dp_id.in_(list(wanted)),
                                                       PackageDpRow.direct.is_(False)).values(direct=True)
                            .execution_options(synchronize_session=False))
        state = DpState.INSTALL_PENDING
        insert = postgresql.insert if self._postgres else sqlite.insert
        ids = list(wanted)
        created: list[int] = []
        for i in range(0, len(ids), BATCH):  # ON CONFLICT: a row another console just made stays as it is
            values = [{"package_id": package_id, "dp_id": d, "state": int(state), "direct": direct,
                       "source_version": 0, "target_version": target_version, "last_copied": None, "bytes_done": 0,
                       "bytes_total": 0, "last_error": "", "error_cause": "", "next_retry": None, "updated_at": at}
                      for d in ids[i:i + BATCH]]
            stmt = insert(PackageDpRow).values(values).on_conflict_do_nothing().returning(PackageDpRow.dp_id)
            created.extend(self._s.scalars(stmt))
        if created:
            delta = _deltas(None, state)
            self._bump({package_id: Counter({k: v * len(created) for k, v in delta.items()})},
                       {d: delta for d in created})
        done = set(created)
        return [name for d, name in wanted.items() if d in done]

    def _row(self, row: PackageDpRow, dp_name: str, groups: tuple[str, ...] = ()) -> PackageOnDp:
        return PackageOnDp(
            package_id=row.package_id, dp_name=dp_name, state=DpState(row.state), source_version=row.source_version,
            target_version=row.target_version, last_copied=_utc(row.last_copied), bytes_done=row.bytes_done,
            bytes_total=row.bytes_total, last_error=row.last_error, error_cause=row.error_cause,
            next_retry=_utc(row.next_retry), via_groups=groups, updated_at=_utc(row.updated_at))

    def _via_groups(self, package_id: str, dp_id: int) -> tuple[str, ...]:
        stmt = (select(DpGroupRow.name).join(DpGroupPackageRow, DpGroupPackageRow.group_id == DpGroupRow.id)
                .join(DpGroupMemberRow, DpGroupMemberRow.group_id == DpGroupRow.id)
                .where(DpGroupPackageRow.package_id == package_id, DpGroupMemberRow.dp_id == dp_id)
                .order_by(DpGroupRow.name_key))
        return tuple(self._s.scalars(stmt))

    def get_row(self, package_id: str, dp_name: str) -> PackageOnDp | None:
        dp = self._dp_row(dp_name)
        if dp is None:
            return None
        row = self._s.get(PackageDpRow, (package_id, dp.id), populate_existing=True)
        return self._row(row, dp.name, self._via_groups(package_id, dp.id)) if row else None

    def _old_states(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], DpState]:
        old: dict[tuple[str, int], DpState] = {}
        for i in range(0, len(keys), BATCH):
            part = keys[i:i + BATCH]
            stmt = select(PackageDpRow.package_id, PackageDpRow.dp_id, PackageDpRow.state).where(
                or_(*(and_(PackageDpRow.package_id == p, PackageDpRow.dp_id == d) for p, d in part)))
            if self._postgres:
                stmt = stmt.with_for_update()
            old.update({(p, d): DpState(s) for p, d, s in self._s.execute(stmt)})
        return old

    def set_states(self, changes: Sequence[StateChange], *, at: datetime) -> int:
        ids = self._dp_ids(c.dp_name for c in changes)
        wanted = [(c, (c.package_id, ids[_key(c.dp_name)])) for c in changes if _key(c.dp_name) in ids]
        old = self._old_states(sorted({k for _, k in wanted}))
        per_package: dict[str, Counter[str]] = {}
        per_dp: dict[int, Counter[str]] = {}
        done = 0
        for change, key in wanted:
            if key not in old:
                continue
            fields = {k: v for k, v in change.fields.items() if k in STATE_FIELDS}
            self._s.execute(update(PackageDpRow).where(PackageDpRow.package_id == key[0], PackageDpRow.dp_id == key[1])
                            .values(state=int(change.state), updated_at=at, **fields)
                            .execution_options(synchronize_session=False))
            delta = _deltas(old[key], change.state)
            per_package.setdefault(key[0], Counter()).update(delta)
            per_dp.setdefault(key[1], Counter()).update(delta)
            old[key] = change.state
            done += 1
        self._bump(per_package, per_dp)
        return done

    def _delete_where(self, condition: Any) -> int:
        rows = self._s.execute(select(PackageDpRow.package_id, PackageDpRow.dp_id, PackageDpRow.state)
                               .where(condition)).all()
        per_package: dict[str, Counter[str]] = {}
        per_dp: dict[int, Counter[str]] = {}
        for package_id, dp_id, state in rows:
            delta = _deltas(DpState(state), None)
            per_package.setdefault(package_id, Counter()).update(delta)
            per_dp.setdefault(dp_id, Counter()).update(delta)
        self._s.execute(delete(PackageDpRow).where(condition).execution_options(synchronize_session=False))
        self._bump(per_package, per_dp)
        return len(rows)

    def delete_rows(self, package_id: str, dp_names: Sequence[str]) -> int:
        ids = list(self._dp_ids(dp_names).values())
        if not ids:
            return 0
        return self._delete_where(and_(PackageDpRow.package_id == package_id, PackageDpRow.dp_id.in_(ids)))

    def query_rows(self, query: ContentQuery) -> tuple[builtins.list[PackageOnDp], int]:
        stmt = select(PackageDpRow, DistributionPointRow.name).join(
            DistributionPointRow, DistributionPointRow.id == PackageDpRow.dp_id)
        conditions: list[Any] = []
        if query.package_id is not None:
            conditions.append(PackageDpRow.package_id == query.package_id)
        if query.dp_name is not None:
            conditions.append(DistributionPointRow.name_key == _key(query.dp_name))
        if query.states:
            conditions.append(PackageDpRow.state.in_([int(s) for s in query.states]))
        if query.text:
            needle = f"%{query.text.strip().lower()}%"
            conditions.append(or_(DistributionPointRow.name_key.like(needle), func.lower(PackageDpRow.package_id).like(needle),
                                  func.lower(PackageDpRow.last_error).like(needle)))
        stmt = stmt.where(*conditions)
        order = ((DistributionPointRow.name_key,) if query.package_id is not None else (PackageDpRow.package_id,))
        page = stmt.order_by(*order).offset(query.offset)
        if query.limit is not None:
            page = page.limit(query.limit)
        items = [self._row(row, name) for row, name in self._s.execute(page)]
        total = self._count(query, conditions, len(items))
        return items, total

    def _count(self, query: ContentQuery, conditions: list[Any], page_len: int) -> int:
        if query.limit is None or (query.offset == 0 and page_len < query.limit):
            return query.offset + page_len
        if query.package_id is not None and not query.text and query.dp_name is None:
            summary = self.package_summary(query.package_id)  # the counters answer without a scan
            if not query.states:
                return summary.targeted
            by_state = self._s.execute(select(PackageDpRow.state, func.count()).where(
                PackageDpRow.package_id == query.package_id, PackageDpRow.state.in_([int(s) for s in query.states]))
                .group_by(PackageDpRow.state)).all()
            return sum(n for _, n in by_state)
        stmt = select(func.count()).select_from(PackageDpRow).join(
            DistributionPointRow, DistributionPointRow.id == PackageDpRow.dp_id).where(*conditions)
        return int(self._s.scalar(stmt) or 0)

    def dps_of_package(self, package_id: str) -> builtins.list[str]:
        return list(self._s.scalars(select(DistributionPointRow.name).join(PackageDpRow, PackageDpRow.dp_id == DistributionPointRow.id)
                                    .where(PackageDpRow.package_id == package_id).order_by(DistributionPointRow.name_key)))

    @staticmethod
    def _summary(key: str, row: Any) -> ContentSummary:
        if row is None:
            return ContentSummary(key)
        return ContentSummary(key, row.targeted, row.success, row.in_progress, row.errors, row.unknown)

    def package_summary(self, package_id: str) -> ContentSummary:
        return self._summary(package_id, self._s.get(PackageContentSummaryRow, package_id, populate_existing=True))

    def package_summaries(self, package_ids: Sequence[str] | None, *, offset: int,
                          limit: int | None) -> builtins.list[ContentSummary]:
        stmt = select(PackageContentSummaryRow).where(PackageContentSummaryRow.targeted > 0).order_by(
            PackageContentSummaryRow.package_id)
        if package_ids is not None:
            stmt = stmt.where(PackageContentSummaryRow.package_id.in_(list(package_ids)))
        stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [self._summary(r.package_id, r) for r in self._s.scalars(stmt)]

    def dp_summary(self, name: str) -> ContentSummary:
        row = self._dp_row(name)
        summary = self._s.get(DpContentSummaryRow, row.id, populate_existing=True) if row else None
        return self._summary(row.name if row else name, summary)

    def dp_summaries(self) -> dict[str, ContentSummary]:
        stmt = select(DistributionPointRow.name, DpContentSummaryRow).join(
            DpContentSummaryRow, DpContentSummaryRow.dp_id == DistributionPointRow.id)
        return {name: self._summary(name, row) for name, row in self._s.execute(stmt)}

    def recount(self) -> tuple[builtins.list[ContentSummary], builtins.list[ContentSummary]]:
        def count(key_col: Any, rows: Iterable[tuple[Any, int, int]]) -> dict[Any, Counter[str]]:
            result: dict[Any, Counter[str]] = {}
            for key, state, n in rows:
                delta = _deltas(None, DpState(state))
                result.setdefault(key, Counter()).update({k: v * n for k, v in delta.items()})
            return result

        by_pkg = count(PackageDpRow.package_id, self._s.execute(
            select(PackageDpRow.package_id, PackageDpRow.state, func.count()).group_by(
                PackageDpRow.package_id, PackageDpRow.state)))
        names = dict(self._s.execute(select(DistributionPointRow.id, DistributionPointRow.name)).all())
        by_dp = count(PackageDpRow.dp_id, self._s.execute(
            select(PackageDpRow.dp_id, PackageDpRow.state, func.count()).group_by(
                PackageDpRow.dp_id, PackageDpRow.state)))

        def summaries(counts: dict[Any, Counter[str]], label: Any) -> builtins.list[ContentSummary]:
            return [ContentSummary(str(label(k)), *(c[col] for col in COUNTERS)) for k, c in sorted(counts.items())]

        return summaries(by_pkg, str), summaries(by_dp, lambda k: names[k])


