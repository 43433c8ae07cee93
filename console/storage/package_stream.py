"""Boot image packages read as a stream of JSON records (``bootimage list --json``).

A listing of every package must not hold the site in memory nor build an object per row:
one SQLAlchemy Core ``select`` of the listed columns, read in batches, each row turned
straight into the JSON record ``bootimage show``/``list`` have always printed (CIM property
names in class order, dates as ISO 8601 UTC with ``Z``). The conversion is planned once
per class: most columns are copied as they are, only dates, arrays and properties kept in
``extra_properties`` go through the coercer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from console.core.classdef import ClassDef, PropertyDef
from console.core.errors import ValidationError
from console.core.ports import PackageQuery
from console.core.values import CLASS_KEY, ValueCoercer
from console.storage.package_repository import CHILD_PROPERTIES, COLUMNS, SqlPackageRepository
from console.storage.schema import PackageRow

#: rows fetched from the database at a time
BATCH = 1000
#: distinct JSON texts of one array column kept parsed (most rows share a few)
TEXT_CACHE = 256
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
        keys = [CLASS_KEY, *(name for name, _column, _convert in plan)]
        stmt = select(*(column for _name, column, _convert in plan))
        stmt = stmt.where(*self._repository._conditions(query)).order_by(*self._order(query)).offset(query.offset)
        if query.limit is not None:
            stmt = stmt.limit(query.limit)
        conversions = [(i + 1, convert) for i, (_name, _column, convert) in enumerate(plan) if convert is not None]
        result = self._s.connection().execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        class_name = self._cls.name
        for row in result:
            values = [class_name, *row]
            for i, convert in conversions:
                values[i] = convert(values[i])
            yield dict(zip(keys, values, strict=True))

    def _order(self, query: PackageQuery) -> list[Any]:
        sort_attr: Any = getattr(PackageRow, COLUMNS.get(query.sort, "name"))
        if isinstance(sort_attr.type, (String, Text)):
            sort_attr = func.lower(sort_attr)  # the same order as the console's list
        tiebreak = PackageRow.package_id
        return [sort_attr.desc(), tiebreak.desc()] if query.descending else [sort_attr.asc(), tiebreak.asc()]

    def _plan(self, include: tuple[str, ...]) -> list[tuple[str, Any, Convert | None]]:
        """(property, selected column, conversion or None) for each listed property.

        Dates and JSON arrays are selected as the driver returns them (no SQLAlchemy result
        processing: on SQLite, text) and converted here straight to their JSON form."""
        plan: list[tuple[str, Any, Convert | None]] = []
        for name, prop in self._cls.properties.items():
            if prop.is_deferred and name not in include:
                continue
            attr = COLUMNS.get(name)
            if name in CHILD_PROPERTIES:  # rows of their own tables: not part of a stream
                raise ValidationError.single(name, f"{name} cannot be listed in a stream; read it with `show`")
            if name in CONSTANT_READS:
                plan.append((name, literal(None), _constant(CONSTANT_READS[name])))
            elif attr is None:
                plan.append((name, PackageRow.extra_properties, self._extra_conversion(prop)))
            else:
                column = getattr(PackageRow, attr)
                convert = self._column_conversion(prop)
                plan.append((name, column if convert is None else type_coerce(column, String()), convert))
        return plan

    def _column_conversion(self, prop: PropertyDef) -> Convert | None:
        to_json = self._coercer.to_json
        if prop.cim_type == "datetime" and not prop.is_array:
            def date(value: Any) -> Any:
                if value is None:
                    return None
                if type(value) is str and len(value) >= 19 and value[10] in " T" and "+" not in value[19:]:
                    return f"{value[:10]}T{value[11:19]}Z"  # SQLite's text, stored in UTC
                if type(value) is str:
                    value = datetime.fromisoformat(value)
                return to_json(prop, value)

            return date
        if prop.is_array:
            plain = prop.cim_type not in ("uint8", "datetime") and not prop.is_embedded
            parsed: dict[str, Any] = {}  # the same few texts ('["Default"]', '[]') come again and again

            def array(value: Any) -> Any:
                if value is None:
                    return None
                if type(value) is str and plain:  # a JSON column read as text: already its JSON form
                    known = parsed.get(value)
                    if known is None:
                        if len(parsed) >= TEXT_CACHE:
                            parsed.clear()
                        known = parsed[value] = json.loads(value)
                    return known
                if type(value) is str:
                    value = json.loads(value)
                return to_json(prop, value)

            return array
        return None  # stored as it is shown

    def _extra_conversion(self, prop: PropertyDef) -> Convert:
        coercer, name = self._coercer, prop.name
        default = coercer.to_json(prop, prop.default)

        def convert(extras: Any) -> Any:
            if isinstance(extras, str):
                extras = json.loads(extras)
            if extras and name in extras:
                return coercer.to_json(prop, coercer.coerce(prop, extras[name]))
            return default

        return convert


def _constant(value: Any) -> Convert:
    return lambda _ignored: value
