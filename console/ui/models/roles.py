"""Custom item data roles, named once."""

from PySide6.QtCore import Qt

PackageIdRole = Qt.ItemDataRole.UserRole + 1
PackageRole = Qt.ItemDataRole.UserRole + 2
NodeKindRole = Qt.ItemDataRole.UserRole + 3
FolderIdRole = Qt.ItemDataRole.UserRole + 4
NavKindRole = Qt.ItemDataRole.UserRole + 5
