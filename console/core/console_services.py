"""``ConsoleServices``: what the front ends (``console.ui``, ``console.cli``) use of a site.

``console.app.Console`` provides it, bound to one site database; the front ends are typed
against this protocol, so they need nothing from the adapters (SQLAlchemy, lxml, WIM files).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from console.core.classdef import ClassRegistry
from console.core.instance import Instance
from console.core.optional_components import OptionalComponentCatalog
from console.core.ports import Site
from console.core.security import Identity
from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext
from console.core.services.drivers import DriverCatalog
from console.core.services.folders import Folders
from console.core.services.image_builds import ImageBuilds
from console.core.services.jobs import Jobs
from console.core.services.site_settings import SiteSettings
from console.core.services.sites import Sites
from console.core.services.status_messages import StatusMessages

if TYPE_CHECKING:  # imported on first use by console.app
    from console.core.live_changes import ChangeFeed
    from console.core.services.audit import Audit
    from console.core.services.boot_media import BootMedia
    from console.core.services.content_distribution import ContentDistribution
    from console.core.services.distribution_points import DistributionPoints
    from console.core.services.dp_groups import DpGroups
    from console.core.services.network_boot import NetworkBoot
    from console.core.services.object_locks import ObjectLocks
    from console.core.services.revisions import Revisions
    from console.core.services.security_admin import SecurityAdmin
    from console.core.sheet_layout import SheetLayout  # parsed layouts: the property sheet's

# (done, total, what): progress of a long operation such as creating sample boot images.
Progress = Callable[[int, int, str], None]


class ConsoleServices(Protocol):
    """The services of one site database, as the GUI and the CLI use them."""

    @property
    def url(self) -> str: ...

    @property
    def context(self) -> ServiceContext: ...

    @property
    def packages(self) -> BootImagePackages: ...

    @property
    def folders(self) -> Folders: ...

    @property
    def sites(self) -> Sites: ...

    @property
    def status(self) -> StatusMessages: ...

    @property
    def jobs(self) -> Jobs: ...

    @property
    def drivers(self) -> DriverCatalog: ...

    @property
    def settings(self) -> SiteSettings: ...

    @property
    def builds(self) -> ImageBuilds: ...

    @property
    def revisions(self) -> Revisions: ...

    @property
    def audit(self) -> Audit: ...

    @property
    def distribution_points(self) -> DistributionPoints: ...

    @property
    def dp_groups(self) -> DpGroups: ...

    @property
    def network_boot(self) -> NetworkBoot: ...

    @property
    def content(self) -> ContentDistribution: ...

    @property
    def media(self) -> BootMedia: ...

    @property
    def locks(self) -> ObjectLocks: ...

    @property
    def registry(self) -> ClassRegistry: ...

    @property
    def catalog(self) -> OptionalComponentCatalog: ...

    def sheet_layout(self, class_name: str) -> SheetLayout:
        """The property-sheet layout of a class (``resources/propertysheets/<Class>.xml``
        checked against the registry, else the generated default); ``MetadataError`` names
        file and line of a broken layout."""
        ...

    def change_feed(self) -> ChangeFeed:
        """A new feed of the changes every console and worker commits (live refresh)."""
        ...

    def close(self) -> None: ...

    @property
    def identity(self) -> Identity:
        """Who is connected: ``session_user`` on PostgreSQL, the OS user on SQLite."""
        ...

    @property
    def security(self) -> SecurityAdmin: ...

    def init_site(self, code: str, name: str = "", *, full_administrator: str | None = None) -> Site: ...

    def create_sample_boot_images(
        self, folder: Path | None = None, *, progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
    ) -> list[Instance]: ...
