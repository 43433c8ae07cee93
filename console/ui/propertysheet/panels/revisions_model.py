"""The revisions of a package's content (``console.revisions.revisions``) as a table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QFont

from console.core.revision_types import Revision
from console.core.values import as_utc
from console.ui.models.driver_columns import size_text
from console.ui.models.headed_table_model import HeadedTableModel, Index

#: What a user scans for first comes first; Summary and By are also in the details below the table.
HEADERS = ("Version", "Current", "Built", "Size", "What changed", "Summary", "By")
VERSION, CURRENT, BUILT, SIZE, CHANGES, SUMMARY, BY = range(len(HEADERS))
#: "built revision 3 in 2.5 s: " / "revision 3: " -- the table's Version column says that already
_SUMMARY_PREFIX = re.compile(r"^(built )?revision \d+( in [\d.,]+ ?s)?: ")
CURRENT_TEXT = "✓ current"
NOT_RECORDED_TEXT = "not recorded"


def when_text(value: datetime) -> str:
    """Local time to the minute, as the other pages of the console show times."""
    return as_utc(value).astimezone().strftime("%Y-%m-%d %H:%M")


def origin_text(revision: Revision) -> str:
    if revision.rolled_back_from is not None:
        return f"roll back to revision {revision.rolled_back_from}"
    return revision.origin or "build"


class RevisionsModel(HeadedTableModel):
    """Rows are ``Revision`` values, newest first (as the service lists them); the current
    revision is bold and marked in the Current column."""

    headers = HEADERS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def set_revisions(self, revisions: Sequence[Revision]) -> None:
        self.beginResetModel()
        self._rows = list(revisions)
        self.endResetModel()

    def revisions(self) -> list[Revision]:
        return list(self._rows)

    def revision(self, row: int) -> Revision | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def current(self) -> Revision | None:
        return next((r for r in self._rows if r.current), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        revision: Revision | None = self.row_at(index)
        if revision is None or not 0 <= index.column() < len(self.headers):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(revision, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"Revision {revision.version} ({origin_text(revision)})",
                     f"Built {when_text(revision.created_at)} by {revision.created_by}",
                     f"Size: {revision.size:,} bytes", *revision.changes]
            if not revision.recorded:
                lines.append("Stored, but its build never reached the database (it was interrupted).")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.FontRole and revision.current:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (VERSION, SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text(revision, column)
        return None

    @staticmethod
    def _text(revision: Revision, column: int) -> str:
        texts = {
            VERSION: lambda: str(revision.version),
            CURRENT: lambda: CURRENT_TEXT if revision.current else ("" if revision.recorded else NOT_RECORDED_TEXT),
            BUILT: lambda: when_text(revision.created_at),
            BY: lambda: revision.created_by,
            SIZE: lambda: size_text(revision.size),
            SUMMARY: lambda: _SUMMARY_PREFIX.sub("", revision.summary),
            CHANGES: lambda: "; ".join(revision.changes),
        }
        return texts[column]()
