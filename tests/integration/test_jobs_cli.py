"""`bootimage job …` and `bootimage worker` as a user runs them (separate processes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.integration.conftest import OS_USER
from tests.integration.test_jobs_worker import env_for
from tests.job_handlers import KIND


@pytest.fixture
def site_db(tmp_path: Path) -> str:
    """The CLI's twin of the service tests: SQLite is enough here."""
    return f"sqlite:///{tmp_path / 'site.db'}"


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(job_site, tmp_path: Path) -> Cli:
    env = env_for(job_site.url, tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "console.cli", *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=120)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith("error: ") and text in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_queue_list_status_cancel_retry_delete(cli, tmp_path):
    payload = json.dumps({"out": str(tmp_path)})
    queued = json.loads(ok(cli("job", "queue", KIND, "PS100001", "--payload", payload, "--no-worker", "--json")))
    ctx = queued["ContextID"]
    assert (queued["State"], queued["Status"], queued["PackageID"], queued["QueuedBy"]) == (
        "queued", 1, "PS100001", OS_USER)  # SQLite: the operating-system user queued it
    assert [j["ContextID"] for j in json.loads(ok(cli("job", "list", "--json")))] == [ctx]
    assert ctx in ok(cli("job", "list", "--state", "queued"))
    assert ok(cli("job", "list", "--state", "failed", "--json")).strip() == "[]"
    status = json.loads(ok(cli("job", "status", ctx, "--json")))
    assert (status["Status"], status["State"], status["ProgressText"]) == (1, "queued", "queued")
    assert ok(cli("job", "status", ctx)).startswith(f"in progress: {ctx} {KIND} queued")
    assert ok(cli("job", "cancel", ctx)).strip() == f"cancelled job {ctx}"
    status = json.loads(ok(cli("job", "status", ctx, "--json")))
    assert (status["Status"], status["State"], status["ErrorCode"]) == (2, "cancelled", 1223)
    one_line_error(cli("job", "cancel", ctx), "has already ended (cancelled)")
    again = json.loads(ok(cli("job", "retry", ctx, "--no-worker", "--json")))
    assert (again["State"], again["ErrorCode"]) == ("queued", 0)
    assert ok(cli("job", "delete", ctx)).strip() == f"deleted job {ctx}"
    one_line_error(cli("job", "status", ctx), f"no job with ContextID '{ctx}'")
    one_line_error(cli("job", "delete", ctx, "--json"), "nothing was deleted")


def test_a_context_id_without_its_braces_or_in_lower_case_names_the_same_job(cli, tmp_path):
    """A shell that was not told to quote eats the braces; a log may show the GUID in lower case."""
    payload = json.dumps({"out": str(tmp_path)})
    ctx = json.loads(ok(cli("job", "queue", KIND, "PS100001", "--payload", payload, "--no-worker", "--json")))["ContextID"]
    bare = ctx.strip("{}")
    assert ok(cli("job", "status", bare)).startswith(f"in progress: {ctx} {KIND} queued")
    assert json.loads(ok(cli("job", "status", bare.lower(), "--json")))["ContextID"] == ctx
    assert ok(cli("job", "cancel", bare)).strip() == f"cancelled job {ctx}"
    assert json.loads(ok(cli("job", "retry", f" {bare.lower()} ", "--no-worker", "--json")))["State"] == "queued"
    assert ok(cli("job", "cancel", "{" + bare.lower() + "}")).strip() == f"cancelled job {ctx}"
    assert ok(cli("job", "delete", bare)).strip() == f"deleted job {ctx}"
    one_line_error(cli("job", "status", bare), f"no job with ContextID '{ctx}'")


def test_bad_input_gets_one_line_and_changes_nothing(cli, job_site):
    one_line_error(cli("job", "queue", "bake", "PS100001"), "there is no job kind 'bake' (known: build, distribute, media, refresh, test-files)")
    one_line_error(cli("job", "queue", KIND, "PS100001", "--payload", "[1]"), "--payload must be a JSON object")
    one_line_error(cli("job", "queue", KIND, "PS100001", "--payload", "{"), "--payload is not JSON")
    one_line_error(cli("job", "queue", KIND, "PS1FFFFF", "--no-worker"), "there is no boot image package 'PS1FFFFF'")
    one_line_error(cli("job", "retry", "{X}"), "no job with ContextID '{X}'")
    assert job_site.jobs.list() == []


def test_a_running_job_cannot_be_deleted_and_a_worker_with_nothing_to_do_exits(cli, job_site, tmp_path):
    assert ok(cli("worker", "--until-idle")) == ""  # nothing queued: it exits at once
    ctx = job_site.jobs.queue(KIND, "PS100001", {"out": str(tmp_path)}).value.context_id
    job_site.jobs.claim("some-worker", job_site.jobs.settings())
    one_line_error(cli("job", "delete", ctx), "is still running; cancel it first")
    assert "cancel requested" in ok(cli("job", "cancel", ctx))
    assert json.loads(ok(cli("job", "status", ctx, "--json")))["CancelRequested"] is True


def test_the_systemd_unit_runs_the_worker_hardened_and_is_valid(tmp_path):
    unit = (REPO / "packaging" / "bootimage-worker.service").read_text()
    lines = {line.strip() for line in unit.splitlines()}
    assert {"User=bootimage", "ExecStart=/usr/bin/bootimage worker", "Restart=on-failure", "ProtectSystem=strict",
            "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=read-only", "KillSignal=SIGTERM"} <= lines
    assert any(line.startswith("ReadWritePaths=") for line in lines)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax was not checked")
    copy = tmp_path / "bootimage-worker.service"  # verify needs an ExecStart that exists
    copy.write_text(unit.replace("/usr/bin/bootimage", str(Path(sys.executable).with_name("bootimage"))))
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def session_nice(pid: str) -> str | None:
    """The nice of a process's autogroup (its session), or None for the root group.

    The kernel prints nothing for a process in the root group (a session of init's, as under
    some CI runners and containers): that group has no nice of its own and is never changed."""
    text = Path(f"/proc/{pid}/autogroup").read_text().split()
    return text[-1] if text else None


def test_the_worker_the_console_starts_runs_at_lower_cpu_priority(cli, job_site, tmp_path):
    """A build compresses on every core: the detached worker the console starts is niced, so the
    desktop stays responsive; `--nice` out of range is refused."""
    import os
    import time

    one_line_error(cli("worker", "--nice", "25"), "--nice 25: give 0 (normal priority) to 19 (lowest)")
    payload = json.dumps({"out": str(tmp_path), "files": 40, "delay": 0.05})
    ok(cli("job", "queue", KIND, "PS100001", "--payload", payload))  # no --no-worker: one is started
    deadline = time.monotonic() + 30
    workers = []
    while not workers and time.monotonic() < deadline:
        workers = [w for w in job_site.jobs.live_workers() if w.pid != os.getpid()]
        time.sleep(0.05)
    assert workers, "the CLI started no worker"
    stat = Path(f"/proc/{workers[0].pid}/stat").read_text()
    assert int(stat.rsplit(")", 1)[1].split()[16]) == 10, "the auto-started worker runs niced by 10"
    autogroup = Path(f"/proc/{workers[0].pid}/autogroup")
    if autogroup.exists():  # Linux shares the CPU between sessions first: the worker's own session yields too
        assert session_nice(str(workers[0].pid)) == "10", autogroup.read_text()
        assert session_nice("self") in (None, "0"), "the console's session keeps its priority"
    assert (REPO / "packaging" / "bootimage-worker.service").read_text().count("\nNice=10\n") == 1
    while job_site.jobs.live_workers() and time.monotonic() < deadline + 60:
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(), reason="needs Linux autogroup scheduling")
def test_a_worker_started_in_a_terminal_lowers_its_own_priority_not_the_terminals(cli, job_site, tmp_path):
    """`bootimage worker --nice 10` typed in a terminal shares the terminal's session: it lowers
    its own priority, never that of the shell and everything else run in that terminal."""
    import time

    payload = json.dumps({"out": str(tmp_path), "files": 20, "delay": 0.05})
    ok(cli("job", "queue", KIND, "PS100001", "--payload", payload, "--no-worker"))
    env = env_for(job_site.url, tmp_path)
    with subprocess.Popen([sys.executable, "-m", "console.cli", "worker", "--until-idle", "--nice", "10"],
                          env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as worker:
        deadline = time.monotonic() + 30
        while not [w for w in job_site.jobs.live_workers() if w.pid == worker.pid] and time.monotonic() < deadline:
            time.sleep(0.05)
        stat = Path(f"/proc/{worker.pid}/stat").read_text()
        assert int(stat.rsplit(")", 1)[1].split()[16]) == 10, "the worker runs niced by 10"
        assert Path(f"/proc/{worker.pid}/autogroup").read_text() == Path("/proc/self/autogroup").read_text()
        assert session_nice("self") in (None, "0"), "the terminal's session keeps its priority"
        _out, err = worker.communicate(timeout=90)
    assert worker.returncode == 0, err
