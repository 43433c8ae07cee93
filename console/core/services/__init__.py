"""The service layer: one service per class, WMI methods as snake_case methods."""

from console.core.services.boot_image_packages import BootImagePackages
from console.core.services.context import ServiceContext
from console.core.services.folders import Folders
from console.core.services.sites import Sites
from console.core.services.status_messages import StatusMessages

__all__ = ["BootImagePackages", "Folders", "ServiceContext", "Sites", "StatusMessages"]
