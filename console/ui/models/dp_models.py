"""Qt models over the distribution-point dataclasses of ``console.core.distribution``:
distribution points with their content counters, groups, and (package, DP) rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Qt

from console.core.distribution import ContentSummary, DistributionPoint, DpGroup, DpState, PackageOnDp
from console.core.sizes import human_bytes
from console.ui.models.headed_table_model import HeadedTableModel, Index

SortRole = Qt.ItemDataRole.UserRole + 60
StateRole = Qt.ItemDataRole.UserRole + 61  # DpState (int) of a (package, DP) row
ERROR_COLOR = "#c0392b"
RETRY_COLOR = "#b9770e"
OK_COLOR = "#1e7b34"


def when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""



def state_color(state: DpState) -> str | None:
    bucket = state.bucket
    if bucket == "error":
        return ERROR_COLOR
    if state in (DpState.INSTALL_RETRYING, DpState.REMOVAL_RETRYING):
        return RETRY_COLOR
    if bucket == "success":
        return OK_COLOR
    return None


def error_line(row: PackageOnDp) -> str:
    """The last error with its cause first ("host unreachable: [Errno 111] …")."""
    from console.core.distribution import CAUSES

    if not row.last_error:
        return ""
    cause = CAUSES.get(row.error_cause, (True, ""))[1]
    if cause and not row.last_error.lower().startswith(cause):
        return f"{cause}: {row.last_error}"
    return row.last_error


class DistributionPointsModel(HeadedTableModel):
    """Rows: (DistributionPoint, its ContentSummary: installed, in progress, failed)."""

    headers = ("Name", "Transport", "Address", "PXE", "Installed", "In progress", "Failed", "Free space",
               "Last contact", "Groups", "Description")

    def set_points(self, rows: list[tuple[DistributionPoint, ContentSummary]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def point(self, row: int) -> DistributionPoint | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def summary(self, row: int) -> ContentSummary | None:
        return self._rows[row][1] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index)
        if row is None:
            return None
        dp, summary = row
        values: tuple[Any, ...] = (
            dp.name, dp.transport.value, dp.address, "Yes" if dp.pxe else "No", summary.success,
            summary.in_progress, summary.errors, dp.free_bytes, dp.last_contact, ", ".join(dp.groups), dp.description,
        )
        value = values[index.column()]
        if role == SortRole:
            if isinstance(value, datetime):
                return value.timestamp()
            return -1 if value is None else value
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == 7:
                return human_bytes(value)
            if isinstance(value, datetime):
                return when(value)
            if index.column() == 0 and dp.maintenance and role == Qt.ItemDataRole.DisplayRole:
                return f"{dp.name} (maintenance)"
            return "" if value is None else value
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 6 and summary.errors:
            from PySide6.QtGui import QColor

            return QColor(ERROR_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole and 4 <= index.column() <= 7:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class DpGroupsModel(HeadedTableModel):
    headers = ("Name", "Members", "Description")

    def set_groups(self, groups: list[DpGroup]) -> None:
        self.beginResetModel()
        self._rows = list(groups)
        self.endResetModel()

    def group(self, row: int) -> DpGroup | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        group = self.row_at(index)
        if group is None:
            return None
        values: tuple[Any, ...] = (group.name, len(group.members), group.description)
        if role in (Qt.ItemDataRole.DisplayRole, SortRole):
            return values[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return ", ".join(group.members) or "No members"
        return None


class PackageOnDpModel(HeadedTableModel):
    """(package, DP) rows: the Content Locations tab (``key="dp"``: one package, its DPs) and
    the Content Status lists (``key="package"``: one DP, its packages)."""

    def __init__(self, key: str = "dp", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.headers = package_on_dp_headers(key)

    def set_rows(self, rows: list[PackageOnDp]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[PackageOnDp]:
        return list(self._rows)

    def entry(self, row: int) -> PackageOnDp | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: PackageOnDp | None = self.row_at(index)
        return None if row is None else package_on_dp_data(row, index.column(), role, self.key)


def package_on_dp_headers(key: str) -> tuple[str, ...]:
    first = "Distribution point" if key == "dp" else "Package"
    return (first, "State", "Version", "Last copied", "Progress", "Error", "Next retry", "Groups")


def package_on_dp_data(row: PackageOnDp, column: int, role: int, key: str) -> Any:
    """A cell of a (package, DP) row: ``key`` "dp" names the DP in the first column, else the package."""
    if role == StateRole:
        return int(row.state)
    if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, SortRole):
        return _cell(row, column, role == SortRole, key)
    if role == Qt.ItemDataRole.ForegroundRole and column in (1, 5):
        color = state_color(row.state) if column == 1 else (ERROR_COLOR if row.last_error else None)
        if color is not None:
            from PySide6.QtGui import QColor

            return QColor(color)
    return None


def _cell(row: PackageOnDp, column: int, sort: bool, key: str) -> Any:
    if column == 0:
        return row.dp_name if key == "dp" else row.package_id
    if column == 1:
        return int(row.state) if sort else row.state.label
    if column == 2:
        if sort:
            return row.source_version
        if row.target_version and row.source_version != row.target_version:
            return f"{row.source_version or '—'} → {row.target_version}"
        return str(row.source_version) if row.source_version else ""
    if column == 3:
        return row.last_copied.timestamp() if sort and row.last_copied else ("" if sort else when(row.last_copied))
    if column == 4:
        if sort:
            return row.bytes_done
        if row.bytes_total and row.state is not DpState.INSTALLED:
            return f"{row.bytes_done * 100 // row.bytes_total}% of {human_bytes(row.bytes_total)}"
        return ""
    if column == 5:
        return error_line(row)
    if column == 6:
        return row.next_retry.timestamp() if sort and row.next_retry else ("" if sort else when(row.next_retry))
    return ", ".join(row.via_groups)


def row_details(row: PackageOnDp) -> str:
    """A (package, DP) row in full (rich text): state, versions, last copied, the error with
    its cause and the next retry (the tables elide them)."""
    import html

    parts = [f"<b>{html.escape(row.package_id)}</b> on <b>{html.escape(row.dp_name)}</b>: {html.escape(row.state.label)}"]
    if row.source_version or row.target_version:
        parts.append(f"version {row.source_version or 'none'} (target {row.target_version})")
    if row.last_copied:
        parts.append(f"last copied {when(row.last_copied)}")
    text = ", ".join(parts)
    if row.last_error:
        text += f"<br><span style='color:{ERROR_COLOR}'>{html.escape(error_line(row))}</span>"
    if row.next_retry:
        text += f"<br>Next retry: {when(row.next_retry)}"
    return text
