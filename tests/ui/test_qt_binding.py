"""Guard against a Qt binding that corrupts Python's refcounts (the console would abort).

PySide6 6.12.0 decrements ``None``'s reference count each time C++ calls a Python
override that returns ``None`` (e.g. a model's ``data()`` for an unused role); after
enough calls the process aborts with "none_dealloc". pyproject.toml excludes it.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


class _NoneModel(QAbstractTableModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 1

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> None:
        return None


def test_overrides_returning_none_keep_refcounts_intact(qapp):
    model = _NoneModel()
    index = model.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(2000):
        index.data()
    assert sys.getrefcount(None) - before > -100, "this PySide6 build leaks None references; use another version"
