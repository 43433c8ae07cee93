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

GEN0_THRESHOLD = 20_000
GEN1_THRESHOLD = 5
GEN2_THRESHOLD = 20


def pause_garbage_collection() -> None:
    """Start-up (imports, the windows) runs without the cyclic collector: it would otherwise
    make ~200 collections while the modules are imported (~10 % of the time to the first rows)
    and find nothing to free. ``tune_garbage_collection`` (or ``resume_garbage_collection``
    when start-up fails) turns it on again; the few hundred unreachable objects start-up
    leaves are frozen with the rest."""
    gc.disable()


def resume_garbage_collection() -> None:
    gc.enable()


def tune_garbage_collection() -> None:
    """Call once the main window is shown (idempotent: later calls freeze what is new)."""
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    gc.freeze()
    gc.enable()
