"""Console window with 100,000 packages: first rows, filter keystroke, scroll to the end, memory.

Run with `make bench`. Figures are printed and written to tests/bench/results/console.json.
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from tests.bench.site_generator import site_database

pytestmark = pytest.mark.bench
COUNT = 100_000
RESULTS = Path(__file__).parent / "results"


class PaintWatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def wait_for(condition, timeout=30.0):
    end = time.perf_counter() + timeout
    app = QApplication.instance()
    while not condition():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError
    return time.perf_counter()


def test_console_with_100k_packages(tmp_path, qtbot):
    from PySide6.QtCore import QSettings

    from console.app import open_console
    from console.ui.application import create_application
    from console.ui.main_window import MainWindow
    from console.ui.settings import UiSettings

    db = site_database(COUNT, tmp_path / "site.db")
    create_application()
    console = open_console(f"sqlite:///{db}")
    settings = UiSettings(QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    window = MainWindow(console, console.sites.local(), settings)
    qtbot.addWidget(window)
    view = window.packages_page.view
    watcher = PaintWatcher()
    view.viewport().installEventFilter(watcher)
    model = window.package_model

    start = time.perf_counter()
    window.show()
    painted = wait_for(lambda: model.total > 0 and model.loaded > 0 and watcher.paints > 0
                       and model.index(0, 0).data() != "Loading…")
    first_rows = painted - start
    wait_for(lambda: model.total == COUNT)  # the count arrives beside the first rows

    filter_times = []
    page = window.packages_page
    for text in ["0", "01", "012", "lab", "lab pxe (x86) 0", "pilot"]:
        page.filter.setText(text)
        generation = model.scope.generation
        paints = watcher.paints
        t0 = time.perf_counter()
        page.apply_filter_now()
        done = wait_for(lambda g=generation, p=paints: model.scope.generation != g and not model._blocks_loading
                        and watcher.paints > p)
        filter_times.append(done - t0)
    page.filter.clear()
    page.apply_filter_now()
    wait_for(lambda: model.total == COUNT and not model._blocks_loading)

    paints = watcher.paints
    t0 = time.perf_counter()
    view.scrollToBottom()
    last = model.total - 1
    scrolled = wait_for(lambda: model.index(last, 0).data() not in (None, "Loading…") and watcher.paints > paints)
    scroll_to_end = scrolled - t0

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "packages": COUNT,
        "first_rows_s": round(first_rows, 4),
        "filter_keystroke_ms_median": round(statistics.median(filter_times) * 1000, 1),
        "filter_keystroke_ms_max": round(max(filter_times) * 1000, 1),
        "scroll_to_end_s": round(scroll_to_end, 4),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console.json").write_text(json.dumps(figures, indent=2))
    print("\n" + json.dumps(figures, indent=2))
    window.close()
    console.close()
    assert figures["first_rows_s"] < 0.3
    assert figures["filter_keystroke_ms_median"] < 50
    assert figures["peak_rss_mb"] < 400
