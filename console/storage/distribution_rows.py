"""The (package, DP) rows and the Content Status counters (the base of
``SqlDistributionRepository``).

Counters: every change of a ``package_dp`` row's state adds and subtracts on the
``package_content_summary`` and ``dp_content_summary`` rows in the same transaction, with
``col = col + n`` updates (two transactions changing different rows of one package never lose
a count). On PostgreSQL the rows being changed are locked (``FOR UPDATE``) before their old
state is read; on SQLite the writing transaction holds the database's write lock already.
Counter rows are updated in key order (deadlock-free on PostgreSQL) unless there are many.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from console.core.distribution import ContentSummary, DpState, PackageOnDp
from console.core.distribution_store import STATE_FIELDS, ContentQuery, StateChange
from console.core.values import as_utc
from console.storage.distribution_schema import (
    BUCKET_COLUMNS,
    ContentChangeRow,
    DistributionPointRow,
    DpContentSummaryRow,
    DpGroupMemberRow,
    DpGroupPackageRow,
    DpGroupRow,
    PackageContentSummaryRow,
    PackageDpRow,
)
from console.storage.statements import dialect_insert

COUNTERS = ("targeted", "success", "in_progress", "errors", "unknown")
#: rows per statement when reading old states of a batch
BATCH = 500
#: up to this many counter rows are updated one by one, in key order
FEW = 64
#: ``dp_summary_page(show=...)``: which DPs' counters are listed
SHOW_CONDITIONS: dict[str, Any] = {
    "errors": lambda: DpContentSummaryRow.errors > 0,
    "in_progress": lambda: DpContentSummaryRow.in_progress > 0,
    "incomplete": lambda: DpContentSummaryRow.success < DpContentSummaryRow.targeted,
}
#: the same filters on the per-package counters (each has a partial index, migration 0011)
PACKAGE_SHOW_CONDITIONS: dict[str, Any] = {
    "errors": lambda: PackageContentSummaryRow.errors > 0,
    "in_progress": lambda: PackageContentSummaryRow.in_progress > 0,
    "incomplete": lambda: PackageContentSummaryRow.success < PackageContentSummaryRow.targeted,
}


def utc_or_none(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def key_of(name: str) -> str:
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


def bump_change_counter(session: Session) -> None:
    """The content change counter goes up, in the session's current transaction (the caller
    commits; a short transaction of its own, after the change's commit)."""
    moved = session.execute(update(ContentChangeRow).where(ContentChangeRow.id == 1).values(
        counter=ContentChangeRow.counter + 1).execution_options(synchronize_session=False))
    if not getattr(moved, "rowcount", 1):  # a database made without the migration's row
        session.add(ContentChangeRow(id=1, counter=1))


class PackageDpStore:
    def __init__(self, session: Session) -> None:
        self._s = session
        #: a write method ran: the unit of work bumps the content change counter after its commit
        self.changed = False

    @property
    def _postgres(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    def _dp_row(self, name: str) -> DistributionPointRow | None:
        return self._s.scalars(select(DistributionPointRow).where(DistributionPointRow.name_key == key_of(name))).first()

    def _dps(self, names: Iterable[str]) -> dict[str, tuple[int, str]]:
        """lower-case name -> (id, name as stored) for the names that exist."""
        keys = sorted({key_of(n) for n in names})
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), BATCH):
            stmt = select(DistributionPointRow.name_key, DistributionPointRow.id, DistributionPointRow.name).where(
                DistributionPointRow.name_key.in_(keys[i:i + BATCH]))
            found.update({k: (i, n) for k, i, n in self._s.execute(stmt)})
        return found

    def _dp_ids(self, names: Iterable[str]) -> dict[str, int]:
        """lower-case name -> id for the names that exist."""
        return {k: v[0] for k, v in self._dps(names).items()}

    # -- (package, DP) rows and counters -------------------------------------------------------

    def _ensure_summaries(self, package_ids: Iterable[str]) -> None:
        values = [{"package_id": p, **{c: 0 for c in COUNTERS}} for p in sorted(set(package_ids))]
        if not values:
            return
        insert = dialect_insert("postgresql" if self._postgres else "sqlite")
        self._s.execute(insert(PackageContentSummaryRow).values(values).on_conflict_do_nothing())

    def _bump(self, per_package: Mapping[str, Counter[str]], per_dp: Mapping[int, Counter[str]]) -> None:
        self._ensure_summaries(p for p, d in per_package.items() if any(d.values()))
        for table, column, deltas in ((PackageContentSummaryRow, PackageContentSummaryRow.package_id, per_package),
                                      (DpContentSummaryRow, DpContentSummaryRow.dp_id, per_dp)):
            if len(deltas) <= FEW:  # key order: two transactions never lock counters in opposite orders
                for key, delta in sorted(deltas.items()):
                    values = {c: getattr(table, c) + n for c, n in delta.items() if n}
                    if values:
                        self._s.execute(update(table).where(column == key).values(**values)
                                        .execution_options(synchronize_session=False))
                continue
            alike: dict[tuple[tuple[str, int], ...], list[Any]] = {}
            for key, delta in deltas.items():  # many keys: one UPDATE for every key with the same change
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
        self.changed = True  # the content change counter goes up after the commit
        dps = self._dps(dp_names)
        wanted = {dps[key_of(n)][0]: dps[key_of(n)][1] for n in dp_names if key_of(n) in dps}
        if direct and wanted:
            self._s.execute(update(PackageDpRow).where(PackageDpRow.package_id == package_id,
                                                       PackageDpRow.dp_id.in_(list(wanted)),
                                                       PackageDpRow.direct.is_(False)).values(direct=True)
                            .execution_options(synchronize_session=False))
        state = DpState.INSTALL_PENDING
        insert = dialect_insert("postgresql" if self._postgres else "sqlite")
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

    def forget_package(self, package_id: str) -> None:
        self.changed = True  # the content change counter goes up after the commit
        self._s.execute(delete(DpGroupPackageRow).where(DpGroupPackageRow.package_id == package_id))
        self._s.execute(delete(PackageContentSummaryRow).where(PackageContentSummaryRow.package_id == package_id))

    def _row(self, row: PackageDpRow, dp_name: str, groups: tuple[str, ...] = ()) -> PackageOnDp:
        return PackageOnDp(
            package_id=row.package_id, dp_name=dp_name, state=DpState(row.state), source_version=row.source_version,
            target_version=row.target_version, last_copied=utc_or_none(row.last_copied), bytes_done=row.bytes_done,
            bytes_total=row.bytes_total, last_error=row.last_error, error_cause=row.error_cause,
            next_retry=utc_or_none(row.next_retry), via_groups=groups, updated_at=utc_or_none(row.updated_at))

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
        self.changed = True  # the content change counter goes up after the commit
        ids = self._dp_ids(c.dp_name for c in changes)
        wanted = [(c, (c.package_id, ids[key_of(c.dp_name)])) for c in changes if key_of(c.dp_name) in ids]
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
        self.changed = True  # the content change counter goes up after the commit
        stmt = select(PackageDpRow.package_id, PackageDpRow.dp_id, PackageDpRow.state).where(condition)
        if self._postgres:  # the state as it is once ours (a concurrent change commits first)
            stmt = stmt.with_for_update()
        rows = self._s.execute(stmt).all()
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
            conditions.append(DistributionPointRow.name_key == key_of(query.dp_name))
        if query.states:
            conditions.append(PackageDpRow.state.in_([int(s) for s in query.states]))
        if query.text:
            needle = f"%{query.text.strip().lower()}%"
            conditions.append(or_(DistributionPointRow.name_key.like(needle), func.lower(PackageDpRow.package_id).like(needle),
                                  func.lower(PackageDpRow.last_error).like(needle)))
        if query.after is not None and query.package_id is not None:
            conditions.append(DistributionPointRow.name_key > key_of(query.after))
        elif query.after is not None:
            conditions.append(PackageDpRow.package_id > query.after)
        stmt = stmt.where(*conditions)
        order = ((DistributionPointRow.name_key,) if query.package_id is not None
                 else (PackageDpRow.package_id,) if query.dp_name is not None else (PackageDpRow.package_id, PackageDpRow.dp_id))
        keyset = query.after is not None
        page = stmt.order_by(*order).offset(0 if keyset else query.offset)
        if query.limit is not None:
            page = page.limit(query.limit)
        found = list(self._s.execute(page))
        groups = self._groups_of_pairs({(row.package_id, row.dp_id) for row, _ in found})
        items = [self._row(row, name, groups.get((row.package_id, row.dp_id), ())) for row, name in found]
        if keyset:  # the page's rows were not counted from the start (the first page has the total)
            return items, -1
        total = self._count(query, conditions, len(items))
        return items, total

    def _groups_of_pairs(self, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, ...]]:
        """(package, DP) -> the groups through which the package is assigned to the DP."""
        if not pairs:
            return {}
        stmt = (select(DpGroupPackageRow.package_id, DpGroupMemberRow.dp_id, DpGroupRow.name)
                .join(DpGroupMemberRow, DpGroupMemberRow.group_id == DpGroupPackageRow.group_id)
                .join(DpGroupRow, DpGroupRow.id == DpGroupPackageRow.group_id)
                .where(DpGroupPackageRow.package_id.in_(sorted({p for p, _ in pairs})),
                       DpGroupMemberRow.dp_id.in_(sorted({d for _, d in pairs})))
                .order_by(DpGroupRow.name_key))
        result: dict[tuple[str, int], list[str]] = {}
        for package_id, dp_id, name in self._s.execute(stmt):
            if (package_id, dp_id) in pairs:
                result.setdefault((package_id, dp_id), []).append(name)
        return {k: tuple(v) for k, v in result.items()}

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

    def installed_batch(self, after: tuple[str, int] | None, limit: int) -> builtins.list[tuple[str, int, str]]:
        stmt = (select(PackageDpRow.package_id, PackageDpRow.dp_id, DistributionPointRow.name)
                .join(DistributionPointRow, DistributionPointRow.id == PackageDpRow.dp_id)
                .where(PackageDpRow.state == int(DpState.INSTALLED))
                .order_by(PackageDpRow.package_id, PackageDpRow.dp_id).limit(limit))
        if after is not None:
            stmt = stmt.where(tuple_(PackageDpRow.package_id, PackageDpRow.dp_id) > tuple_(*after))
        return [(str(p), int(d), str(n)) for p, d, n in self._s.execute(stmt)]

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
                          limit: int | None, show: str = "", after: str | None = None) -> builtins.list[ContentSummary]:
        stmt = select(PackageContentSummaryRow).where(PackageContentSummaryRow.targeted > 0).order_by(
            PackageContentSummaryRow.package_id)
        if show:
            stmt = stmt.where(PACKAGE_SHOW_CONDITIONS[show]())
        if package_ids is not None:
            stmt = stmt.where(PackageContentSummaryRow.package_id.in_(list(package_ids)))
        if after is not None:
            stmt = stmt.where(PackageContentSummaryRow.package_id > after)
        else:
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

    def dp_summary_page(self, *, text: str = "", show: str = "", offset: int = 0,
                        limit: int | None = 100, after: str | None = None) -> tuple[builtins.list[ContentSummary], int]:
        """DPs' counters by name, searched and filtered, one page and the total: read in the
        order of the unique index on ``name_key`` (no sort of every DP). ``after``: the previous
        page's last DP name (keyset; the total is then not counted: -1)."""
        conditions: builtins.list[Any] = []
        if after is not None:
            conditions.append(DistributionPointRow.name_key > key_of(after))
            offset = 0
        if text.strip():
            conditions.append(DistributionPointRow.name_key.contains(key_of(text), autoescape=True))
        if show:
            conditions.append(SHOW_CONDITIONS[show]())
        stmt = select(DistributionPointRow.name, DpContentSummaryRow).join(
            DpContentSummaryRow, DpContentSummaryRow.dp_id == DistributionPointRow.id).where(*conditions).order_by(
            DistributionPointRow.name_key).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        items = [self._summary(name, row) for name, row in self._s.execute(stmt)]
        if after is not None:
            return items, -1
        if offset == 0 and (limit is None or len(items) < limit):
            return items, len(items)
        total = self._s.scalar(select(func.count()).select_from(DistributionPointRow).join(
            DpContentSummaryRow, DpContentSummaryRow.dp_id == DistributionPointRow.id).where(*conditions))
        return items, int(total or 0)

    def change_token(self) -> tuple[Any, ...]:
        """The content change counter (one row read by its key)."""
        return (int(self._s.scalar(select(ContentChangeRow.counter).where(ContentChangeRow.id == 1)) or 0),)

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


