"""Cyclic garbage is collected on the GUI thread only while the console's worker threads run:
a collection in a worker thread that destroys a Qt object deadlocked the console (the worker
in ``QObject::~QObject`` holding Qt's signal-slot lock, waiting for the GIL; the GUI thread
holding the GIL, waiting for that lock)."""

from __future__ import annotations

import gc
import threading

from console.ui.gc_tuning import live_runners
from console.ui.tasks import TaskRunner


class Cycle:
    """Garbage that only the cyclic collector frees; says in which thread it was freed."""

    def __init__(self, freed_in: list[str]) -> None:
        self.me = self
        self.freed_in = freed_in

    def __del__(self) -> None:
        self.freed_in.append(threading.current_thread().name)


def test_garbage_is_collected_on_the_gui_thread_not_in_a_task(qtbot):
    before = live_runners()  # other tests' windows may still have theirs
    runner = TaskRunner()
    assert not gc.isenabled(), "no automatic collection while a TaskRunner lives"
    freed_in: list[str] = []
    Cycle(freed_in)  # unreachable at once: a collection frees it
    done: list[int] = []
    kept: list[list[dict[str, int]]] = []

    def allocate(_ctx) -> int:  # what a worker's read does: many new objects, kept (rows of a page)
        kept.append([{"row": n} for n in range(200_000)])
        return len(kept[0])

    runner.run(allocate, on_success=done.append)
    qtbot.waitUntil(lambda: bool(done) and bool(freed_in), timeout=20000)
    assert freed_in == [threading.main_thread().name]
    with qtbot.waitSignal(runner.destroyed, timeout=5000):
        runner.deleteLater()
    assert live_runners() <= before  # ours is counted off (other tests' windows may close meanwhile)
    if live_runners() == 0:
        assert gc.isenabled(), "the last runner gone: CPython collects again"
