"""Site, folder, status-message and settings repositories (jobs: ``job_repository``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from console.core.errors import DuplicateNameError
from console.core.ports import Folder, Site, StatusMessage
from console.core.values import as_utc
from console.storage.audit_repository import SqlAuditRepository
from console.storage.schema import FOLDER_NAME_INDEX, FolderRow, SiteRow, SiteSettingRow, StatusMessageRow
from console.storage.statements import dialect_insert


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class SqlSiteRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _site(self, row: SiteRow) -> Site:
        return Site(row.site_code, row.site_name, row.is_local, _utc(row.created_at))

    def get(self, code: str) -> Site | None:
        row = self._s.get(SiteRow, code.upper())
        return self._site(row) if row else None

    def local(self) -> Site | None:
        row = self._s.scalars(select(SiteRow).where(SiteRow.is_local.is_(True))).first()
        return self._site(row) if row else None

    def list(self) -> list[Site]:
        return [self._site(r) for r in self._s.scalars(select(SiteRow).order_by(SiteRow.site_code))]

    def add(self, site: Site, *, created_at: datetime) -> None:
        self._s.add(SiteRow(site_code=site.code, site_name=site.name, is_local=site.is_local, next_package_number=1, created_at=created_at))
        self._s.flush()

    def allocate_package_number(self, code: str) -> int:
        """Take the next package number of the site (never reused, even after deletes).

        The UPDATE takes the write lock first, so two consoles never get the same number.
        """
        self._s.execute(
            update(SiteRow).where(SiteRow.site_code == code).values(next_package_number=SiteRow.next_package_number + 1)
        )
        value = self._s.scalar(select(SiteRow.next_package_number).where(SiteRow.site_code == code))
        return int(value or 1) - 1


class SqlFolderRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _folder(row: FolderRow) -> Folder:
        return Folder(row.container_node_id, row.name, row.parent_id, row.object_type, row.folder_guid, row.source_site, _utc(row.created_at))

    def add(self, name: str, parent_id: int, object_type: int, guid: str, source_site: str, created_at: datetime) -> int:
        row = FolderRow(name=name, parent_id=parent_id, object_type=object_type, folder_guid=guid, source_site=source_site, created_at=created_at)
        with self._name_held(name):
            self._s.add(row)
            self._s.flush()
        return row.container_node_id

    @contextmanager
    def _name_held(self, name: str) -> Iterator[None]:
        """A write that gives a folder its name and parent, in a savepoint: when another console
        took the name there since the service's check, the unique index refuses it (the service
        checks again to name the folder that has it)."""
        try:
            with self._s.begin_nested():
                yield
        except IntegrityError as exc:
            if FOLDER_NAME_INDEX not in str(exc.orig):
                raise
            raise DuplicateNameError.single("Name", f"A folder named {name!r} already exists there: choose another name.") from None

    def get(self, folder_id: int) -> Folder | None:
        row = self._s.get(FolderRow, folder_id)
        return self._folder(row) if row else None

    def children(self, parent_id: int, object_type: int) -> list[Folder]:
        stmt = select(FolderRow).where(FolderRow.parent_id == parent_id, FolderRow.object_type == object_type).order_by(FolderRow.name)
        return [self._folder(r) for r in self._s.scalars(stmt)]

    def all(self, object_type: int) -> list[Folder]:
        stmt = select(FolderRow).where(FolderRow.object_type == object_type).order_by(FolderRow.parent_id, FolderRow.name)
        return [self._folder(r) for r in self._s.scalars(stmt)]

    def rename(self, folder_id: int, name: str) -> None:
        with self._name_held(name):
            self._s.execute(update(FolderRow).where(FolderRow.container_node_id == folder_id).values(name=name))

    def reparent(self, folder_id: int, parent_id: int) -> None:
        row = self._s.get(FolderRow, folder_id)
        with self._name_held(row.name if row is not None else str(folder_id)):
            self._s.execute(update(FolderRow).where(FolderRow.container_node_id == folder_id).values(parent_id=parent_id))

    def delete(self, folder_id: int) -> None:
        self._s.execute(delete(FolderRow).where(FolderRow.container_node_id == folder_id))


class SqlStatusRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(
        self, *, time: datetime, severity: str, kind: str, package_id: str | None, text: str, user: str, site_code: str,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        stored = dict(details) if details is not None else None
        transaction = SqlAuditRepository(self._s).transaction_id()  # its changes' audit records (Audit.for_message)
        if transaction is not None:
            stored = {**(stored or {}), "audit_transaction": transaction}
        row = StatusMessageRow(time=time, severity=severity, kind=kind, package_id=package_id, text=text, user=user,
                               site_code=site_code, details=stored)
        self._s.add(row)
        self._s.flush()
        return row.id

    def query(self, *, package_id: str | None = None, kind: str | None = None, limit: int = 200,
              severity: str | None = None, before: int | None = None) -> list[StatusMessage]:
        """Newest first; each filter reads its index (``ix_status_message_*``: the column, then
        the id), ``before`` (a message id) is a keyset page of older messages."""
        stmt = select(StatusMessageRow).order_by(StatusMessageRow.id.desc()).limit(limit)
        if package_id:
            stmt = stmt.where(StatusMessageRow.package_id == package_id)
        if kind:
            stmt = stmt.where(StatusMessageRow.kind == kind)
        if severity:
            stmt = stmt.where(StatusMessageRow.severity == severity)
        if before is not None:
            stmt = stmt.where(StatusMessageRow.id < before)
        return [
            StatusMessage(r.id, as_utc(r.time), r.severity, r.kind, r.package_id, r.text, r.user, r.site_code, r.details)
            for r in self._s.scalars(stmt)
        ]


class SqlSettingsRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, key: str) -> str | None:
        row = self._s.get(SiteSettingRow, key)
        return row.value if row else None

    def set(self, key: str, value: str, *, modified_by: str, modified_at: datetime) -> None:
        """Insert or update in one statement (``ON CONFLICT``): two consoles or workers that
        write a missing setting at the same moment on PostgreSQL both succeed (the last wins)."""
        values = {"value": value, "modified_by": modified_by, "modified_at": modified_at}
        upsert = dialect_insert(self._s.get_bind().dialect.name)(SiteSettingRow).values(key=key, **values)
        self._s.execute(upsert.on_conflict_do_update(index_elements=[SiteSettingRow.key], set_=values))
        row = self._s.identity_map.get(identity_key(SiteSettingRow, key))  # read earlier in this unit of work
        if row is not None:
            self._s.refresh(row)
