"""The driver catalog in the site database, as core ``Driver`` values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import String, Text, case, delete, exists, func, literal, literal_column, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console.core.drivers import (
    ANY_ARCHITECTURE,
    ANY_MATCHES,
    BOOT_CRITICAL_CLASSES,
    Driver,
    DriverModel,
    DriverQuery,
    inf_architecture,
    version_sort_key,
)
from console.core.errors import ValidationError
from console.core.values import as_utc
from console.storage.count_cache import counted
from console.storage.driver_schema import (
    DRIVER_SEARCH,
    FIRST_CI_ID,
    CiIdSequenceRow,
    DriverCategoryRow,
    DriverModelRow,
    DriverRow,
)
from console.storage.schema import DriverReferenceRow, PackageRow

SORT_COLUMNS = {
    "name": DriverRow.name,
    "ci_id": DriverRow.ci_id,
    "driver_class": DriverRow.driver_class,
    "provider": DriverRow.provider,
    "version": DriverRow.driver_version_key,  # version order, not text order
    "date": DriverRow.driver_date,
    "size": DriverRow.size_bytes,
    "inf_file": DriverRow.inf_file,
}
#: sort columns that may be NULL (drivers without a DriverVer date)
NULLABLE_SORTS = frozenset({"date"})
#: a page with a search text walks the sort index (looking each driver up among the text's
#: matches) when at least one driver in WALK_RATIO matches: the page's end is then near;
#: rarer texts read their few matches and sort them
WALK_RATIO = 50


def search_text(driver: Driver) -> str:
    """What the search box finds a driver by (``DRIVER_SEARCH``): its columns and each model's
    hardware ID and description."""
    parts = [driver.name, driver.provider, driver.driver_class, driver.version, driver.inf_file, driver.folder, str(driver.ci_id)]
    for model in driver.models:
        parts += (model.hardware_id, model.description)
    return "\n".join(parts).casefold()


def architectures_text(architectures: Sequence[str]) -> str:
    return " " + " ".join(architectures) + " "


class SqlDriverRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- writes --------------------------------------------------------------------------

    def allocate_ci_id(self, site_code: str) -> int:
        """Take the site's next CI_ID (never reused; the UPDATE takes the write lock first). The
        site's first driver creates the counter; when another console created it at the same
        moment (PostgreSQL), the insert is undone to its savepoint and the counter taken."""
        for attempt in range(2):
            updated = self._s.execute(
                update(CiIdSequenceRow).where(CiIdSequenceRow.site_code == site_code)
                .values(next_ci_id=CiIdSequenceRow.next_ci_id + 1)
            )
            if updated.rowcount == 1:  # type: ignore[attr-defined]
                value = self._s.scalar(select(CiIdSequenceRow.next_ci_id).where(CiIdSequenceRow.site_code == site_code))
                return int(value or FIRST_CI_ID + 1) - 1
            try:
                with self._s.begin_nested():
                    self._s.add(CiIdSequenceRow(site_code=site_code, next_ci_id=FIRST_CI_ID + 1))
                return FIRST_CI_ID
            except IntegrityError:
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover - the second attempt returns or raises

    def add(self, driver: Driver) -> Driver | None:
        try:
            with self._s.begin_nested():  # the content's unique index decides, also between consoles
                self._add_driver_row(driver)
        except IntegrityError as exc:
            if "uq_driver_content_hash" not in str(exc.orig):
                raise
            other = self.by_content_hash([driver.content_hash]).get(driver.content_hash)
            if other is None:  # pragma: no cover - taken and gone again within one statement
                raise
            return other
        return None

    def _add_driver_row(self, driver: Driver) -> None:
        self._s.add(DriverRow(
            ci_id=driver.ci_id,
            ci_unique_id=driver.ci_unique_id,
            name=driver.name[:255],
            driver_class=driver.driver_class[:64],
            class_guid=driver.class_guid[:38],
            provider=driver.provider[:255],
            driver_version=driver.version[:64],
            driver_version_key=version_sort_key(driver.version[:64]),
            driver_date=datetime(driver.date.year, driver.date.month, driver.date.day, tzinfo=UTC) if driver.date else None,
            inf_file=driver.inf_file[:255],
            content_source_path=driver.folder,
            catalog_file=driver.catalog_file[:255],
            signed=driver.signed,
            enabled=driver.is_enabled,
            architectures=architectures_text(driver.architectures),
            size_bytes=driver.size,
            content_hash=driver.content_hash,
            inf_warnings=list(driver.warnings),
            source_site=driver.source_site,
            search_text=search_text(driver),
            created_at=driver.created_at,
            created_by=driver.created_by,
            modified_at=driver.modified_at or driver.created_at,
            modified_by=driver.modified_by or driver.created_by,
        ))
        self._s.flush()
        self._s.add_all(
            DriverModelRow(
                ci_id=driver.ci_id, position=i, manufacturer=m.manufacturer[:255], description=m.description,
                install_section=m.install_section[:255], hardware_id=m.hardware_id[:512], compatible_ids=list(m.compatible_ids),
            )
            for i, m in enumerate(driver.models)
        )
        self._s.add_all(DriverCategoryRow(ci_id=driver.ci_id, name=name) for name in driver.categories)
        self._s.flush()

    def set_enabled(self, ci_ids: Sequence[int], enabled: bool, *, modified_by: str, modified_at: datetime) -> int:
        result = self._s.execute(
            update(DriverRow).where(DriverRow.ci_id.in_(list(ci_ids)))
            .values(enabled=enabled, modified_by=modified_by, modified_at=modified_at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def set_categories(self, ci_id: int, names: Sequence[str], *, modified_by: str, modified_at: datetime) -> None:
        self._s.execute(delete(DriverCategoryRow).where(DriverCategoryRow.ci_id == ci_id))
        self._s.add_all(DriverCategoryRow(ci_id=ci_id, name=name) for name in names)
        self._s.execute(update(DriverRow).where(DriverRow.ci_id == ci_id).values(modified_by=modified_by, modified_at=modified_at))
        self._s.flush()

    def delete(self, ci_id: int) -> bool:
        for table in (DriverModelRow, DriverCategoryRow):
            self._s.execute(delete(table).where(table.ci_id == ci_id))
        result = self._s.execute(delete(DriverRow).where(DriverRow.ci_id == ci_id))
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    # -- reads ---------------------------------------------------------------------------

    def get(self, ci_id: int) -> Driver | None:
        return self.get_many([ci_id]).get(ci_id)

    def get_many(self, ci_ids: Sequence[int]) -> dict[int, Driver]:
        rows = list(self._s.scalars(select(DriverRow).where(DriverRow.ci_id.in_(list(ci_ids)))))
        return {d.ci_id: d for d in self._drivers(rows, with_models=True)}

    def by_content_hash(self, hashes: Sequence[str]) -> dict[str, Driver]:
        found: dict[str, Driver] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            rows = list(self._s.scalars(select(DriverRow).where(DriverRow.content_hash.in_(unique[start:start + 500]))))
            found.update((d.content_hash, d) for d in self._drivers(rows, with_models=False))
        return found

    def query(self, query: DriverQuery) -> tuple[list[Driver], int]:
        """One page and the total (``-1`` when ``query.count`` is False). With ``query.after``
        the page is read as a keyset range of the sort column's index (``ix_driver_sort_*``),
        the same rows OFFSET would give, without sorting the rows before it. A common search
        text walks that index too, testing each driver against the text's matches (read once)."""
        column = SORT_COLUMNS.get(query.sort)
        if column is None:
            raise ValidationError.single("sort", f"cannot sort drivers by {query.sort!r}; use one of {', '.join(SORT_COLUMNS)}")
        conditions = self._conditions(query, walk=self._walks(query))
        total = self._total(query) if query.count else -1
        key: Any = func.lower(column) if isinstance(column.type, (String, Text)) else column
        anchor = None
        if query.after is not None:
            anchor = self._s.execute(select(key, DriverRow.ci_id).where(DriverRow.ci_id == query.after)).first()
        if anchor is None and (query.after is not None or query.offset > 0):
            # OFFSET (a page number from the CLI, or the anchor row was deleted meanwhile)
            order = key.desc().nulls_last() if query.descending else key.asc().nulls_first()
            tiebreak = DriverRow.ci_id.desc() if query.descending else DriverRow.ci_id.asc()
            stmt = select(DriverRow).where(*conditions).order_by(order, tiebreak).offset(max(query.offset, 0))
            rows = list(self._s.scalars(stmt if query.limit is None else stmt.limit(query.limit)))
        else:
            rows = self._keyset(conditions, key, query.sort in NULLABLE_SORTS, query.descending, anchor, query.limit)
        return self._drivers(rows, with_models=False), total

    def _walks(self, query: DriverQuery) -> bool:
        """Whether the page walks the sort index (SQLite, a search text, a page of a known size,
        a text common enough that the page's end is near; the match count is kept)."""
        text = query.text.strip()
        if not text or query.limit is None or query.sort == "ci_id" or self._s.get_bind().dialect.name != "sqlite":
            return False
        rows = int(self._s.scalar(select(func.max(literal_column("driver.rowid"))).select_from(DriverRow)) or 0)  # about how many
        return self._text_matches(text) * WALK_RATIO >= rows

    def _text_matches(self, text: str) -> int:
        """How many drivers ``text`` matches (its index alone; kept while the catalog is unchanged)."""
        return counted(self._s, DriverRow.__tablename__, ("text", text.casefold()),
                       lambda: int(self._s.scalar(DRIVER_SEARCH.count(self._s, text)) or 0))

    def counts(self, query: DriverQuery) -> tuple[int, int]:
        """(matching drivers, how many of them are disabled), kept while the catalog is unchanged.
        A search text alone is counted in its index; only the disabled count reads the rows."""
        key = ("counts", query.text.strip().casefold(), query.driver_class.strip().lower(),
               query.architecture.strip().lower(), query.signed, query.enabled, query.storage_or_network,
               query.category.strip().lower())
        return counted(self._s, DriverRow.__tablename__, key, lambda: self._counts(query))

    def _total(self, query: DriverQuery) -> int:
        conditions = self._conditions(query)
        if query.text.strip() and len(conditions) == 1:
            return self._text_matches(query.text.strip())
        return int(self._s.scalar(select(func.count()).select_from(DriverRow).where(*conditions)) or 0)

    def _counts(self, query: DriverQuery) -> tuple[int, int]:
        conditions = self._conditions(query)
        if query.text.strip() and len(conditions) == 1:
            off = self._s.scalar(select(func.count()).select_from(DriverRow).where(*conditions, DriverRow.enabled.is_(False)))
            return self._text_matches(query.text.strip()), int(off or 0)
        disabled = func.sum(case((DriverRow.enabled.is_(False), 1), else_=0))
        total, off = self._s.execute(select(func.count(), disabled).select_from(DriverRow).where(*conditions)).one()
        return int(total or 0), int(off or 0)

    def _keyset(self, conditions: list[Any], key: Any, nullable: bool, descending: bool, anchor: Any,
                limit: int | None) -> list[DriverRow]:
        """The rows after ``anchor`` (sort value, CI_ID; None: from the start), NULL sort values
        first ascending and last descending (as ORDER BY ... NULLS FIRST/LAST): read as at most
        two index ranges (the NULLs, then the others), each in index order."""
        ci_id = DriverRow.ci_id
        after_null = anchor is not None and anchor[0] is None
        nulls: list[Any] = [key.is_(None)]
        if after_null:
            nulls.append(ci_id < anchor[1] if descending else ci_id > anchor[1])
        if anchor is None or after_null:
            values: list[Any] = [key.is_not(None)] if nullable else []
        else:
            bound = tuple_(literal(anchor[0], key.type), literal(anchor[1], ci_id.type))
            values = [tuple_(key, ci_id) < bound if descending else tuple_(key, ci_id) > bound]
        ranges: list[tuple[list[Any], tuple[Any, ...]]]
        if descending:
            ranges = [] if after_null else [(values, (key.desc(), ci_id.desc()))]
            ranges += [(nulls, (ci_id.desc(),))] if nullable else []
        else:
            ranges = [(nulls, (ci_id.asc(),))] if nullable and (anchor is None or after_null) else []
            ranges.append((values, (key.asc(), ci_id.asc())))
        found: list[DriverRow] = []
        for where, order in ranges:
            if limit is not None and len(found) >= limit:
                break
            stmt = select(DriverRow).where(*conditions, *where).order_by(*order)
            if limit is not None:
                stmt = stmt.limit(limit - len(found))
            found.extend(self._s.scalars(stmt))
        return found

    def referencing_packages(self, ci_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        stmt = (
            select(DriverReferenceRow.ci_id, PackageRow.package_id, PackageRow.name)
            .join(PackageRow, PackageRow.package_id == DriverReferenceRow.package_id)
            .where(DriverReferenceRow.ci_id.in_(list(ci_ids)))
            .order_by(PackageRow.package_id)
        )
        result: dict[int, list[tuple[str, str]]] = {}
        for ci_id, package_id, name in self._s.execute(stmt):
            result.setdefault(int(ci_id), []).append((package_id, name))
        return result

    def classes(self) -> list[str]:
        rows = self._s.scalars(select(DriverRow.driver_class).distinct())
        return sorted({r for r in rows if r}, key=str.casefold)

    def categories(self) -> list[str]:
        return sorted(set(self._s.scalars(select(DriverCategoryRow.name).distinct())), key=str.casefold)

    # -- helpers -------------------------------------------------------------------------

    def _conditions(self, query: DriverQuery, *, walk: bool = False) -> list[Any]:
        conditions: list[Any] = []
        text = query.text.strip()
        if text:  # the text index (FTS5 trigram / pg_trgm), never a LIKE scan of every driver and model
            conditions.append(DRIVER_SEARCH.matches(self._s, text, walk=walk))
        if query.driver_class.strip():
            conditions.append(func.lower(DriverRow.driver_class) == query.driver_class.strip().lower())
        if query.architecture.strip():
            conditions.append(self._architecture_condition(query.architecture))
        if query.signed is not None:
            conditions.append(DriverRow.signed.is_(query.signed))
        if query.enabled is not None:
            conditions.append(DriverRow.enabled.is_(query.enabled))
        if query.storage_or_network is not None:
            critical = or_(
                func.lower(DriverRow.driver_class).in_(list(BOOT_CRITICAL_CLASSES)),
                func.lower(DriverRow.class_guid).in_(list(BOOT_CRITICAL_CLASSES.values())),
            )
            conditions.append(critical if query.storage_or_network else ~critical)
        if query.category.strip():
            conditions.append(exists().where(
                DriverCategoryRow.ci_id == DriverRow.ci_id,
                func.lower(DriverCategoryRow.name) == query.category.strip().lower(),
            ))
        return conditions

    @staticmethod
    def _architecture_condition(architecture: str) -> Any:
        """Same rule as ``console.core.drivers.matches_architecture``; an INF architecture
        (amd64) is accepted as well as a boot image one (x64)."""
        wanted = inf_architecture(architecture) or architecture.strip().lower()
        condition: Any = DriverRow.architectures.like(f"% {wanted} %")
        if wanted in ANY_MATCHES:
            condition = or_(condition, DriverRow.architectures.like(f"% {ANY_ARCHITECTURE} %"))
        return condition

    def _drivers(self, rows: list[DriverRow], *, with_models: bool) -> list[Driver]:
        ids = [r.ci_id for r in rows]
        categories: dict[int, list[str]] = {}
        models: dict[int, list[DriverModel]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for cat in self._s.scalars(select(DriverCategoryRow).where(DriverCategoryRow.ci_id.in_(chunk)).order_by(DriverCategoryRow.name)):
                categories.setdefault(cat.ci_id, []).append(cat.name)
            if with_models:
                stmt = select(DriverModelRow).where(DriverModelRow.ci_id.in_(chunk)).order_by(DriverModelRow.ci_id, DriverModelRow.position)
                for m in self._s.scalars(stmt):
                    models.setdefault(m.ci_id, []).append(
                        DriverModel(m.manufacturer, m.description, m.install_section, m.hardware_id, tuple(m.compatible_ids or ()))
                    )
        return [self._driver(r, tuple(models.get(r.ci_id, ())), tuple(categories.get(r.ci_id, ()))) for r in rows]

    @staticmethod
    def _driver(row: DriverRow, models: tuple[DriverModel, ...], categories: tuple[str, ...]) -> Driver:
        day: date | None = as_utc(row.driver_date).date() if row.driver_date else None
        return Driver(
            inf_path=_join(row.content_source_path, row.inf_file),
            inf_file=row.inf_file,
            folder=row.content_source_path,
            name=row.name,
            driver_class=row.driver_class,
            class_guid=row.class_guid,
            provider=row.provider,
            version=row.driver_version,
            date=day,
            catalog_file=row.catalog_file,
            signed=row.signed,
            architectures=tuple(row.architectures.split()),
            models=models,
            size=row.size_bytes,
            content_hash=row.content_hash,
            warnings=tuple(row.inf_warnings or ()),
            ci_id=row.ci_id,
            ci_unique_id=row.ci_unique_id,
            is_enabled=row.enabled,
            categories=categories,
            source_site=row.source_site,
            created_at=as_utc(row.created_at),
            created_by=row.created_by,
            modified_at=as_utc(row.modified_at),
            modified_by=row.modified_by,
        )


def _join(folder: str, name: str) -> str:
    separator = "\\" if "\\" in folder and "/" not in folder else "/"
    return folder.rstrip("/\\") + separator + name if folder else name
