"""What a job changes is audited as done by the worker's login on behalf of the administrator
who queued it (a real ``bootimage worker`` process, SQLite and PostgreSQL)."""

from __future__ import annotations

import getpass
import re
import socket
from pathlib import Path

from sqlalchemy.engine import make_url

from console.core.audit import AuditQuery
from console.core.jobs import JobState
from tests.integration.test_jobs_worker import queue, workers  # noqa: F401  (workers: a fixture)


def test_a_job_change_is_audited_as_the_worker_on_behalf_of_who_queued_it(job_site, workers, tmp_path: Path):  # noqa: F811
    context_id = queue(job_site, tmp_path, "PS100002", describe="rebuilt by the lab job", files=1, delay=0)
    worker = workers("--until-idle")
    assert worker.wait(timeout=120) == 0
    assert job_site.jobs.get(context_id).state == JobState.SUCCEEDED
    [record] = [r for r in job_site.audit.query(AuditQuery(object_id="PS100002")) if r.action == "changed"]
    assert record.changes == {"Description": ["", "rebuilt by the lab job"]}
    url = make_url(job_site.url)
    queued_by = job_site.jobs.get(context_id).queued_by  # who queued it: this test's console
    # the worker's login: its PostgreSQL login, on SQLite its (operating-system) user
    if url.get_backend_name() == "postgresql":
        assert record.login == url.username
    else:  # the worker's user (BOOTIMAGE_USER, or the operating-system user where that is the identity)
        assert record.login == "worker@test" or record.login.split("@")[0] == getpass.getuser()
    assert record.on_behalf_of == queued_by == job_site.context.user
    assert record.who == f"{record.login} for {queued_by}"
    # the Client column names the program as an administrator runs it, not python's __main__.py
    assert re.fullmatch(rf"{re.escape(socket.gethostname())} bootimage worker\[{worker.pid}\]", record.client), record.client
    # the administrator's own changes name no one else
    assert all(r.on_behalf_of == "" for r in job_site.audit.query(AuditQuery(object_id="PS100001")))

