"""Composition root: database, migrations, metadata and services, wired once.

Both front ends (``console.cli`` and ``console.ui``) get their services from here.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from console.adk.layout import AdkFolder
from console.core.classdef import ClassRegistry
from console.core.console_services import ConsoleServices
from console.core.instance import Instance
from console.core.optional_components import OptionalComponentCatalog
from console.core.services import BootImagePackages, Folders, ServiceContext, Sites, StatusMessages
from console.core.services.drivers import DriverCatalog
from console.core.services.image_builds import ImageBuilds, locale_resolver
from console.core.services.jobs import Jobs
from console.core.services.site_settings import SiteSettings
from console.core.sheet_layout import SheetLayout
from console.drivers.build_sources import InfDriverSourceReader
from console.drivers.reader import FileDriverReader
from console.metadata.cimxml import load_classes
from console.metadata.input_locales import load_input_locales
from console.metadata.optional_components import load_optional_components
from console.metadata.sheet_layouts import sheet_layout_for
from console.paths import classes_dir, data_dir, resources_dir
from console.servicing.builder import WimlibImageBuilder, export_default_boot_image
from console.storage.engine import create_site_engine, default_database_url, upgrade
from console.storage.unit_of_work import SqlUnitOfWorkFactory
from console.wim.reader import WimReader
from console.wim.samples import Progress, import_sample_boot_images

DEFAULT_SITE_CODE = "PS1"


def current_user() -> str:
    user = os.environ.get("BOOTIMAGE_USER")
    if user:
        return user
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
    def registry(self) -> ClassRegistry:
        return self.context.registry

    @property
    def catalog(self) -> OptionalComponentCatalog:
        return self.context.catalog

    def sheet_layout(self, class_name: str) -> SheetLayout:
        return sheet_layout_for(class_name, self.registry)

    def close(self) -> None:
        self.engine.dispose()

    def create_sample_boot_images(
        self, folder: Path | None = None, *, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
    ) -> list[Instance]:
        """Build three small WinPE-like WIMs with wimlib-imagex (under the data folder's
        ``samples``) and import one boot image package from each."""
        return import_sample_boot_images(self.packages, folder or data_dir() / "samples",
                                         progress=progress, cancelled=cancelled)


def open_console(url: str | None = None, *, user: str | None = None, classes: str | None = None) -> Console:
    """Open (and migrate) the site database at ``url`` and build the services."""
    url = url or default_database_url()
    engine = create_site_engine(url)
    upgrade(engine)
    registry = load_registry(classes)
    factory = sessionmaker(engine, expire_on_commit=False)
    ctx = ServiceContext(registry, load_catalog(), SqlUnitOfWorkFactory(factory, registry), user or current_user(),
                         images=WimReader(), input_locales=load_input_locales())
    packages = BootImagePackages(ctx)
    drivers = DriverCatalog(ctx, FileDriverReader())
    settings = SiteSettings(ctx, AdkFolder(), default_content_library_root=str(data_dir() / "ContentLib"))
    builder = WimlibImageBuilder(WimReader(), resolve_locale=locale_resolver(ctx.input_locales))

    def export_default(adk_folder: str, architecture: str, index: int, path: str) -> None:
        export_default_boot_image(AdkFolder(), adk_folder, architecture, index, path)

    builds = ImageBuilds(ctx, packages, drivers, settings, builder, InfDriverSourceReader(), export_default)
    packages.export_default = builds.export_default_boot_image
    return Console(url, engine, ctx, packages, Folders(ctx), Sites(ctx), StatusMessages(ctx), Jobs(ctx),
                   drivers=drivers, settings=settings, builds=builds)


def ensure_default_site(console: ConsoleServices, code: str = DEFAULT_SITE_CODE) -> None:
    """First start of the GUI: create the local site without asking."""
    if console.sites.local_or_none() is None:
        console.sites.init(code, "Primary site")
