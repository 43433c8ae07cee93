"""The live change feed on SQLite (change log, polled) and PostgreSQL (LISTEN/NOTIFY): what one
console commits reaches another console's feed, by table and id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.core.distribution import DistributionPoint, TransportKind
from console.core.live_changes import LiveBatch


@pytest.fixture
def two_sites(job_site, site_db: str) -> Iterator[tuple]:
    from console.app import open_console

    other = open_console(site_db, user="bob@ws2")
    yield job_site, other
    other.close()


def _collect(feed, wanted, timeout: float = 15.0) -> LiveBatch:
    """Poll ``feed`` until ``wanted(batch)`` holds for the batches merged so far (bounded)."""
    merged: list[LiveBatch] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = feed.poll()
        if not batch.empty:
            merged.append(batch)
            total = _merge(merged)
            if wanted(total):
                return total
        time.sleep(0.05)
    raise AssertionError(f"the feed did not deliver in {timeout} s: {merged}")


def _merge(batches: list[LiveBatch]) -> LiveBatch:
    changes = batches[0].changes
    jobs = set(batches[0].jobs)
    for b in batches[1:]:
        changes = changes | b.changes
        jobs |= b.jobs
    return LiveBatch(changes, frozenset(jobs), any(b.everything for b in batches))


def test_another_consoles_commits_reach_the_feed(two_sites, tmp_path: Path):
    alice, bob = two_sites
    feed = alice.change_feed()
    try:
        feed.start(lambda: None)
        if feed.push:
            assert feed.listening.wait(10)
        assert feed.poll().empty  # what was there before the feed started is not news
        bob.packages.put("PS100002", {"Description": "changed by bob"})
        (tmp_path / "dp").mkdir()
        bob.distribution_points.add(DistributionPoint(name="DP01", transport=TransportKind.FOLDER,
                                                      address=str(tmp_path / "dp")))
        job = bob.jobs.queue("test-files", "PS100001", {}).value
        bob.packages.delete("PS100003")
        batch = _collect(feed, lambda b: "PS100003" in b.changes.removed and b.jobs and b.changes.distribution)
        assert "PS100002" in batch.changes.updated
        assert job.context_id in batch.jobs
        assert not batch.everything
        assert feed.poll().empty  # each change is delivered once
    finally:
        feed.close()


def test_a_feed_far_behind_the_pruned_log_reads_everything(job_site, site_db):
    if not site_db.startswith("sqlite"):
        pytest.skip("the change log is SQLite's; PostgreSQL keeps no log")
    feed = job_site.change_feed()
    feed.start(lambda: None)
    with job_site.engine.begin() as conn:  # 5,200 changes: the oldest unread ones are pruned
        conn.exec_driver_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5200) "
                             "INSERT INTO change_log (table_name, object_id, operation) "
                             "SELECT 'job', 'J' || i, 'UPDATE' FROM n")
        kept = conn.exec_driver_sql("SELECT count(*) FROM change_log").scalar()
    assert 5000 <= kept <= 5100
    assert feed.poll().everything
