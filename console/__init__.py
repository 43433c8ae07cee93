"""Boot Image Console: administer Windows PE boot image packages."""

__version__ = "0.1.0"
#: the desktop entry, AppStream and icon name (packaging/desktop/); Qt reports it to the window system
APP_ID = "org.bootimageconsole.BootImageConsole"
