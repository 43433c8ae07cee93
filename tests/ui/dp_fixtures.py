"""Fixtures of the distribution GUI tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

PARKED = "gui-test-parked-worker"


@pytest.fixture
def jobs_stay_queued(console) -> Iterator[None]:
    """A registered worker that takes no job kind the tests queue: the console then starts no
    detached ``bootimage worker`` (one heartbeats), so the distribution jobs a GUI action
    queues stay queued and the states the test set or reads are not changed under it."""
    console.jobs.register_worker(PARKED, "localhost", os.getpid(), ["parked"])
    yield
    console.jobs.unregister_worker(PARKED)


def wait_rows(qtbot, panel, count: int, timeout: int = 10000) -> None:
    """Until a Content Locations panel (or page) has read all its rows and shows ``count``."""
    qtbot.waitUntil(lambda: panel.model.complete and panel.model.rowCount() == count, timeout=timeout)
