"""Garbage collection is tuned once the console has started: what start-up built is frozen
(never scanned by a later collection) and collections are rarer, so no long collection stalls
the GUI while many rows or scan results are loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from console.ui.gc_tuning import GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from console.launcher import parse_args
from console.ui.application import create_application, run_gui
from console.ui.gc_tuning import collecting

app = create_application()
tries = [600]  # the main window follows the start-up window once the site is open: 60 s at most
def probe():
    windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    names = [type(w).__name__ for w in windows]
    tries[0] -= 1
    if "MainWindow" not in names and tries[0] > 0:
        QTimer.singleShot(100, probe)
        return
    QTimer.singleShot(300, lambda: report(windows, names))  # tuned just after the window is shown
def report(windows, names):
    print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(), "windows": names,
                      "enabled": collecting()}))
    for w in windows:
        w.close()
    app.quit()
QTimer.singleShot(100, probe)
sys.exit(run_gui(parse_args(["--db", sys.argv[1]])))
"""


def test_the_started_console_has_frozen_its_start_up_objects_and_raised_thresholds(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    out = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'site.db'}"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    state = json.loads(out.strip().splitlines()[-1])
    assert "MainWindow" in state["windows"], "probed while the main window is shown"
    assert state["frozen"] > 50_000, "the objects built at start-up are in the permanent generation"
    assert state["threshold"] == [GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD]
    assert state["enabled"], "the collector paused during start-up runs again"
    assert GEN0_THRESHOLD >= 10_000 and GEN2_THRESHOLD > 10, "rarer collections than CPython's (700, 10, 10)"
