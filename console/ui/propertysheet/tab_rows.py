"""Tab titles in as many rows as the width needs, as Windows property sheets show them,
instead of scroll arrows that hide half of the tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QTabBar, QTabWidget, QVBoxLayout, QWidget


class TabRows(QWidget):
    """Drives a ``QTabWidget`` whose own (single-row) tab bar is hidden. Each row is a
    ``QTabBar`` whose first, invisible tab stands for "the current page is on another row".
    Ctrl+Tab / Ctrl+Shift+Tab still switch pages (the tab widget handles them)."""

    def __init__(self, tabs: QTabWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tabs = tabs
        tabs.tabBar().hide()
        self._bars: list[QTabBar] = []
        self._rows: list[list[int]] = []
        self._marks: dict[int, tuple[QIcon, QColor, str]] = {}
        self._syncing = False
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        tabs.currentChanged.connect(self._sync)

    @property
    def rows(self) -> list[list[int]]:
        return [list(row) for row in self._rows]

    def bar_for(self, index: int) -> tuple[QTabBar, int]:
        """The row bar showing page ``index`` and its position in that bar."""
        for bar, row in zip(self._bars, self._rows, strict=True):
            if index in row:
                return bar, row.index(index) + 1
        raise IndexError(index)

    def refresh(self) -> None:
        """Re-pack the titles (after pages were added or the width changed)."""
        # Before the first show the row has no width yet: pack for the window's width.
        width = self.width() if self.isVisible() else self.window().width() - 24
        rows = self._pack(max(width, 200))
        if rows != self._rows or len(self._bars) != len(rows):
            self._build(rows)
        self._sync(self._tabs.currentIndex())

    def set_mark(self, index: int, icon: QIcon, color: QColor, tooltip: str) -> None:
        self._marks[index] = (icon, color, tooltip)
        self._apply_mark(index)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refresh()

    # -- helpers ---------------------------------------------------------------------------

    def _pack(self, width: int) -> list[list[int]]:
        """The fewest rows that fit ``width``, split so the rows are as even as possible."""
        probe = QTabBar()
        probe.setFont(self.font())
        sizes = []
        for index in range(self._tabs.count()):
            probe.addTab(self._tabs.tabIcon(index), self._tabs.tabText(index))
            sizes.append(probe.tabSizeHint(index).width() + 4)
        probe.deleteLater()
        for count in range(1, len(sizes) + 1):
            rows = balanced_rows(sizes, count)
            if max(sum(sizes[i] for i in row) for row in rows) <= width:
                return rows
        return [[index] for index in range(len(sizes))]

    def _build(self, rows: list[list[int]]) -> None:
        for bar in self._bars:
            self._layout.removeWidget(bar)
            bar.deleteLater()
        self._bars = []
        self._rows = rows
        for row in rows:
            bar = QTabBar(self)
            bar.setExpanding(True)
            bar.setDrawBase(row is rows[-1])
            bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.setUsesScrollButtons(False)
            bar.addTab("")
            bar.setTabVisible(0, False)
            for index in row:
                position = bar.addTab(self._tabs.tabText(index))
                bar.setTabToolTip(position, self._tabs.tabToolTip(index))
                bar.setAccessibleName("Property pages")
            bar.currentChanged.connect(lambda position, row=row: self._chosen(row, position))
            self._layout.addWidget(bar)
            self._bars.append(bar)
        for index in self._marks:
            self._apply_mark(index)

    def _chosen(self, row: list[int], position: int) -> None:
        if not self._syncing and position > 0:
            self._tabs.setCurrentIndex(row[position - 1])

    def _sync(self, current: int) -> None:
        self._syncing = True
        try:
            for bar, row in zip(self._bars, self._rows, strict=True):
                bar.setCurrentIndex(row.index(current) + 1 if current in row else 0)
        finally:
            self._syncing = False

    def _apply_mark(self, index: int) -> None:
        if not self._bars:
            return
        icon, color, tooltip = self._marks[index]
        bar, position = self.bar_for(index)
        bar.setTabIcon(position, icon)
        bar.setTabTextColor(position, color)
        bar.setTabToolTip(position, tooltip or self._tabs.tabToolTip(index))


def balanced_rows(sizes: list[int], count: int) -> list[list[int]]:
    """Split ``sizes`` (in order) into ``count`` contiguous rows minimising the widest row."""
    n = len(sizes)
    count = max(1, min(count, n))
    prefix = [0]
    for size in sizes:
        prefix.append(prefix[-1] + size)
    infinity = float("inf")
    # best[k][i]: widest row when the first i tabs fill k rows; cut[k][i]: where row k starts
    best = [[infinity] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0
    for k in range(1, count + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                widest = max(best[k - 1][j], prefix[i] - prefix[j])
                if widest < best[k][i]:
                    best[k][i], cut[k][i] = widest, j
    rows: list[list[int]] = []
    end = n
    for k in range(count, 0, -1):
        start = cut[k][end]
        rows.append(list(range(start, end)))
        end = start
    return rows[::-1]
