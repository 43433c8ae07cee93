"""Custom item data roles of the property sheet models, named once."""

from __future__ import annotations

from PySide6.QtCore import Qt

#: The ``PropertyDef`` a row of the All Properties model stands for.
PropertyRole = Qt.ItemDataRole.UserRole + 1
#: Whether the value of a row may be edited in place (scalar, writable, loaded).
InlineEditRole = Qt.ItemDataRole.UserRole + 2
#: The ``Instance`` a row of an embedded-instance table stands for.
InstanceRole = Qt.ItemDataRole.UserRole + 3
