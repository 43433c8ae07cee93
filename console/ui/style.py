"""A clean default look that follows the system's light or dark palette."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_QSS = """
QLabel#pageTitle { font-size: 15px; font-weight: 600; padding: 2px 2px 4px 2px; }
QToolBar { spacing: 2px; padding: 2px; }
QToolBar QToolButton { padding: 3px 6px; }
QTreeView, QTableView { selection-background-color: palette(highlight); }
QTabWidget::pane { border-top: 1px solid palette(mid); }
QStatusBar QLabel { padding: 0 4px; }
QLabel#hint { color: palette(placeholder-text); }
"""


def apply_style(app: QApplication) -> None:
    """Fusion everywhere (consistent across platforms) with the system palette kept."""
    palette = app.palette()
    app.setStyle("Fusion")
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
    font.setStyleHint(QFont.StyleHint.SansSerif)
    app.setFont(font)
    app.setStyleSheet(BASE_QSS)
