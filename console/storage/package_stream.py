"""Boot image packages read as a stream of JSON records (``bootimage list --json``).

A listing of every package must not hold the site in memory nor build an object per row:
one SQLAlchemy Core ``select`` of the listed columns, read in batches, each row turned
straight into the JSON record ``bootimage show``/``list`` have always printed (CIM property
names in class order, dates as ISO 8601 UTC with ``Z``). The conversion is planned once
per class: most columns are copied as they are, only dates, arrays and properties kept in
``extra_properties`` go through the coercer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Session

from console.core.classdef import ClassDef, PropertyDef
from console.core.errors import ValidationError
from console.core.ports import PackageQuery
from console.core.values import CLASS_KEY, ValueCoercer
from console.storage.package_repository import CHILD_PROPERTIES, COLUMNS, SqlPackageRepository
from console.storage.schema import PackageRow

#: rows fetched from the database at a time
BATCH = 1000
#: properties that read back as a constant whatever is stored (RefreshPkgSourceFlag is a trigger)
CONSTANT_READS: dict[str, Any] = {"RefreshPkgSourceFlag": False}

Convert = Callable[[Any], Any]


class PackageStream:
    """JSON records of the packages a ``PackageQuery`` selects, one at a time."""

    def __init__(self, session: Session, repository: SqlPackageRepository, cls: ClassDef, coercer: ValueCoercer) -> None:
        self._s = session
        self._repository = repository
        self._cls = cls
        self._coercer = coercer

    def records(self, query: PackageQuery) -> Iterator[dict[str, Any]]:
        """The records in the query's order (the listing's columns: non-lazy properties and
        ``query.include``), read ``BATCH`` rows at a time."""
        plan = self._plan(query.include)
        attrs = [attr for _name, attr, _convert in plan if attr is not None]
        stmt = select(*(getattr(PackageRow, a) for a in attrs), PackageRow.extra_properties)
        stmt = stmt.where(*self._repository._conditions(query)).order_by(*self._order(query)).offset(query.offset)
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        result = self._s.connection().execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        extras_at = len(attrs)
        class_name = self._cls.name
        for row in result:
            record: dict[str, Any] = {CLASS_KEY: class_name}
            column = 0
            for name, attr, convert in plan:
                if attr is None:  # a constant, or a property without a column (extra_properties)
                    record[name] = convert(row[extras_at])
                    continue
                value = row[column]
                column += 1
                record[name] = value if convert is None or value is None else convert(value)
            yield record

    def _order(self, query: PackageQuery) -> list[Any]:
        sort_attr: Any = getattr(PackageRow, COLUMNS.get(query.sort, "name"))
        if isinstance(sort_attr.type, (String, Text)):
            sort_attr = func.lower(sort_attr)  # the same order as the console's list
        tiebreak = PackageRow.package_id
        return [sort_attr.desc(), tiebreak.desc()] if query.descending else [sort_attr.asc(), tiebreak.asc()]

    def _plan(self, include: tuple[str, ...]) -> list[tuple[str, str | None, Any]]:
        """(property, column attribute or None, conversion) for each listed property."""
        plan: list[tuple[str, str | None, Any]] = []
        for name, prop in self._cls.properties.items():
            if prop.is_deferred and name not in include:
                continue
            attr = COLUMNS.get(name)
            if name in CONSTANT_READS:
                plan.append((name, None, _constant(CONSTANT_READS[name])))
            elif name in CHILD_PROPERTIES:  # rows of their own tables: not part of a stream
                raise ValidationError.single(name, f"{name} cannot be listed in a stream; read it with `show`")
            elif attr is not None:
                plan.append((name, attr, self._column_conversion(prop)))
            else:
                plan.append((name, None, self._extra_conversion(prop)))
        return plan

    def _column_conversion(self, prop: PropertyDef) -> Convert | None:
        if not prop.is_array and prop.cim_type != "datetime":
            return None  # stored as it is shown
        to_json = self._coercer.to_json
        return lambda value: to_json(prop, value)

    def _extra_conversion(self, prop: PropertyDef) -> Convert:
        coercer, name = self._coercer, prop.name
        default = coercer.to_json(prop, prop.default)

        def convert(extras: dict[str, Any] | None) -> Any:
            if extras and name in extras:
                return coercer.to_json(prop, coercer.coerce(prop, extras[name]))
            return default

        return convert


def _constant(value: Any) -> Convert:
    return lambda _extras: value
