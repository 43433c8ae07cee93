"""Real ``bootimage worker`` processes on one queue (SQLite and PostgreSQL): no job runs
twice, kill -9 and SIGTERM lose at most the step in progress, cancel stops at the next
checkpoint, two jobs of one package never run at once, and a queued job gets a detached
worker that outlives the command that queued it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from console.core.jobs import JobState
from tests.conftest import REPO
from tests.job_handlers import KIND, read_log

LEASE = 1.5


def env_for(url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "BOOTIMAGE_DB": url,
            "BOOTIMAGE_JOB_HANDLERS": "tests.job_handlers:handlers", "BOOTIMAGE_JOB_LEASE_SECONDS": str(LEASE),
            "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "0.3", "BOOTIMAGE_WORKER_POLL_SECONDS": "0.1",
            "BOOTIMAGE_JOB_RETRY_SECONDS": "0.2", "XDG_DATA_HOME": str(tmp_path / "data"),
            "PYTHONPATH": str(REPO)}


@pytest.fixture
def workers(job_site, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``start(*args)``: a `bootimage worker ARGS` process on the test site (killed at the end)."""
    started: list[subprocess.Popen[bytes]] = []
    env = env_for(job_site.url, tmp_path)

    def start(*args: str) -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", "console.cli", "worker", *args], env=env, cwd=REPO,
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def queue(site, out: Path, package: str | None = "PS100001", **payload) -> str:
    return site.jobs.queue(KIND, package, {"out": str(out), **payload}).value.context_id


def started(out: Path, step: str, process: subprocess.Popen[bytes] | None = None) -> bool:
    return any(e[0] == "start" and e[3] == step and (process is None or f":{process.pid}:" in e[4])
               for e in read_log(out))


def test_two_workers_on_one_queue_never_run_a_job_twice(job_site, workers, tmp_path):
    packages = [None] * 14 + ["PS100001", "PS100002", "PS100003"] * 2
    jobs = {queue(job_site, tmp_path, package, files=2, delay=0.01) for package in packages}
    a, b = workers("--until-idle"), workers("--until-idle")
    assert a.wait(timeout=240) == 0 and b.wait(timeout=240) == 0
    log = read_log(tmp_path)
    done = Counter((e[1], e[3]) for e in log if e[0] == "done")
    starts = Counter((e[1], e[3]) for e in log if e[0] == "start")
    assert set(done) == {(j, s) for j in jobs for s in ("one", "two", "three")}
    assert set(done.values()) == {1} and set(starts.values()) == {1}, "a step ran twice"
    for context_id in jobs:
        job = job_site.jobs.get(context_id)
        assert job.state == JobState.SUCCEEDED and job.attempts == 1
        # the worker each step records is the one whose log line says it ran it
        ran = {e[3]: e[4] for e in log if e[0] == "done" and e[1] == context_id}
        assert {r.step: r.worker for r in job.completed} == ran


def test_two_running_workers_share_many_quick_jobs_each_run_exactly_once(job_site, workers, tmp_path):
    """Both workers are polling before the jobs arrive, so both claim at once all the time (on
    PostgreSQL ``FOR UPDATE SKIP LOCKED``, on SQLite the write lock): each job runs once."""
    a, b = workers(), workers()
    wait_for(lambda: len(job_site.jobs.live_workers()) == 2, "both workers to register", timeout=120)
    jobs = {queue(job_site, tmp_path, None, steps=["one"], files=1, delay=0) for _ in range(40)}
    wait_for(lambda: all(job_site.jobs.get(j).state == JobState.SUCCEEDED for j in jobs), "every job to finish",
             timeout=240)
    for worker in (a, b):
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    log = read_log(tmp_path)
    assert Counter(e[1] for e in log if e[0] == "start") == dict.fromkeys(jobs, 1), "a job ran twice (or never)"
    assert Counter(e[1] for e in log if e[0] == "done") == dict.fromkeys(jobs, 1)
    assert all(job_site.jobs.get(j).attempts == 1 for j in jobs)
    ran_by = {e[4].split(":")[1] for e in log if e[0] == "done"}
    assert ran_by == {str(a.pid), str(b.pid)}, f"one worker ran every job: {ran_by}"


def test_two_jobs_of_one_package_run_one_after_the_other(job_site, workers, tmp_path):
    jobs = [queue(job_site, tmp_path, "PS100001", files=2, delay=0.03) for _ in range(4)]
    a, b = workers("--until-idle"), workers("--until-idle")
    assert a.wait(timeout=240) == 0 and b.wait(timeout=240) == 0
    active: str | None = None
    order = []
    for event, context_id, _package, step, *_ in read_log(tmp_path):
        if event == "start":
            assert active in (None, context_id), f"{context_id} started while {active} was running"
            active = context_id
            if step == "one":
                order.append(context_id)
        elif step == "three":
            active = None
    assert order == jobs  # and in the order they were queued
    assert all(job_site.jobs.get(j).state == JobState.SUCCEEDED for j in jobs)


def test_kill_9_in_each_step_loses_only_that_step(job_site, workers, tmp_path):
    context_id = queue(job_site, tmp_path, files=4, delay=0.3)
    steps = ("one", "two", "three")
    for step in steps:  # a new worker each time; it waits for the dead one's lease to expire
        worker = workers()
        wait_for(lambda step=step, worker=worker: started(tmp_path, step, worker), f"step {step} to start")
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    last = workers("--until-idle")
    assert last.wait(timeout=120) == 0
    job = job_site.jobs.get(context_id)
    assert (job.state, job.attempts, job.completed_steps) == (JobState.SUCCEEDED, 4, steps)
    log = read_log(tmp_path)
    for step in steps:
        events = [e for e in log if e[3] == step]
        # killed once, then run to completion exactly once, by the worker that resumed it
        assert [e[0] for e in events] == ["start", "start", "done"], events
        assert events[1][4] == events[2][4] != events[0][4]
    assert sorted(p.name for p in (tmp_path / context_id.strip("{}") / "three").iterdir()) == [
        "file-0", "file-1", "file-2", "file-3"]


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_sigterm_finishes_the_step_then_gives_the_job_back(job_site, workers, tmp_path):
    context_id = queue(job_site, tmp_path, files=4, delay=0.15)
    worker = workers()
    wait_for(lambda: started(tmp_path, "two", worker), "step two to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    job = job_site.jobs.get(context_id)
    assert (job.state, job.completed_steps, job.worker_id) == (JobState.QUEUED, ("one", "two"), None)
    assert "the worker stopped" in job.progress_text
    assert [e[0] for e in read_log(tmp_path) if e[3] == "two"] == ["start", "done"]
    assert workers("--until-idle").wait(timeout=60) == 0  # no lease to wait for: it was given back
    assert job_site.jobs.get(context_id).state == JobState.SUCCEEDED
    assert [e[3] for e in read_log(tmp_path) if e[0] == "start"] == ["one", "two", "three"]


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_sigterm_stops_a_checkpointing_step_at_its_checkpoint_and_it_resumes_there(job_site, workers, tmp_path):
    context_id = queue(job_site, tmp_path, steps=["only"], files=30, delay=0.1, checkpoint=True)
    worker = workers()
    wait_for(lambda: job_site.jobs.get(context_id).progress >= 3, "three files")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    job = job_site.jobs.get(context_id)
    resume_at = job.checkpoint["next"]
    assert job.state == JobState.QUEUED and 3 <= resume_at < 30 and job.step == "only"
    assert workers("--until-idle").wait(timeout=60) == 0
    assert job_site.jobs.get(context_id).state == JobState.SUCCEEDED
    assert [(e[0], e[5]) for e in read_log(tmp_path)] == [("start", "0"), ("start", str(resume_at)), ("done", "30")]


def test_cancel_of_a_running_job_takes_effect_at_the_next_checkpoint(job_site, workers, tmp_path):
    context_id = queue(job_site, tmp_path, files=200, delay=0.05)
    other = queue(job_site, tmp_path, "PS100002", files=1, delay=0)
    worker = workers("--until-idle")
    wait_for(lambda: started(tmp_path, "one"), "step one to start")
    job_site.jobs.cancel(context_id)
    assert worker.wait(timeout=60) == 0
    job = job_site.jobs.get(context_id)
    assert (job.state, job.error_code) == (JobState.CANCELLED, 1223)
    assert "cancelled on request in step one" in job.extended_error_info
    assert job_site.packages.query_osd_binary_injection_status(context_id).status == 2
    assert not any(e[0] == "done" and e[1] == context_id for e in read_log(tmp_path))
    assert job_site.jobs.get(other).state == JobState.SUCCEEDED  # the worker went on with the queue


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_cancel_stops_a_checkpointing_step_at_its_checkpoint(job_site, workers, tmp_path):
    context_id = queue(job_site, tmp_path, steps=["only"], files=200, delay=0.05, checkpoint=True)
    worker = workers("--until-idle")
    wait_for(lambda: job_site.jobs.get(context_id).progress >= 2, "two files")
    job_site.jobs.cancel(context_id)
    assert worker.wait(timeout=60) == 0
    job = job_site.jobs.get(context_id)
    assert job.state == JobState.CANCELLED and 2 <= job.checkpoint["next"] < 200
    assert [e[0] for e in read_log(tmp_path)] == ["start"]  # the step stopped at a checkpoint, never finished


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_a_queued_job_gets_a_detached_worker_that_outlives_the_command(job_site, tmp_path):
    env = env_for(job_site.url, tmp_path)
    payload = f'{{"out": "{tmp_path}", "files": 3, "delay": 0.2}}'
    result = subprocess.run([sys.executable, "-m", "console.cli", "job", "queue", KIND, "PS100001",
                             "--payload", payload], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    context_id = result.stdout.strip()
    assert job_site.jobs.get(context_id).state != JobState.SUCCEEDED  # the command has exited; the job goes on
    wait_for(lambda: job_site.jobs.get(context_id).state == JobState.SUCCEEDED, "the detached worker", 120)
    log = (tmp_path / "data" / "bootimage-console" / "worker.log").read_text()
    assert "started as" in log
    wait_for(lambda: "stopped" in (tmp_path / "data" / "bootimage-console" / "worker.log").read_text(),
             "the detached worker to exit when idle", 60)
    assert job_site.jobs.live_workers() == []


def test_work_folders_of_ended_jobs_are_swept_and_those_of_open_jobs_kept(job_site, workers, tmp_path):
    """A job cancelled between two steps (or while queued after its worker was killed) ends
    without any step running again, so no step removes its work folder: the worker sweeps it."""
    job_site.revisions.set_library_root(str(tmp_path / "ContentLib"))  # the worker's library too
    library = job_site.revisions.library()
    cancelled = queue(job_site, tmp_path)
    job_site.jobs.cancel(cancelled)
    waiting = queue(job_site, tmp_path)
    gone = "{00000000-0000-0000-0000-000000000001}"
    for context_id in (cancelled, waiting, gone):
        (library.work_dir(context_id) / "partial.wim").write_bytes(b"half a build")

    assert sorted(job_site.sweep_work_folders()) == sorted([cancelled, gone])
    assert library.work_ids() == [waiting]  # a queued job resumes from its folder

    (library.work_dir(cancelled) / "partial.wim").write_bytes(b"again")
    worker = workers("--until-idle")
    assert worker.wait(timeout=60) == 0
    job = job_site.jobs.find(waiting)
    assert job.state == JobState.SUCCEEDED, job.progress_text
    assert library.work_ids() == []


def test_an_until_idle_worker_stops_once_its_site_database_is_gone(job_site, request, tmp_path):
    """The console's detached worker (``--until-idle``) whose site database disappears (dropped,
    its server gone) stops after ``BOOTIMAGE_WORKER_UNREACHABLE_SECONDS`` with status 1 and says
    why, instead of trying forever in the background."""
    if not job_site.url.startswith("postgresql"):
        pytest.skip("drops the site's PostgreSQL database (an open SQLite file stays readable)")
    queue(job_site, tmp_path, files=200, delay=0.05)
    env = {**env_for(job_site.url, tmp_path), "BOOTIMAGE_WORKER_UNREACHABLE_SECONDS": "2"}
    with subprocess.Popen([sys.executable, "-m", "console.cli", "worker", "--until-idle"], env=env, cwd=REPO,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as worker:
        try:
            wait_for(lambda: started(tmp_path, "one", worker), "the job to start")
            database = make_url(job_site.url).database
            job_site.close()
            request.getfixturevalue("postgres_server").drop_database(database)
            started_at = time.monotonic()
            _out, err = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert worker.returncode == 1, err
    assert time.monotonic() - started_at < 30
    assert "the site database has been unreachable for 2 s: stopping" in err
