"""Composition root: database, migrations, metadata and services, wired once.

Both front ends (``console.cli`` and ``console.ui``) get their services from here.
"""

from __future__ import annotations

import getpass
import importlib
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from console.core.classdef import ClassRegistry
from console.core.console_services import ConsoleServices
from console.core.errors import ConsoleError
from console.core.instance import Instance
from console.core.jobs import HandlerRegistry, JobKind, JobState
from console.core.optional_components import OptionalComponentCatalog
from console.core.ports import Site
from console.core.security import Identity
from console.core.services import BootImagePackages, Folders, ServiceContext, Sites, StatusMessages
from console.core.services.drivers import DriverCatalog
from console.core.services.image_builds import ImageBuilds, locale_resolver
from console.core.services.jobs import Jobs
from console.core.services.site_settings import SiteSettings
from console.lazy import lazy
from console.metadata.cimxml import load_classes
from console.metadata.input_locales import load_input_locales
from console.metadata.optional_components import load_optional_components
from console.paths import classes_dir, config_dir, data_dir, resources_dir
from console.storage.engine import DatabaseError, create_site_engine, default_database_url, sqlite_path, upgrade
from console.storage.security_sql import check_can_open, identity_of, remember_identity
from console.storage.unit_of_work import SqlUnitOfWorkFactory

if TYPE_CHECKING:
    from console.adk.layout import AdkFolder
    from console.core.content import ContentLibrary
    from console.core.distribution import DistributionPoint, SecretStore
    from console.core.live_changes import ChangeFeed
    from console.core.revision_types import BuiltImage as BuildOutput
    from console.core.services.audit import Audit
    from console.core.services.boot_media import BootMedia, MediaJobHandler
    from console.core.services.build_job import BuildJobHandler
    from console.core.services.content_distribution import ContentDistribution
    from console.core.services.distribution_job import DistributionJobHandler
    from console.core.services.distribution_points import DistributionPoints
    from console.core.services.dp_groups import DpGroups
    from console.core.services.network_boot import NetworkBoot
    from console.core.services.object_locks import ObjectLocks
    from console.core.services.refresh_job import RefreshJobHandler
    from console.core.services.revisions import Revisions
    from console.core.services.security_admin import SecurityAdmin
    from console.core.sheet_layout import SheetLayout
    from console.distribution.dp_content import SiteToDp
    from console.drivers.build_sources import InfDriverSourceReader
    from console.drivers.reader import FileDriverReader
    from console.servicing.builder import WimlibImageBuilder
    from console.servicing.media import MediaTools
    from console.wim.reader import WimReader
    from console.wim.samples import Progress

DEFAULT_SITE_CODE = "PS1"


def current_user() -> str:
    """The operating-system user (``user@host``): the administrator of an SQLite site. On
    PostgreSQL the identity is the database's ``session_user`` (``Console.identity``)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"{name}@{socket.gethostname()}"


@lru_cache(maxsize=4)
def load_registry(directory: str | None = None) -> ClassRegistry:
    return load_classes(Path(directory) if directory else classes_dir())


@lru_cache(maxsize=1)
def load_catalog() -> OptionalComponentCatalog:
    return load_optional_components(resources_dir() / "optional-components.xml")


#: Extra job handler modules, "module:function[,module:function…]"; each function returns the
#: handlers it adds (tests add a fixture handler this way; see tests/job_handlers.py).
JOB_HANDLERS_ENV = "BOOTIMAGE_JOB_HANDLERS"


def job_handlers() -> HandlerRegistry:
    """The job handlers of this installation by kind (the build handler joins here)."""
    registry = HandlerRegistry()
    for spec in filter(None, (s.strip() for s in os.environ.get(JOB_HANDLERS_ENV, "").split(","))):
        module, _, function = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module), function or "handlers")
        except (ImportError, AttributeError) as exc:
            raise ConsoleError(f"{JOB_HANDLERS_ENV}: cannot load {spec!r} ({exc})") from None
        for handler in factory():
            registry.register(handler)
    return registry


@dataclass
class Console:
    """Everything a front end needs, bound to one site database."""

    url: str
    engine: Engine
    context: ServiceContext
    packages: BootImagePackages
    folders: Folders
    sites: Sites
    status: StatusMessages
    jobs: Jobs
    drivers: DriverCatalog
    settings: SiteSettings
    builds: ImageBuilds

    @property
    def identity(self) -> Identity:
        """Who is connected, with which roles and scopes on which site."""
        return self.context.identity or Identity(self.context.user)

    def init_site(self, code: str, name: str = "", *, full_administrator: str | None = None) -> Site:
        """``site init``: the local site; on PostgreSQL also the site's roles, grants, policies and
        its first Full Administrator (``full_administrator``, else the connecting login).
        Idempotent."""
        from console.storage.security_sql import init_postgres_site, is_postgres, require_login

        if is_postgres(self.engine) and full_administrator:  # bad input changes nothing
            with self.engine.connect() as conn:
                require_login(conn, full_administrator)
        site = self.sites.init(code, name).value
        if is_postgres(self.engine):
            init_postgres_site(self.engine, site.code, full_administrator)
        self.refresh_identity()
        return site

    def refresh_identity(self) -> Identity:
        identity = identity_of(self.engine, fallback_user=self.context.user)
        self.context.identity = identity
        remember_identity(self.engine, identity)
        return identity

    @cached_property
    def security(self) -> SecurityAdmin:
        """Security scopes, the scopes of objects, administrators and their roles."""
        from console.core.services.security_admin import SecurityAdmin
        from console.storage.security_repository import SqlSecurityDirectory

        return SecurityAdmin(self.context, SqlSecurityDirectory(self.engine))

    def open_secrets(self, *, use_keyring: bool = False) -> SecretStore:
        """DP passwords: the site secrets file (site setting SecretsFile), and with ``use_keyring``
        (the administrator's GUI session) the desktop keyring too when one is available."""
        from console.distribution.secrets import site_secrets

        return site_secrets(Path(self.settings.secrets_file()), use_keyring=use_keyring)

    def change_feed(self) -> ChangeFeed:
        """A new feed of what every console commits (LISTEN/NOTIFY on PostgreSQL, the change log
        on SQLite); the caller starts and closes it."""
        from console.storage.change_feed import open_change_feed

        return open_change_feed(self.engine)

    @cached_property
    def locks(self) -> ObjectLocks:
        """Object locks (SEDO): Properties and wizards lock the package they change."""
        from console.core.services.object_locks import ObjectLocks

        return ObjectLocks(self.context)

    @cached_property
    def audit(self) -> Audit:
        """Audit records (Monitoring › Audit, ``bootimage audit``)."""
        from console.core.services.audit import Audit

        return Audit(self.context)

    @cached_property
    def revisions(self) -> Revisions:
        """Revisions of package content in the site's content library (imported on first use)."""
        from console.core.services.revisions import Revisions

        # a roll back updates every DP that has the package, as a build's completion does
        return Revisions(self.context, open_content_library, default_library_root(self.url),
                         queue_update=lambda package_id: self.content.queue_update(package_id).value.dps)

    @cached_property
    def media(self) -> BootMedia:
        """Create Boot Media: pre-flight and the ``media`` job (a bootable ISO or disk image)."""
        from console.core.services.boot_media import BootMedia

        def architecture_of(package_id: str) -> str:
            return str(self.packages.get(package_id).get("Architecture") or "")

        def queue(kind: str, package_id: str, payload: Mapping[str, Any]) -> str:
            job = self.jobs.queue(kind, package_id, payload).value
            self.ensure_worker()
            return job.context_id

        return BootMedia(lambda: self.revisions.library(), architecture_of, self.builds.spec_for, queue)

    @cached_property
    def distribution_points(self) -> DistributionPoints:
        """Distribution points: add, edit, remove, test connection."""
        from console.core.services.distribution_points import DistributionPoints
        from console.distribution.connect import SiteTransports

        secrets = self.open_secrets()
        return DistributionPoints(self.context, SiteTransports(secrets), lambda: secrets, SiteTransports)

    @cached_property
    def network_boot(self) -> NetworkBoot:
        """PXE-enabled DPs: network boot settings, plans, generated server configuration."""
        from console.core.services.network_boot import NetworkBoot
        from console.distribution.connect import SiteTransports

        # every service is reached when used (reading the settings opens no secrets file)
        return NetworkBoot(self.context, find_dp=lambda name: self.distribution_points.get(name),
                           rows=lambda name: list(self.content.packages_on_dp(name, limit=None).items),
                           package=lambda pid: self.packages.get(pid),
                           transports=lambda: SiteTransports(self.open_secrets()))

    @cached_property
    def dp_groups(self) -> DpGroups:
        from console.core.services.dp_groups import DpGroups

        return DpGroups(self.context, self.jobs, self.ensure_worker)

    @cached_property
    def content(self) -> ContentDistribution:
        """Content on distribution points: assignment, per-DP state, Content Status, actions."""
        from console.core.services.content_distribution import ContentDistribution

        return ContentDistribution(self.context, self.jobs, self.ensure_worker)

    def sweep_work_folders(self) -> list[str]:
        """Remove the content library's work folders of jobs that ended or are gone (a job
        cancelled between two steps, or while queued after its worker was killed, leaves its
        folder behind: nothing runs it again). Returns the ContextIDs removed."""
        from console.core.services.jobs import ENDED

        library = self.revisions.library()
        removed = []
        for context_id in library.work_ids():
            job = self.jobs.find(context_id)
            if job is None or job.state in ENDED:
                library.remove_work_dir(context_id)
                removed.append(context_id)
        return removed

    def queue_due_refreshes(self) -> list[str]:
        """RefreshSchedule: queue a refresh job for each package whose schedule came due since
        its last refresh was queued (the worker asks every BOOTIMAGE_REFRESH_CHECK_SECONDS)."""
        from console.core.services.refresh_job import REFRESH_KIND, due_refreshes

        with self.context.uow() as uow:
            schedules = {pid: [(t.class_name, dict(t.values)) for t in tokens]
                         for pid, tokens in uow.packages.refresh_schedules().items()}

        def last_refresh(package_id: str) -> datetime | None:
            queued = [j.queued_at for j in self.jobs.list(package_id=package_id) if j.kind == REFRESH_KIND and j.queued_at]
            return max(queued, default=None)

        due = due_refreshes(schedules, last_refresh, self.context.clock())
        for package_id in due:
            self.content.refresh(package_id)
        return due

    @property
    def registry(self) -> ClassRegistry:
        return self.context.registry

    @property
    def catalog(self) -> OptionalComponentCatalog:
        return self.context.catalog

    def sheet_layout(self, class_name: str) -> SheetLayout:
        from console.metadata.sheet_layouts import sheet_layout_for

        return sheet_layout_for(class_name, self.registry)

    def close(self) -> None:
        self.engine.dispose()

    def ensure_worker(self) -> int | None:
        """After queuing a job: start a detached ``bootimage worker --until-idle`` when no
        worker heartbeats (see ``console.worker_launch.ensure_worker``); its process id, or None."""
        from console.worker_launch import ensure_worker

        return ensure_worker(self)

    def create_sample_boot_images(
        self, folder: Path | None = None, *, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
    ) -> list[Instance]:
        """Build three small WinPE-like WIMs with wimlib-imagex (under the data folder's
        ``samples``) and import one boot image package from each."""
        from console.wim.samples import import_sample_boot_images

        return import_sample_boot_images(self.packages, folder or data_dir() / "samples",
                                         progress=progress, cancelled=cancelled)


def open_console(
    url: str | None = None, *, user: str | None = None, classes: str | None = None, create: bool = True
) -> Console:
    """Open (and migrate) the site database at ``url`` and build the services. ``create``
    False: a SQLite file that does not exist is an error instead of a new, empty site."""
    if url is not None and not url.strip():
        raise DatabaseError("--db is empty: give a database URL such as sqlite:///path/site.db, "
                            f"or leave --db out to use {default_database_url()}")
    url = url or default_database_url()
    user = user or current_user()
    engine = create_site_engine(url, user=user, create=create)
    try:
        check_can_open(engine)
        upgrade(engine)
        identity = identity_of(engine, fallback_user=user)
    except BaseException:
        engine.dispose()
        raise
    user = identity.login  # PostgreSQL: session_user, whatever the caller said
    remember_identity(engine, identity)
    registry = load_registry(classes)
    factory = sessionmaker(engine, expire_on_commit=False)
    # The WIM reader, the driver reader, the ADK and the image builder are made (and their
    # modules imported) when first used: opening a site needs none of them.
    ctx = ServiceContext(registry, load_catalog(), SqlUnitOfWorkFactory(factory, registry), user,
                         images=lazy(_wim_reader), input_locales=load_input_locales(), identity=identity)
    packages = BootImagePackages(ctx)
    drivers = DriverCatalog(ctx, lazy(_driver_reader))
    settings = SiteSettings(ctx, lazy(_adk_folder), default_content_library_root=str(default_library_root(url)),
                            default_secrets_file=str(default_secrets_file(url)))
    builder = lazy(lambda: _image_builder(locale_resolver(ctx.input_locales)))

    def export_default(adk_folder: str, architecture: str, index: int, path: str) -> None:
        from console.servicing.builder import export_default_boot_image

        export_default_boot_image(_adk_folder(), adk_folder, architecture, index, path)

    builds = ImageBuilds(ctx, packages, drivers, settings, builder, lazy(_driver_sources), export_default)
    packages.export_default = builds.export_default_boot_image
    handlers = job_handlers()
    console = Console(url, engine, ctx, packages, Folders(ctx), Sites(ctx), StatusMessages(ctx), Jobs(ctx, handlers),
                      drivers=drivers, settings=settings, builds=builds)
    # the handlers (and their modules) are made when a worker first runs their kind
    handlers.register_lazy(JobKind.BUILD.value, lambda: build_job_handler(console, builder))
    handlers.register_lazy(JobKind.DISTRIBUTE.value, lambda: distribution_job_handler(console))
    handlers.register_lazy(JobKind.REFRESH.value, lambda: refresh_job_handler(console))
    handlers.register_lazy(JobKind.MEDIA.value, lambda: media_job_handler(console, builder))

    def queue_build(package_id: str, payload: Mapping[str, Any]) -> str:
        job = console.jobs.queue(JobKind.BUILD.value, package_id, payload).value
        console.ensure_worker()  # the embedded default: a detached worker when none heartbeats
        return job.context_id

    def queue_refresh(package_id: str) -> str:  # RefreshPkgSourceFlag=true
        return console.content.refresh(package_id).value.context_ids[0]

    packages.queue_build = queue_build
    packages.queue_refresh = queue_refresh
    return console


def _wim_reader() -> WimReader:
    from console.wim.reader import WimReader

    return WimReader()


def _driver_reader() -> FileDriverReader:
    from console.drivers.reader import FileDriverReader

    return FileDriverReader()


def _driver_sources() -> InfDriverSourceReader:
    from console.drivers.build_sources import InfDriverSourceReader

    return InfDriverSourceReader()


def _adk_folder() -> AdkFolder:
    from console.adk.layout import AdkFolder

    return AdkFolder()


def _image_builder(resolve_locale: Callable[[str], Any]) -> WimlibImageBuilder:
    from console.servicing.builder import WimlibImageBuilder

    return WimlibImageBuilder(_wim_reader(), resolve_locale=resolve_locale)


def build_job_handler(console: Console, builder: WimlibImageBuilder) -> BuildJobHandler:
    """UpdateImage's job: pre-flight and the build spec from ``console.builds``, the pipeline
    of ``builder``, the result kept as a revision by ``console.revisions``."""
    from console.core.services.build_job import BuildJobHandler

    def record(package_id: str, output: BuildOutput, progress: Callable[[int, int, str], None],
               cancelled: Callable[[], bool]) -> int:
        def stored(done: int, total: int) -> None:
            progress(done, total, "storing the image in the content library")

        return console.revisions.record_build(package_id, output, progress=stored, cancelled=cancelled).value.version

    return BuildJobHandler(console.builds.plan, builder, lambda: console.revisions.library(), record,
                           reload=console.builds.reload_from_adk,
                           # every DP of the package gets the new version (after the work folder is gone)
                           after_record=lambda package_id: console.content.queue_update(package_id))


def media_job_handler(console: Console, builder: WimlibImageBuilder) -> MediaJobHandler:
    """Create Boot Media's job: the current image from the library, the build pipeline for a
    prestart override, boot files and ISO / disk image by ``console.servicing.media``."""
    from console.core.services.boot_media import MediaJobHandler

    def media_tools() -> MediaTools:
        from console.servicing.media import MediaTools

        return MediaTools()

    return MediaJobHandler(console.media, lambda: console.revisions.library(), builder, lazy(media_tools))


def refresh_job_handler(console: Console) -> RefreshJobHandler:
    """RefreshPkgSource: rebuild when the source changed (the build then updates every DP),
    else update every DP of the package. ``RefreshPkgSourceFlag=true`` queues it once."""
    from console.core.services.refresh_job import RefreshJobHandler

    def queue_build(package_id: str) -> str:
        open_builds = [j for j in console.jobs.list(package_id=package_id, states=[JobState.QUEUED])
                       if j.kind == JobKind.BUILD]
        return open_builds[0].context_id if open_builds else console.jobs.queue(JobKind.BUILD.value, package_id, {}).value.context_id

    return RefreshJobHandler(source_change=console.revisions.source_change, queue_build=queue_build,
                             queue_update=lambda pid: len(console.content.queue_update(pid).value.context_ids))


def distribution_job_handler(console: Console) -> DistributionJobHandler:
    """The ``distribute`` job: the site's library to one DP through its transport; states into
    ``console.content``. The site's limit of DPs served at once counts running distribute jobs."""
    from console.core.services.distribution_job import DistributionJobHandler

    def open_dp(dp: DistributionPoint, tag: str) -> SiteToDp:
        from console.distribution.connect import SiteTransports
        from console.distribution.dp_content import SiteToDp

        # the secrets file is read when a job opens a DP (it may have changed since the worker started)
        return SiteToDp(console.revisions.library(), dp, SiteTransports(console.open_secrets()), tag)

    def running_dps() -> int:
        return sum(1 for job in console.jobs.list(states=[JobState.RUNNING]) if job.kind == JobKind.DISTRIBUTE)

    def live_jobs() -> set[str]:
        return {job.context_id for job in console.jobs.list(states=[JobState.QUEUED, JobState.RUNNING])
                if job.kind == JobKind.DISTRIBUTE}

    return DistributionJobHandler(
        find_dp=lambda name: console.distribution_points.find(name) if name else None, open_dp=open_dp,
        current_version=lambda pid: console.revisions.library().current_version(pid), states=console.content,
        settings=console.jobs.settings, clock=console.context.clock, running_dps=running_dps,
        max_dps=console.settings.max_concurrent_dps, live_jobs=live_jobs,
        pxe=lambda dp: console.network_boot.plan_for(dp),
    )


def open_content_library(root: Path) -> ContentLibrary:
    """The site's content library at ``root`` (imported on first use: commands that never
    touch content start without the chunking library)."""
    from console.content.library import FileContentLibrary

    return FileContentLibrary(root)


def default_library_root(url: str) -> Path:
    """The content library until the site setting ContentLibraryPath names another folder:
    ``<data folder>/ContentLib`` for the default site database; beside any other SQLite file
    ``<folder>/<file stem>-ContentLib`` (two site databases never share one library)."""
    path = sqlite_path(url)
    if path is None or path.resolve() == (data_dir() / "site.db").resolve():
        return data_dir() / "ContentLib"
    return path.parent / f"{path.stem}-ContentLib"


def default_secrets_file(url: str) -> Path:
    """The site secrets file until the site setting SecretsFile names another: beside a SQLite
    site database, in the user's configuration folder for a server database."""
    from console.distribution.secrets import default_secrets_path

    return default_secrets_path(sqlite_path(url), data_dir(), config_dir())


def ensure_default_site(console: ConsoleServices, code: str = DEFAULT_SITE_CODE) -> Site:
    """The local site; on the GUI's first start it is created without asking."""
    site = console.sites.local_or_none()
    return site if site is not None else console.init_site(code, "Primary site")
