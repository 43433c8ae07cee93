"""Boot Image Console: administer Windows PE boot image packages."""

__version__ = "0.1.0"
