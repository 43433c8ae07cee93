"""The package list keeps a bounded number of rows: blocks far from where the user scrolled
are dropped and read again (the same packages) when scrolled back to; the last block is
read from the end; sorting by any column pages correctly through the window."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from console.core.ports import PackageQuery
from console.storage.schema import PackageRow
from console.ui.models.package_tree_model import BLOCK_SIZE, MAX_BLOCKS
from tests.bench.site_generator import package_rows
from tests.ui.conftest import wait_idle

COUNT = BLOCK_SIZE * (MAX_BLOCKS + 6) + 37  # more blocks than the model keeps, a short last block


@pytest.fixture
def many(console):
    with console.engine.begin() as conn:
        for batch in package_rows(COUNT, datetime(2026, 12, 1, tzinfo=UTC), seed=3):
            conn.execute(insert(PackageRow), batch)
    return console


def _show_row(qtbot, window, row: int) -> None:
    view = window.packages_page.view
    proxy = window.packages_page.proxy
    view.scrollTo(proxy.index(row, 0))
    view.viewport().repaint()
    wait_idle(qtbot, window)
    view.viewport().repaint()
    wait_idle(qtbot, window)


def test_far_blocks_are_dropped_and_read_again_when_scrolled_back(qtbot, many, make_window):
    window = make_window()
    model = window.package_model
    qtbot.waitUntil(lambda: model.total == COUNT, timeout=15000)
    expected = [p["PackageID"] for p in many.packages.query(PackageQuery(sort="Name"), count=False).items]
    for block in range(COUNT // BLOCK_SIZE + 1):  # scroll through the whole list
        _show_row(qtbot, window, min(block * BLOCK_SIZE + 5, COUNT - 1))
        assert len(model.loaded_blocks) <= MAX_BLOCKS
        assert model.loaded <= MAX_BLOCKS * BLOCK_SIZE
    assert 0 not in model.loaded_blocks  # the first block was dropped far behind
    assert model.index(3, 0).data() == "Loading…"
    _show_row(qtbot, window, 3)  # back to the top: read again
    assert 0 in model.loaded_blocks
    names = {p["PackageID"]: p["Name"] for p in many.packages.query(PackageQuery(sort="Name"), count=False).items}
    assert [model.index(r, 0).data() for r in range(10)] == [names[pid] for pid in expected[:10]]


@pytest.mark.parametrize("column", [0, 6, 9])  # Name, Size, Last Update (NULLs)
def test_ctrl_end_shows_the_last_packages_in_every_sort_order(qtbot, many, make_window, column):
    from PySide6.QtCore import Qt

    window = make_window()
    model = window.package_model
    qtbot.waitUntil(lambda: model.total == COUNT, timeout=15000)
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        window.packages_page.view.sortByColumn(column, order)
        qtbot.waitUntil(lambda: model.total == COUNT, timeout=15000)
        wait_idle(qtbot, window)
        query = PackageQuery(sort=model.scope.sort, descending=model.scope.descending)
        expected = [p["Name"] for p in many.packages.query(query, count=False).items]
        _show_row(qtbot, window, COUNT - 1)
        assert [model.index(r, 0).data() for r in range(COUNT - 30, COUNT)] == expected[-30:]
        _show_row(qtbot, window, COUNT // 2)  # a jump to the middle
        assert [model.index(r, 0).data() for r in range(COUNT // 2 - 3, COUNT // 2 + 3)] == \
            expected[COUNT // 2 - 3:COUNT // 2 + 3]
