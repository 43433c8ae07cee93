"""The job engine's service on SQLite and on PostgreSQL: queue, claim, lease, cancel, retry,
delete and the WMI view (QueryOSDBinaryInjectionStatus / DeleteContextID)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from console.core.errors import NotFoundError, ValidationError
from console.core.jobs import ERROR_CANCELLED, JobError, JobSettings, JobState, LeaseLost
from tests.job_handlers import KIND, read_log

SETTINGS = JobSettings(lease=2.0, heartbeat=0.2, retry_delay=0.2, max_attempts=3, poll=0.05)


@pytest.fixture
def site(job_site):
    return job_site


def queue(site, out: Path, package: str | None = "PS100001", **payload):
    return site.jobs.queue(KIND, package, {"out": str(out), **payload}).value


def test_queued_job_reads_as_in_progress_and_unknown_as_no_status(site, tmp_path):
    job = queue(site, tmp_path)
    assert job.context_id.startswith("{") and len(job.context_id) == 38
    status = site.packages.query_osd_binary_injection_status(job.context_id)
    assert (status.status, status.progress_text) == (1, "queued")
    assert site.jobs.get(job.context_id).queued_by == "alice@console1"
    assert site.packages.query_osd_binary_injection_status("{nope}").status == 3


def test_queue_refuses_an_unknown_kind_a_missing_package_and_leaves_nothing(site, tmp_path):
    with pytest.raises(ValidationError, match="there is no job kind 'bake'"):
        site.jobs.queue("bake", "PS100001", {})
    with pytest.raises(NotFoundError, match="there is no boot image package 'PS1FFFFF'; nothing was queued"):
        site.jobs.queue(KIND, "PS1FFFFF", {"out": str(tmp_path)})
    assert site.jobs.list() == []


def test_claim_takes_the_oldest_job_and_never_two_of_one_package(site, tmp_path):
    first = queue(site, tmp_path, "PS100001")
    second = queue(site, tmp_path, "PS100001")
    other = queue(site, tmp_path, "PS100002")
    a = site.jobs.claim("worker-a", SETTINGS)
    assert a.context_id == first.context_id and a.state == JobState.RUNNING and a.attempts == 1
    b = site.jobs.claim("worker-b", SETTINGS)
    assert b.context_id == other.context_id  # the second job of PS100001 waits for the first
    assert site.jobs.claim("worker-c", SETTINGS) is None
    site.jobs.finish(a, "worker-a", JobState.SUCCEEDED)
    assert site.jobs.claim("worker-c", SETTINGS).context_id == second.context_id


def test_an_expired_lease_passes_the_job_to_another_worker_and_fences_the_old_one(site, tmp_path):
    job = queue(site, tmp_path)
    short = JobSettings(lease=1.0, heartbeat=0.1)
    held = site.jobs.claim("worker-a", short)
    site.jobs.start_step(held, "worker-a", "one", 1, 3)
    assert site.jobs.claim("worker-b", short) is None  # the lease is still valid
    time.sleep(1.2)
    taken = site.jobs.claim("worker-b", short)
    assert (taken.context_id, taken.worker_id, taken.attempts) == (job.context_id, "worker-b", 2)
    with pytest.raises(LeaseLost):
        site.jobs.report_progress(job.context_id, "worker-a", 1, 2, "late")
    with pytest.raises(LeaseLost):
        site.jobs.finish(held, "worker-a", JobState.SUCCEEDED)
    assert not site.jobs.renew_lease(job.context_id, "worker-a", short).held
    assert site.jobs.renew_lease(job.context_id, "worker-b", short).held


def test_wmi_status_of_each_state(site, tmp_path):
    wmi = site.packages.query_osd_binary_injection_status
    done, failed, cancelled, running = (queue(site, tmp_path, f"PS10000{n}") for n in (1, 2, 3, 1))
    for _ in range(3):
        site.jobs.claim("w", SETTINGS)
    site.jobs.finish(done, "w", JobState.SUCCEEDED, summary="built")
    site.jobs.finish(failed, "w", JobState.FAILED, error_code=112, text="step two: the disk is full")
    site.jobs.cancel(cancelled.context_id)
    assert site.jobs.get(cancelled.context_id).cancel_requested  # running: stops at its next checkpoint
    site.jobs.finish(cancelled, "w", JobState.CANCELLED, error_code=ERROR_CANCELLED, text="cancelled on request")
    assert wmi(done.context_id).status == 0 and wmi(done.context_id).progress_text == "built"
    f = wmi(failed.context_id)
    assert (f.status, f.error_code, f.extended_error_info) == (2, 112, "step two: the disk is full")
    assert (wmi(cancelled.context_id).status, wmi(cancelled.context_id).error_code) == (2, ERROR_CANCELLED)
    assert wmi(running.context_id).status == 1  # queued
    site.jobs.claim("w", SETTINGS)
    assert wmi(running.context_id).status == 1  # running
    assert site.jobs.get(running.context_id).state == JobState.RUNNING


def test_cancel_of_a_queued_job_is_immediate(site, tmp_path):
    job = queue(site, tmp_path)
    cancelled = site.jobs.cancel(job.context_id).value
    assert (cancelled.state, cancelled.error_code) == (JobState.CANCELLED, ERROR_CANCELLED)
    assert "cancelled by alice@console1 before it started" in cancelled.extended_error_info
    assert site.jobs.claim("w", SETTINGS) is None
    with pytest.raises(ValidationError, match="has already ended"):
        site.jobs.cancel(job.context_id)


def test_retry_queues_a_failed_job_again_keeping_attempts(site, tmp_path):
    job = queue(site, tmp_path)
    held = site.jobs.claim("w", SETTINGS)
    site.jobs.complete_step(held, "w", "one", {"files": 1})
    site.jobs.finish(held, "w", JobState.FAILED, error_code=1, text="boom")
    with pytest.raises(ValidationError, match="only a failed or cancelled job can be retried"):
        site.jobs.retry(queue(site, tmp_path, "PS100002").context_id)
    site.jobs.cancel(site.jobs.list(package_id="PS100002")[0].context_id)
    again = site.jobs.retry(job.context_id).value
    assert (again.state, again.attempts, again.error_code, again.extended_error_info) == (JobState.QUEUED, 1, 0, "")
    assert again.completed_steps == ()  # a retry runs every step again
    assert site.jobs.claim("w", SETTINGS).attempts == 2


def test_delete_context_id_is_refused_while_the_job_runs(site, tmp_path):
    job = queue(site, tmp_path)
    held = site.jobs.claim("w", SETTINGS)
    with pytest.raises(ValidationError, match="is still running; cancel it first"):
        site.packages.delete_context_id(job.context_id)
    with pytest.raises(ValidationError, match="is running; cancel it first"):
        site.jobs.delete(job.context_id)
    site.jobs.finish(held, "w", JobState.SUCCEEDED)
    site.packages.delete_context_id(job.context_id)
    assert site.packages.query_osd_binary_injection_status(job.context_id).status == 3
    with pytest.raises(NotFoundError, match="nothing was deleted"):
        site.jobs.delete(job.context_id)


def test_concurrent_claims_in_threads_hand_out_each_job_once(site, tmp_path):
    jobs = {queue(site, tmp_path, None).context_id for _ in range(12)}
    taken: list[str] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        for _ in range(20):
            job = site.jobs.claim(name, SETTINGS)
            if job is None:
                return
            with lock:
                taken.append(job.context_id)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(taken) == sorted(jobs)


def _worker(site, **kwargs):
    from console.worker import Worker

    return Worker(site, until_idle=True, settings=SETTINGS, log=lambda _text: None, **kwargs)


def test_worker_runs_every_step_and_records_who_ran_it(site, tmp_path):
    job = queue(site, tmp_path, files=2, delay=0)
    worker = _worker(site)
    assert worker.run() == 0
    done = site.jobs.get(job.context_id)
    assert done.state == JobState.SUCCEEDED and done.completed_steps == ("one", "two", "three")
    assert {r.worker for r in done.completed} == {worker.id}
    assert done.step_results["two"] == {"files": 2, "worker": worker.id}
    assert [(e[0], e[3]) for e in read_log(tmp_path)] == [
        ("start", "one"), ("done", "one"), ("start", "two"), ("done", "two"), ("start", "three"), ("done", "three")]
    assert site.jobs.live_workers(SETTINGS) == []  # it removed its record when it stopped


def test_failing_step_fails_the_job_with_its_message_and_code(site, tmp_path):
    job = queue(site, tmp_path, fail="two", delay=0)
    _worker(site).run()
    failed = site.jobs.get(job.context_id)
    assert (failed.state, failed.error_code) == (JobState.FAILED, 112)
    assert failed.extended_error_info == "step two: the test handler was told to fail in step two"
    assert failed.completed_steps == ("one",)


def test_a_passing_failure_is_retried_after_the_delay_until_attempts_run_out(site, tmp_path):
    job = queue(site, tmp_path, fail="one", retryable=True, delay=0)
    _worker(site).run()
    failed = site.jobs.get(job.context_id)
    assert (failed.state, failed.attempts) == (JobState.FAILED, SETTINGS.max_attempts)
    starts = [float(e[-1]) for e in read_log(tmp_path) if e[0] == "start"]
    assert len(starts) == 3 and starts[1] - starts[0] >= 0.2 and starts[2] - starts[1] >= 0.4  # backoff doubles


@pytest.mark.parametrize("checkpoint", [False, True])
def test_progress_and_checkpoints_reach_the_database_at_most_ten_times_a_second(site, tmp_path, checkpoint):
    job = queue(site, tmp_path, files=400, delay=0.0025, steps=["only"], checkpoint=checkpoint)
    writes: list[float] = []

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOB") and ("progress" in statement or "checkpoint" in statement):
            writes.append(time.monotonic())

    event.listen(site.engine, "before_cursor_execute", count)
    try:
        start = time.monotonic()
        _worker(site).run()
        elapsed = time.monotonic() - start
    finally:
        event.remove(site.engine, "before_cursor_execute", count)
    assert site.jobs.get(job.context_id).state == JobState.SUCCEEDED
    assert 2 <= len(writes) <= 10 * elapsed + 5  # + start, end and completion of the step, and the finish


def test_job_error_is_a_console_error_with_a_code():
    error = JobError("no space left on the content library", code=112)
    assert (str(error), error.code, error.retryable) == ("no space left on the content library", 112, False)


def test_settings_come_from_the_environment_then_the_site(site, monkeypatch):
    monkeypatch.setenv("BOOTIMAGE_JOB_LEASE_SECONDS", "5")
    with site.context.uow(write=True) as uow:
        uow.settings.set("JobHeartbeatSeconds", "2", modified_by="t", modified_at=datetime.now(UTC))
        uow.commit()
    settings = site.jobs.settings()
    assert (settings.lease, settings.heartbeat, settings.max_attempts) == (5.0, 2.0, 3)
    monkeypatch.setenv("BOOTIMAGE_JOB_HEARTBEAT_SECONDS", "9")
    with pytest.raises(Exception, match="must be shorter than the lease"):
        site.jobs.settings()


def test_live_workers_are_those_with_a_recent_heartbeat(site):
    site.jobs.register_worker("w1", "host", 123, [KIND])
    assert [w.id for w in site.jobs.live_workers(SETTINGS)] == ["w1"]
    later = site.jobs.__class__(site.context, site.jobs.handlers, clock=lambda: datetime.now(UTC) + timedelta(seconds=5))
    assert later.live_workers(SETTINGS) == []


def test_a_starting_worker_removes_the_records_of_workers_dead_for_a_day(site):
    from console.core.services.jobs import Jobs

    two_days_ago = Jobs(site.context, site.jobs.handlers, clock=lambda: datetime.now(UTC) - timedelta(days=2))
    two_days_ago.register_worker("killed", "host", 1, [KIND])
    site.jobs.register_worker("w1", "host", 2, [KIND])
    with site.context.uow() as uow:
        assert [w.id for w in uow.jobs.live_workers(datetime.now(UTC) - timedelta(days=30))] == ["w1"]
