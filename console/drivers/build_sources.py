"""``DriverSourceReader`` (``console.core.services.image_builds``): a catalog driver as a build
needs it, its INF read again for the files it references."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.core.drivers import Driver
from console.core.servicing import DriverSource
from console.drivers.inf_files import driver_source


class InfDriverSourceReader:
    def driver_source(self, driver: Driver, architecture: str) -> DriverSource:
        return driver_source(driver, architecture)


if TYPE_CHECKING:  # mypy proves that the adapter implements the core port
    from console.core.services.image_builds import DriverSourceReader

    def _implements_port(reader: InfDriverSourceReader) -> DriverSourceReader:
        return reader
