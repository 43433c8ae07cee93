"""Monitoring › Content Status: per package (or per distribution point) the counters targeted,
success, in progress, error, unknown, with a stacked bar; and the (package, DP) rows of one
package or one DP. Both are paged (``PagedTableModel``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from console.core.distribution import ContentSummary, PackageOnDp
from console.ui.models.dp_models import ERROR_COLOR, OK_COLOR, SortRole, package_on_dp_data, package_on_dp_headers
from console.ui.models.paged_model import PagedTableModel
from console.ui.tasks import TaskRunner

CountsRole = Qt.ItemDataRole.UserRole + 70  # (success, in_progress, errors, unknown, targeted)
BAR_COLORS = (QColor(OK_COLOR), QColor("#2d7dd2"), QColor(ERROR_COLOR), QColor("#9e9e9e"))
BAR_COLUMN = 6


def percent_text(summary: ContentSummary) -> str:
    if not summary.targeted:
        return "not targeted"
    text = f"{summary.success * 100 // summary.targeted}% installed"
    return text + (f", {summary.errors} failed" if summary.errors else "")


class SummaryModel(PagedTableModel):
    """Rows: (``ContentSummary``, a package's name or ""); ``key`` is the PackageID or DP name."""

    def __init__(self, tasks: TaskRunner, first: str = "Package", parent: QObject | None = None) -> None:
        super().__init__(tasks, parent=parent)
        self.headers = (first, "Targeted", "Success", "In progress", "Error", "Unknown", "Status")

    def summary(self, row: int) -> ContentSummary | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def name(self, row: int) -> str:
        return str(self._rows[row][1]) if 0 <= row < len(self._rows) else ""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        summary, name = row
        column = index.column()
        counts = (summary.targeted, summary.success, summary.in_progress, summary.errors, summary.unknown)
        if role == CountsRole:
            return (summary.success, summary.in_progress, summary.errors, summary.unknown, summary.targeted)
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            if column == 0:
                return f"{summary.key} — {name}" if name and role == Qt.ItemDataRole.DisplayRole else summary.key
            if column == BAR_COLUMN:
                return percent_text(summary) if role == Qt.ItemDataRole.DisplayRole else summary.success
            return counts[column - 1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return summary.line()
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and summary.errors:
            return QColor(ERROR_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and 1 <= column <= 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


#: the summary list's "Show" filter: label -> ``show`` of the content service (a query, read from
#: an index: the rows shown are exactly those that pass, however many pages the others fill)
SHOW_FILTERS: dict[str, str] = {
    "All": "",
    "With errors": "errors",
    "In progress": "in_progress",
    "Not installed everywhere": "incomplete",
}


class PagedRowsModel(PagedTableModel):
    """(package, DP) rows, paged: the DPs of one package (``key="dp"``) or the packages of one DP."""

    def __init__(self, tasks: TaskRunner, key: str = "dp", parent: QObject | None = None) -> None:
        super().__init__(tasks, parent=parent)
        self.key = key
        self.headers = package_on_dp_headers(key)  # the same columns and texts as Content Locations

    def entry(self, row: int) -> PackageOnDp | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        return package_on_dp_data(row, index.column(), role, self.key)


class StatusBarDelegate(QStyledItemDelegate):
    """Paints the counters as one stacked bar: success, in progress, error, unknown."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        counts = index.data(CountsRole)
        if not isinstance(counts, tuple):
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect  # type: ignore[attr-defined]
        if option.state & QStyle.StateFlag.State_Selected:  # type: ignore[attr-defined]
            painter.fillRect(rect, option.palette.highlight())  # type: ignore[attr-defined]
        *parts, targeted = counts
        bar = rect.adjusted(3, 4, -3, -4)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillRect(bar, QColor("#eeeeee"))
        if targeted:
            x = bar.left()
            for value, color in zip(parts, BAR_COLORS, strict=True):
                width = round(bar.width() * value / targeted)
                if value and width == 0:
                    width = 1
                painter.fillRect(QRect(x, bar.top(), min(width, bar.right() - x + 1), bar.height()), color)
                x += width
        painter.setPen(QColor("white") if targeted else QColor("#222222"))  # the bar is all colour then
        painter.drawText(bar, int(Qt.AlignmentFlag.AlignCenter), str(index.data(Qt.ItemDataRole.DisplayRole)))
        painter.restore()
