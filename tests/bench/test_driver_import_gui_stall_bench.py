"""GUI event-loop stalls while 5,000 INFs are scanned and imported (``make bench``, issue 11).

The real main window on a real site, on its Drivers page; Import Driver scans a folder of
``BOOTIMAGE_BENCH_INFS`` INFs (5,000) and imports them, the way an administrator does it, and the
Drivers page reloads afterwards. A 10 ms QTimer probe measures the longest gap between its ticks
from Next (scan) to the completion page with the list reloaded, against the same probe on the
same idle window (the reference, alternating in the same run). Before issue 11 the worst stall was
338 ms (one progress signal per INF: 5,001 queued signals; gen-2 garbage collections; the 5,000-row
details page laid out three times through a Python ``flags``); limit 50 ms (``assert_no_stall``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard

from tests.bench import measure
from tests.bench.stall import LIMIT_MS, GcLog, StallProbe, assert_no_stall, idle_stall, wait_for

pytestmark = pytest.mark.bench
COUNT = int(os.environ.get("BOOTIMAGE_BENCH_INFS", "5000"))


def inf_folder(root: Path) -> Path:
    from tests.driver_fixtures import LOCAL_INF

    data = sorted(LOCAL_INF.glob("*.inf"))[0].read_bytes()
    folder = root / "infs"
    folder.mkdir()
    for i in range(COUNT):
        one = folder / f"d{i // 100:03}"
        one.mkdir(exist_ok=True)
        (one / f"d{i:05}.inf").write_bytes(data)
        (one / f"d{i:05}.sys").write_bytes(b"MZ %d" % i)
    return folder


def test_no_gui_stall_of_50_ms_while_5000_infs_are_imported(tmp_path, qtbot):
    from console.app import ensure_default_site, open_console
    from console.ui.application import create_application
    from console.ui.dialogs.import_driver_dialog import ImportDriverDialog, PageId
    from console.ui.gc_tuning import tune_garbage_collection
    from console.ui.main_window import MainWindow
    from console.ui.settings import UiSettings

    create_application()
    folder = inf_folder(tmp_path)
    probe = StallProbe()
    runs: list[tuple[float, float, str]] = []  # seconds, worst stall, five worst
    window: list[MainWindow] = []
    counter = iter(range(1000))

    def open_window() -> MainWindow:
        n = next(counter)
        console = open_console(f"sqlite:///{tmp_path / f'site{n}.db'}")
        ensure_default_site(console)
        win = MainWindow(console, console.sites.local(),
                         UiSettings(QSettings(str(tmp_path / f"ui{n}.ini"), QSettings.Format.IniFormat)))
        qtbot.addWidget(win)
        win.show()
        tune_garbage_collection()  # as the console does once its window is shown (run_gui)
        model = win.navigation_model
        win.navigation.setCurrentIndex(model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Drivers", 1,
                                                   Qt.MatchFlag.MatchRecursive)[0])
        wait_for(lambda: not win.tasks.running, 30)
        return win

    def close_window() -> None:
        if window:
            win = window.pop()
            win.close()
            win.tasks.wait(10000)
            win.console.close()

    def importing() -> float:
        close_window()
        win = open_window()
        window.append(win)
        win.console_actions.import_driver.trigger()
        dialog = win.findChild(ImportDriverDialog)
        assert dialog is not None
        dialog.locate.folder.setText(str(folder))
        probe.start()
        started = time.monotonic()
        with GcLog() as collections:
            dialog.next()  # scan
            wait_for(lambda: dialog.currentId() == PageId.DETAILS, 600)
            scanned = time.monotonic() - started
            dialog.button(QWizard.WizardButton.NextButton).click()  # import
            wait_for(lambda: dialog.currentId() == PageId.DONE, 600)
            imported = time.monotonic() - started
            wait_for(lambda: not win.tasks.running, 60)  # the Drivers page reloaded
        probe.stop()
        timeline = [(round(t), round(g)) for t, g in probe.timeline() if g >= LIMIT_MS / 2]
        print(f"\nscan ended {scanned * 1000:.0f} ms, import {imported * 1000:.0f} ms; stalls ≥ 25 ms at (ms, ms): "
              f"{timeline}; garbage collections: {collections.summary()}")
        assert win.console.drivers.query().total == COUNT
        dialog.accept()
        runs.append((time.monotonic() - started, probe.worst, f"{probe.worst_five()}); {probe.cpu_summary()}"))
        return probe.worst

    def idle() -> float:
        if not window:
            window.append(open_window())
        with GcLog() as collections:
            worst = idle_stall(probe)
        print(f"\nidle window: worst stall {worst:.1f} ms (five worst {probe.worst_five()}); "
              f"garbage collections: {collections.summary()}")
        return worst

    try:
        stalls, idles = measure.paired(importing, idle, unit="ms")
    finally:
        close_window()
    for seconds, worst, five in runs:
        print(f"\n{COUNT} INFs scanned and imported in {seconds:.1f} s: worst stall {worst:.1f} ms (five worst, with ms of CPU "
              f"of the GUI thread / the process in them: {five}")
    measure.record("driver_import_gui_stall", {
        "import_stall": {"subject": stalls, "reference": idles, "goal": f"< {LIMIT_MS:.0f} ms",
                         "label": f"max GUI event-loop stall while scanning and importing {COUNT} INFs "
                                  "(reference: the same window idle)"},
    }, notes="10 ms QTimer probe on the GUI thread; the gap beyond 10 ms between two ticks")
    assert_no_stall(stalls, idles, f"importing {COUNT} INFs")
