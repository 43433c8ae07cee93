"""The console's actions: one place for text, icon, shortcut, tooltip and accessible name."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from console.ui.icons import icon


def _action(parent: QWidget, text: str, icon_name: str, tip: str, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
            *, enabled: bool = True) -> QAction:
    action = QAction(icon(icon_name), text, parent)
    action.setToolTip(tip + (f" ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})" if shortcut else ""))
    action.setStatusTip(tip)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setEnabled(enabled)
    action.setObjectName(text.replace("&", "").replace("…", "").replace(" ", "_").lower())
    return action


def _unique(keys: list[QKeySequence]) -> list[QKeySequence]:
    result: list[QKeySequence] = []
    for key in keys:
        if not key.isEmpty() and key not in result:
            result.append(key)
    return result


class ConsoleActions:
    def __init__(self, parent: QWidget) -> None:
        self.add_boot_image = _action(parent, "&Add Boot Image…", "add-boot-image", "Import a boot image from a WIM file", "Ctrl+N")
        self.properties = _action(parent, "&Properties", "properties", "Show and edit the properties of the boot image", "Alt+Return")
        self.reload = _action(parent, "&Reload Image Properties", "reload", "Read the source WIM again and update the image properties", "Ctrl+R")
        self.reload.setIconText("Reload Image\nProperties")  # two lines: the toolbar fits at 1024 pixels
        self.add_boot_image.setIconText("Add\nBoot Image")
        self.delete = _action(parent, "&Delete", "delete", "Delete the selected boot images", QKeySequence.StandardKey.Delete)
        self.new_folder = _action(parent, "&New Folder…", "new-folder", "Create a folder under the selected folder", "Ctrl+Shift+N")
        self.move = _action(parent, "&Move…", "move", "Move the selected boot images to another folder", "Ctrl+M")
        self.refresh = _action(parent, "Re&fresh", "refresh", "Read the list again from the site database", QKeySequence.StandardKey.Refresh)
        self.find = _action(parent, "&Search", "filter", "Search the boot images", QKeySequence.StandardKey.Find)
        self.columns = _action(parent, "&Columns…", "columns", "Choose the columns of the list")
        self.create_samples = _action(parent, "Create &Sample Boot Images", "samples", "Build a few small sample WinPE images with wimlib and import them")
        self.optional_components = _action(parent, "&Optional Components…", "optional-component", "Choose the Windows PE optional components of the boot image")
        self.scratch_space = _action(parent, "S&cratch Space…", "properties", "Set the Windows PE scratch space of the boot image")
        self.security_scopes = _action(parent, "&Set Security Scopes…", "administration",
                                       "Choose the security scopes of the boot image (who may see and change it)")
        self.drivers = _action(parent, "Dri&vers…", "driver", "Add drivers from the driver catalog to the boot image")
        self.import_driver = _action(parent, "&Import Driver…", "driver", "Scan a folder for driver INF files and import them into the catalog")
        self.import_driver.setIconText("Import\nDriver")
        self.update_distribution_points = _action(
            parent, "&Update Distribution Points…", "update-dp",
            "Check and build the boot image with its drivers and customizations (pre-flight, options, summary)")
        # Two lines under the icon, like the ribbon's, so the toolbar fits at 1024 pixels.
        self.update_distribution_points.setIconText("Update\nDistribution Points")
        self.distribute_content = _action(
            parent, "Distri&bute Content…", "distribute",
            "Send the selected boot images to distribution points or distribution point groups")
        self.distribute_content.setIconText("Distribute\nContent")
        self.create_boot_media = _action(
            parent, "Create Boot M&edia…", "boot-media",
            "Write a bootable ISO or USB disk image of the boot image's current version")
        self.create_boot_media.setIconText("Create\nBoot Media")
        self.settings = _action(parent, "Se&ttings…", "administration", "Site-wide settings such as the Windows ADK folder")
        self.guide = _action(parent, "Administrator's &Guide", "info",
                             "Open the administrator's guide: every task with its GUI path and bootimage command",
                             QKeySequence.StandardKey.HelpContents)
        self.about = _action(parent, "&About Boot Image Console", "app",
                             "The version, the installation, its tools and where it keeps its data")
        self.quit = _action(parent, "E&xit", "cancel", "Close the console", QKeySequence.StandardKey.Quit)
        # F5 on every platform (StandardKey.Refresh is F5 on Linux, where adding F5 again would
        # register it twice and make Qt ignore it as ambiguous).
        self.refresh.setShortcuts(_unique([*QKeySequence.keyBindings(QKeySequence.StandardKey.Refresh), QKeySequence("F5")]))
        self.properties.setShortcuts([QKeySequence("Alt+Return"), QKeySequence("Alt+Enter")])

    def package_actions(self) -> list[QAction]:
        """Actions that need at least one selected item of the current page."""
        return [self.properties, self.reload, self.delete, self.move, self.optional_components,
                self.scratch_space, self.drivers, self.update_distribution_points, self.distribute_content,
                self.create_boot_media, self.security_scopes]
