"""Unit of work over one SQLAlchemy session: rolls back unless ``commit()`` was called.

``write=False`` (the default) reads a consistent snapshot and takes no lock; ``write=True``
takes the database's write lock at the start (see ``console.storage.engine``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console.core.classdef import ClassRegistry
from console.core.errors import AccessDeniedError, ConsoleError
from console.core.values import ValueCoercer
from console.storage.audit_repository import SqlAuditRepository, record_refusal
from console.storage.db_errors import os_user
from console.storage.engine import READ_ONLY
from console.storage.job_repository import SqlJobRepository
from console.storage.object_lock_repository import SqlObjectLockRepository
from console.storage.package_repository import SqlPackageRepository
from console.storage.repositories import (
    SqlFolderRepository,
    SqlSettingsRepository,
    SqlSiteRepository,
    SqlStatusRepository,
)

if TYPE_CHECKING:
    from console.storage.distribution_repository import SqlDistributionRepository
    from console.storage.driver_repository import SqlDriverRepository
    from console.storage.package_stream import PackageStream

PACKAGE_CLASS = "SMS_BootImagePackage"
log = logging.getLogger(__name__)


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], registry: ClassRegistry, *, write: bool = False) -> None:
        self._factory = session_factory
        self._registry = registry
        self._coercer = ValueCoercer(registry)
        self.write = write
        self.session: Session | None = None
        self._drivers: SqlDriverRepository | None = None
        self._distribution: SqlDistributionRepository | None = None

    def __enter__(self) -> Self:
        self.session = self._factory()
        self._drivers = self._distribution = None  # made for this session when first used
        try:  # begin now: a writer takes the write lock here, before it reads anything
            self.session.connection(execution_options={READ_ONLY: not self.write})
        except BaseException:
            self.session.close()
            self.session = None
            raise
        self.sites = SqlSiteRepository(self.session)
        self.packages = SqlPackageRepository(self.session, self._registry[PACKAGE_CLASS], self._coercer)
        self.folders = SqlFolderRepository(self.session)
        self.status = SqlStatusRepository(self.session)
        self.jobs = SqlJobRepository(self.session)
        self.settings = SqlSettingsRepository(self.session)
        self.locks = SqlObjectLockRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        return self

    # The driver and distribution repositories (and their tables) are imported when a unit of
    # work first uses them: the package list at start-up needs neither (~40 ms of imports,
    # PostgreSQL's dialect package among them).

    @property
    def drivers(self) -> SqlDriverRepository:
        if self._drivers is None:
            from console.storage.driver_repository import SqlDriverRepository

            assert self.session is not None
            self._drivers = SqlDriverRepository(self.session)
        return self._drivers

    @property
    def distribution(self) -> SqlDistributionRepository:
        if self._distribution is None:
            from console.storage.distribution_repository import SqlDistributionRepository

            assert self.session is not None
            self._distribution = SqlDistributionRepository(self.session)
        return self._distribution

    @property
    def package_stream(self) -> PackageStream:
        """Packages as JSON records, read in batches (``bootimage list --json``)."""
        from console.storage.package_stream import PackageStream

        assert self.session is not None
        return PackageStream(self.session, self.packages, self._registry[PACKAGE_CLASS], self._coercer)

    def __exit__(self, *exc: object) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None
        if isinstance(exc[1], AccessDeniedError):  # audited in a transaction of its own
            record_refusal(self._factory, exc[1], os_user())

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()
        distribution = self._distribution
        if distribution is not None and distribution.changed:  # after the commit: a reader that sees it sees the change
            distribution.changed = False
            from console.storage.distribution_rows import bump_change_counter

            try:
                self.session.connection(execution_options={READ_ONLY: False})
                bump_change_counter(self.session)
                self.session.commit()
            except (SQLAlchemyError, ConsoleError) as exc:  # the change is committed: a live page sees it at the next one
                self.session.rollback()
                log.warning("the content change counter could not be moved: %s", exc)

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


class SqlUnitOfWorkFactory:
    """Creates a fresh unit of work (and session) per service call; safe across threads."""

    def __init__(self, session_factory: sessionmaker[Session], registry: ClassRegistry) -> None:
        self._factory = session_factory
        self._registry = registry

    def __call__(self, *, write: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._factory, self._registry, write=write)
