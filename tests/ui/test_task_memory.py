"""A finished background task lets go of its result (the package list reads 200 packages a
task; scrolling through 100,000 rows must not keep 500 pages)."""

from __future__ import annotations

import gc
import weakref


class Page:
    pass


def test_a_finished_task_keeps_neither_its_result_nor_its_callbacks(qtbot, tasks):
    delivered: list[object] = []
    task = tasks.run(lambda ctx: Page(), on_success=delivered.append)
    qtbot.waitUntil(lambda: bool(delivered), timeout=10000)
    page = weakref.ref(delivered[0])
    delivered.clear()
    del task
    gc.collect()
    assert page() is None
