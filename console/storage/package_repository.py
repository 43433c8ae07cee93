"""Boot image packages in the site database, as core ``PackageRecord`` values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Literal

from sqlalchemy import Integer, delete, func, literal_column, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from console.core.classdef import ClassDef
from console.core.errors import ValidationError
from console.core.instance import Instance
from console.core.ports import PackageQuery, PackageRecord
from console.core.services.package_rules import duplicate_name_error
from console.core.servicing import SourceFingerprint
from console.core.values import ValueCoercer, as_utc
from console.storage.package_counts import Folders, count_packages, folders_of, small_folders
from console.storage.package_paging import PagePlan, plan_page
from console.storage.schema import (
    PACKAGE_NAME_INDEX,
    DriverReferenceRow,
    FolderRow,
    OptionalComponentRow,
    PackageRow,
    ScheduleTokenRow,
)
from console.storage.schema import PACKAGE_SEARCH as PACKAGE_SEARCH

CHILD_PROPERTIES = ("OptionalComponents", "ReferencedDrivers", "RefreshSchedule")
BOOKKEEPING = ("extra_properties", "folder_id", "last_modified_by", "last_modified_at")
SEARCH_PROPERTIES = ("Name", "PackageID", "Version", "Description", "ImageOSVersion", "Language")
DRIVER_CLASS = "SMS_Driver_Details"
#: a page with a search text walks at most this many rows in sort order before it sorts the
#: text index's matches instead (a text that rare has few matches)
WALK_LIMIT = 5_000


def _column_map() -> dict[str, str]:
    return {
        col.info["cim"]: attr.key
        for attr in PackageRow.__mapper__.column_attrs
        for col in attr.columns
        if "cim" in col.info
    }


COLUMNS: dict[str, str] = _column_map()
SCHEDULE_COLUMNS: dict[str, str] = {
    col.info["cim"]: attr.key
    for attr in ScheduleTokenRow.__mapper__.column_attrs
    for col in attr.columns
    if "cim" in col.info
}


def search_text(values: Mapping[str, Any]) -> str:
    return "\n".join(str(values.get(name) or "") for name in SEARCH_PROPERTIES).casefold()


def like_pattern(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlPackageRepository:
    def __init__(self, session: Session, cls: ClassDef, coercer: ValueCoercer) -> None:
        self._s = session
        self._cls = cls
        self._coercer = coercer
        # (name, property, deferred, column attribute, child table) computed once: reading a
        # page of 200 packages must not re-derive qualifiers 12,000 times.
        self._plan = [
            (name, prop, prop.is_deferred, COLUMNS.get(name), name in CHILD_PROPERTIES)
            for name, prop in cls.properties.items()
        ]

    # -- writes --------------------------------------------------------------------------------

    def add(self, values: Mapping[str, Any], *, folder_id: int | None, modified_by: str, modified_at: datetime) -> None:
        columns, extras = self._split(values)
        row = PackageRow(
            **columns,
            extra_properties=extras,
            folder_id=folder_id,
            search_text=search_text(values),
            last_modified_by=modified_by,
            last_modified_at=modified_at,
        )
        with self._name_held(values, values["PackageID"]):
            self._s.add(row)
            self._s.flush()
        self._write_children(values["PackageID"], values)

    @contextmanager
    def _name_held(self, values: Mapping[str, Any], package_id: str) -> Iterator[None]:
        """Run a write that sets the name in a savepoint (opened before the row is added: opening
        one flushes what is pending): when another console committed the
        same name (without regard to case) since the check, the unique index refuses it and the
        refusal is the check's own DuplicateNameError."""
        if "Name" not in values:
            yield
            return
        try:
            with self._s.begin_nested():
                yield
        except IntegrityError as exc:
            if PACKAGE_NAME_INDEX not in str(exc.orig):
                raise
            name = str(values["Name"]).strip()
            owner = self.name_in_use(name, excluding=package_id) or "created by another console just now"
            raise duplicate_name_error(name, owner) from None

    def update(
        self,
        package_id: str,
        values: Mapping[str, Any],
        *,
        expected_version: str,
        new_version: str,
        modified_by: str,
        modified_at: datetime,
    ) -> bool:
        columns, extras = self._split(values)
        stmt = (
            update(PackageRow)
            .where(PackageRow.package_id == package_id, PackageRow.sedo_object_version == expected_version)
            .values(**columns, sedo_object_version=new_version, last_modified_by=modified_by, last_modified_at=modified_at)
            .execution_options(synchronize_session=False)
        )
        with self._name_held(values, package_id):
            updated = self._s.execute(stmt).rowcount  # type: ignore[attr-defined]
        if updated != 1:
            return False
        if extras:
            current = self._s.scalar(select(PackageRow.extra_properties).where(PackageRow.package_id == package_id)) or {}
            self._s.execute(
                update(PackageRow).where(PackageRow.package_id == package_id).values(extra_properties={**current, **extras})
            )
        if any(name in values for name in SEARCH_PROPERTIES):
            row = self._s.execute(
                select(*(getattr(PackageRow, COLUMNS[name]) for name in SEARCH_PROPERTIES)).where(
                    PackageRow.package_id == package_id
                )
            ).one()
            text = search_text(dict(zip(SEARCH_PROPERTIES, row, strict=True)))
            self._s.execute(update(PackageRow).where(PackageRow.package_id == package_id).values(search_text=text))
        self._write_children(package_id, values)
        self._s.expire_all()
        return True

    def delete(self, package_id: str) -> bool:
        for table in (OptionalComponentRow, DriverReferenceRow, ScheduleTokenRow):
            self._s.execute(delete(table).where(table.package_id == package_id))
        return self._s.execute(delete(PackageRow).where(PackageRow.package_id == package_id)).rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def move(self, package_ids: Sequence[str], folder_id: int | None) -> int:
        result = self._s.execute(
            update(PackageRow).where(PackageRow.package_id.in_(list(package_ids))).values(folder_id=folder_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def set_source_fingerprint(self, package_id: str, fingerprint: SourceFingerprint) -> None:
        mtime_ns = None if fingerprint.mtime is None else round(fingerprint.mtime * 1_000_000_000)
        self._s.execute(
            update(PackageRow).where(PackageRow.package_id == package_id)
            .values(source_file_size=fingerprint.size, source_file_mtime_ns=mtime_ns,
                    source_wim_guid=fingerprint.guid or None)
            .execution_options(synchronize_session=False)
        )

    # -- reads ---------------------------------------------------------------------------------

    def source_fingerprint(self, package_id: str) -> SourceFingerprint | None:
        row = self._s.execute(
            select(PackageRow.source_file_size, PackageRow.source_file_mtime_ns, PackageRow.source_wim_guid)
            .where(PackageRow.package_id == package_id)
        ).one_or_none()
        if row is None or (row[0] is None and row[1] is None and not row[2]):
            return None
        size, mtime_ns, guid = row
        return SourceFingerprint(size=size, mtime=None if mtime_ns is None else mtime_ns / 1_000_000_000, guid=guid or "")

    def get(self, package_id: str, *, lazy: bool) -> PackageRecord | None:
        stmt = select(PackageRow).where(PackageRow.package_id == package_id)
        if lazy:
            stmt = stmt.options(undefer("*"))
        row = self._s.scalars(stmt).one_or_none()
        if row is None:
            return None
        children = self._children([package_id]) if lazy else {}
        return self._record(row, lazy, children.get(package_id, {}))

    def count(self, query: PackageQuery) -> int:
        folders = folders_of(query, self._subtree)
        return count_packages(self._s, query, folders, lambda: self._conditions(query, folders=folders))

    def _walk(self, query: PackageQuery, plan: PagePlan, conditions: list[Any]) -> list[str] | None:
        """The keys of a page that starts at the top (or after a keyset row) with a search text:
        walk the sort index and test each row's text, stopping at the page's end (the walk is a
        co-routine of the outer LIMIT: SQLite reads no further). None when the first
        WALK_LIMIT rows hold too few matches (a rare text: the index's matches are then few
        enough to sort)."""
        assert plan.limit is not None
        walk = select(PackageRow.package_id, PACKAGE_SEARCH.contains(query.text).label("hit")).where(*conditions)
        if plan.condition is not None:
            walk = walk.where(plan.condition)
        walked = walk.order_by(*plan.order).limit(WALK_LIMIT).subquery()
        found = list(self._s.scalars(select(walked.c.package_id).where(walked.c.hit).limit(plan.limit)))
        return found if len(found) == plan.limit else None

    def query(self, query: PackageQuery, *, lazy: bool = False, count: bool = True) -> tuple[list[PackageRecord], int]:
        dialect = self._s.get_bind().dialect.name
        plan = plan_page(query, COLUMNS.get(query.sort, "name"), dialect)
        # At the top of the node (folder_id IS NULL: most packages) SQLite would pick the
        # folder_id index and sort every row; written "+folder_id" the test is read from the
        # sort index it walks (the index carries folder_id). A sub-folder keeps its index.
        folders = folders_of(query, self._subtree)
        walk_index = plan.index is not None and dialect == "sqlite" and folders in (None, "top")
        text = query.text.strip()
        conditions = self._conditions(query, folders=folders, folder_indexed=not walk_index or bool(text))
        total = count_packages(self._s, query, folders, lambda: conditions) if count else -1
        walked = None
        if walk_index and text and plan.limit is not None and plan.offset == 0 and not plan.reverse:
            walked = self._walk(query, plan, self._conditions(query, folders=folders, folder_indexed=False, text=False))
        if lazy:
            stmt: Any = select(PackageRow).options(undefer("*"))
        else:
            # A listing reads plain columns (no ORM objects): a page costs little beyond SQLite.
            attrs = [attr for name, _p, deferred, attr, child in self._plan
                     if attr is not None and (not deferred or name in query.include)]
            stmt = select(*(getattr(PackageRow, a) for a in [*attrs, *BOOKKEEPING]))
        if plan.limit is None:
            stmt = stmt.where(*conditions).order_by(*plan.order).offset(plan.offset)
        elif walked is not None:
            stmt = stmt.where(PackageRow.package_id.in_(walked)).order_by(*plan.order)
        else:
            # the page's keys first (a walk inside the sort index), then its columns
            keys: Any = select(PackageRow.package_id).where(*conditions)
            if plan.condition is not None:
                keys = keys.where(plan.condition)
            page = keys.order_by(*plan.order).offset(plan.offset).limit(plan.limit).subquery()
            stmt = stmt.join(page, PackageRow.package_id == page.c.package_id).order_by(*plan.order)
        rows = list(self._s.scalars(stmt)) if lazy else [SimpleNamespace(**r._mapping) for r in self._s.execute(stmt)]
        if plan.reverse:
            rows.reverse()
        wanted = lazy or any(name in CHILD_PROPERTIES for name in query.include)
        children = self._children([r.package_id for r in rows]) if wanted else {}
        return [self._record(r, lazy, children.get(r.package_id, {}), query.include) for r in rows], total

    def _conditions(self, query: PackageQuery, *, folders: Folders | Literal[False] = False,
                    folder_indexed: bool = True, text: bool = True) -> list[Any]:
        """The WHERE of ``query`` (``folders``: ``folders_of(query)`` when the caller has it)."""
        if folders is False:
            folders = folders_of(query, self._subtree)
        conditions: list[Any] = []
        if text and query.text.strip():
            # a small folder tests its rows' text; elsewhere the text index gives the matches
            each = small_folders(self._s, folders)
            conditions.append(PACKAGE_SEARCH.matches_each(self._s, query.text) if each
                              else PACKAGE_SEARCH.matches(self._s, query.text))
        for name, value in query.where.items():
            attr = COLUMNS.get(name)
            if attr is None:
                raise ValidationError.single(name, f"cannot filter on {name}: it is not stored as a column")
            conditions.append(getattr(PackageRow, attr) == value)
        folder: Any = PackageRow.folder_id if folder_indexed else literal_column("+boot_image_package.folder_id", Integer)
        if folders == "top":
            conditions.append(folder.is_(None))
        elif isinstance(folders, tuple):
            conditions.append(folder.in_(folders))
        return conditions

    def lock(self, package_id: str) -> None:
        """PostgreSQL: ``SELECT … FOR UPDATE`` of the package's row (a second save of it waits for
        the first to commit, then reads what it saved). SQLite: a writing unit of work already
        holds the database's write lock (``BEGIN IMMEDIATE``)."""
        if self._s.get_bind().dialect.name == "postgresql":
            self._s.execute(select(PackageRow.package_id).where(PackageRow.package_id == package_id).with_for_update())

    def name_in_use(self, name: str, *, excluding: str | None = None) -> str | None:
        stmt = select(PackageRow.package_id).where(
            or_(func.lower(PackageRow.name) == name.lower(), PackageRow.name == name)
        )
        if excluding:
            stmt = stmt.where(PackageRow.package_id != excluding)
        return self._s.scalars(stmt.limit(1)).first()

    def count_in_folders(self, folder_ids: Sequence[int]) -> int:
        return int(self._s.scalar(select(func.count()).select_from(PackageRow).where(PackageRow.folder_id.in_(list(folder_ids)))) or 0)

    # -- conversion ------------------------------------------------------------------------------

    def _split(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        columns: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for name, value in values.items():
            if name in CHILD_PROPERTIES:
                continue
            attr = COLUMNS.get(name)
            prop = self._cls.property(name)
            if attr is not None:
                columns[attr] = list(value) if isinstance(value, tuple) else value
            elif prop is not None:
                extras[name] = self._coercer.to_json(prop, value)
        return columns, extras

    def _record(
        self, row: Any, lazy: bool, children: Mapping[str, Any], include: tuple[str, ...] = ()
    ) -> PackageRecord:
        values: dict[str, Any] = {}
        extras = row.extra_properties or {}
        for name, prop, deferred, attr, child in self._plan:
            if deferred and not lazy and name not in include:
                continue
            if child:
                values[name] = tuple(children.get(name, ()))
            elif attr is not None:
                value = getattr(row, attr)
                if isinstance(value, datetime):
                    value = as_utc(value)
                elif isinstance(value, list):
                    value = tuple(value)
                values[name] = value
            elif name in extras:
                values[name] = self._coercer.coerce(prop, extras[name])
            else:
                values[name] = prop.default
        return PackageRecord(values, row.folder_id, row.last_modified_by, as_utc(row.last_modified_at) if row.last_modified_at else None, lazy)

    def _children(self, package_ids: list[str]) -> dict[str, dict[str, list[Any]]]:
        result: dict[str, dict[str, list[Any]]] = {pid: {name: [] for name in CHILD_PROPERTIES} for pid in package_ids}
        if not package_ids:
            return result
        for oc in self._s.scalars(
            select(OptionalComponentRow).where(OptionalComponentRow.package_id.in_(package_ids)).order_by(OptionalComponentRow.position)
        ):
            result[oc.package_id]["OptionalComponents"].append(oc.component_id)
        for drv in self._s.scalars(
            select(DriverReferenceRow).where(DriverReferenceRow.package_id.in_(package_ids)).order_by(DriverReferenceRow.position)
        ):
            result[drv.package_id]["ReferencedDrivers"].append(Instance(DRIVER_CLASS, {"ID": drv.ci_id, "SourcePath": drv.source_path}))
        for token in self._s.scalars(
            select(ScheduleTokenRow).where(ScheduleTokenRow.package_id.in_(package_ids)).order_by(ScheduleTokenRow.position)
        ):
            result[token.package_id]["RefreshSchedule"].append(self._token(token))
        return result

    def refresh_schedules(self) -> dict[str, list[Instance]]:
        """Every package's RefreshSchedule tokens (packages without one are left out)."""
        found: dict[str, list[Instance]] = {}
        for token in self._s.scalars(select(ScheduleTokenRow).order_by(ScheduleTokenRow.package_id,
                                                                        ScheduleTokenRow.position)):
            found.setdefault(token.package_id, []).append(self._token(token))
        return found

    def _token(self, row: ScheduleTokenRow) -> Instance:
        registry_cls = self._coercer.registry[row.token_class]
        raw: dict[str, Any] = dict(row.extra or {})
        for name in registry_cls.properties:
            attr = SCHEDULE_COLUMNS.get(name)
            if attr is not None:
                value = getattr(row, attr)
                raw[name] = as_utc(value) if isinstance(value, datetime) else value
        return self._coercer.instance(registry_cls, {k: v for k, v in raw.items() if v is not None})

    def _write_children(self, package_id: str, values: Mapping[str, Any]) -> None:
        """Only the rows that differ are written (each is an audit record: ``audit_schema``)."""
        if "OptionalComponents" in values:
            self._sync(OptionalComponentRow, "component_id", package_id, [
                OptionalComponentRow(package_id=package_id, component_id=cid, position=i)
                for i, cid in enumerate(values["OptionalComponents"] or ())])
        if "ReferencedDrivers" in values:
            self._sync(DriverReferenceRow, "ci_id", package_id, [
                DriverReferenceRow(package_id=package_id, ci_id=d.values["ID"], source_path=d.values["SourcePath"], position=i)
                for i, d in enumerate(values["ReferencedDrivers"] or ())])
        if "RefreshSchedule" in values:
            self._sync(ScheduleTokenRow, "position", package_id, list(self._token_rows(package_id, values["RefreshSchedule"] or ())))
        self._s.flush()

    def _sync(self, model: Any, key: str, package_id: str, wanted: list[Any]) -> None:
        """Make ``model``'s rows of the package equal ``wanted`` (rows keyed by ``key``)."""
        existing = {getattr(row, key): row for row in self._s.scalars(select(model).where(model.package_id == package_id))}
        new = {getattr(row, key): row for row in wanted}
        for gone in existing.keys() - new.keys():
            self._s.delete(existing[gone])
        # a column the new row was not given takes its default (as an INSERT would)
        defaults = {c.key: c.default.arg if c.default is not None and c.default.is_scalar else None
                    for c in model.__table__.columns}
        for value, row in new.items():
            stored = existing.get(value)
            if stored is None:
                self._s.add(row)
                continue
            for column, default in defaults.items():
                wanted_value = vars(row).get(column, default)
                if getattr(stored, column) != wanted_value:
                    setattr(stored, column, wanted_value)

    def _token_rows(self, package_id: str, tokens: Iterable[Instance]) -> Iterable[ScheduleTokenRow]:
        for position, token in enumerate(tokens):
            columns: dict[str, Any] = {}
            extra: dict[str, Any] = {}
            token_cls = self._coercer.registry[token.class_name]
            for name, value in token.values.items():
                attr = SCHEDULE_COLUMNS.get(name)
                if attr is not None:
                    columns[attr] = value
                else:
                    extra[name] = self._coercer.to_json(token_cls.properties[name], value)
            yield ScheduleTokenRow(package_id=package_id, position=position, token_class=token.class_name, extra=extra, **columns)

    def _subtree(self, folder_id: int) -> list[int]:
        pairs = self._s.execute(select(FolderRow.container_node_id, FolderRow.parent_id)).all()
        children: dict[int, list[int]] = {}
        for node, parent in pairs:
            children.setdefault(parent, []).append(node)
        result, stack = [], [folder_id]
        while stack:
            node = stack.pop()
            result.append(node)
            stack.extend(children.get(node, []))
        return result
