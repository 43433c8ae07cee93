"""Garbage collection tuned for a GUI that holds many objects: no long collections while it runs.

CPython's cyclic collector stops every thread, the GUI thread included, for as long as it
scans. A full (generation-2) collection scans every tracked object: ~120,000 of them right
after the console started (150 ms on the 2-core reference machine), more once rows and scan
results are loaded: collections of 80–180 ms were the longest GUI stalls while drivers were
imported. ``tune_garbage_collection`` is called once, when the main window was first shown:

* ``gc.freeze()`` moves everything alive at that point (modules, Qt wrappers, the window) into
  the permanent generation: no later collection scans it again (objects frozen there are still
  freed by reference counting; only reference cycles among them are never collected, and start-up
  leaves almost none: a full collection at that point finds about a dozen unreachable objects).
* Generation 0 is collected after ``GEN0_THRESHOLD`` allocations (CPython: 700): a hundred times
  fewer collections, each still short (it scans at most that many young objects, ~1–3 ms).
* Generation 1 after ``GEN1_THRESHOLD`` of those (at most ~100,000 objects, a few ms), and
  generation 2 only after ``GEN2_THRESHOLD`` generation-1 collections (CPython: 10) *and* once
  the objects that survived grew by a quarter (CPython's own rule): full collections are rare
  and scan only what was created after start-up.
"""

from __future__ import annotations

import gc
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

GEN0_THRESHOLD = 20_000
GEN1_THRESHOLD = 5
GEN2_THRESHOLD = 20


def pause_garbage_collection() -> None:
    """Start-up (imports, the windows) runs without the cyclic collector: it would otherwise
    make ~200 collections while the modules are imported (~10 % of the time to the first rows)
    and find nothing to free. ``tune_garbage_collection`` (or ``resume_garbage_collection``
    when start-up fails) turns it on again; the few hundred unreachable objects start-up
    leaves are frozen with the rest."""
    _state["paused"] = True
    gc.disable()


def resume_garbage_collection() -> None:
    _state["paused"] = False
    if not _state["runners"]:
        gc.enable()


def tune_garbage_collection() -> None:
    """Call once the main window is shown (idempotent: later calls freeze what is new)."""
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    gc.freeze()
    resume_garbage_collection()


# -- collections on the GUI thread only ---------------------------------------------------------
#
# A collection runs in whichever thread allocates when a threshold is crossed: a worker thread
# of a TaskRunner too. If the garbage holds a Qt object, that thread destroys it, and
# ``QObject::~QObject`` takes Qt's signal-slot lock and then waits for the GIL, while the GUI
# thread holds the GIL and waits for that lock in ``connect``: the console froze for good (seen
# in a test run: a worker's SQLAlchemy read collected a dialog's cycle while a window was being
# shown). So while a TaskRunner exists, automatic collection is off and the GUI thread collects,
# by the same thresholds, from a timer.

COLLECT_INTERVAL_MS = 100
_state: dict[str, Any] = {"paused": False, "runners": 0, "timer": None}


def collecting() -> bool:
    """Whether cyclic garbage is collected now (by CPython, or by the GUI thread's timer)."""
    return gc.isenabled() or (bool(_state["runners"]) and not _state["paused"])


def live_runners() -> int:
    """TaskRunners alive now (automatic collection is off while there is one)."""
    return int(_state["runners"])


def collect_on_gui_thread(runner: QObject) -> None:
    """Called by each ``TaskRunner`` (on the GUI thread): no automatic collection while it
    lives; the GUI thread collects instead. The last runner's end turns the collector back on."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    if _state["timer"] is None:
        timer = QTimer(app)
        timer.setInterval(COLLECT_INTERVAL_MS)
        timer.timeout.connect(collect_due)
        _state["timer"] = timer
    _state["runners"] += 1
    runner.destroyed.connect(_runner_gone)
    gc.disable()
    _state["timer"].start()


def _runner_gone() -> None:
    _state["runners"] = max(0, _state["runners"] - 1)
    if not _state["runners"]:
        if _state["timer"] is not None:
            _state["timer"].stop()
        if not _state["paused"]:
            gc.enable()


def collect_due() -> int:
    """The collection CPython would have made by now (none while start-up pauses it); the
    number of unreachable objects found."""
    if _state["paused"]:
        return 0
    count0, count1, count2 = gc.get_count()
    threshold0, threshold1, threshold2 = gc.get_threshold()
    if count0 < threshold0:
        return 0
    if count1 < threshold1:
        return gc.collect(0)
    if count2 < threshold2:
        return gc.collect(1)
    return gc.collect(2)
