"""The claim on SQLite and PostgreSQL: distribute jobs of one package to different DPs run at
once; a second job for the same (package, DP) waits, and a build of the package waits for its
distributions (and they for it)."""

from __future__ import annotations

from console.core.jobs import JobSettings, JobState

SETTINGS = JobSettings(lease=30.0, heartbeat=1.0, retry_delay=0.2, max_attempts=3, poll=0.05)


def test_distributions_of_one_package_to_different_dps_are_claimed_together(job_site):
    queue = job_site.jobs.queue
    to_a = queue("distribute", "PS100001", {"dp": "DPA", "action": "install"}).value
    to_b = queue("distribute", "PS100001", {"dp": "DPB", "action": "install"}).value
    again_a = queue("distribute", "PS100001", {"dp": "DPA", "action": "validate"}).value
    build = queue("build", "PS100001", {}).value
    first = job_site.jobs.claim("w1", SETTINGS)
    second = job_site.jobs.claim("w2", SETTINGS)
    assert (first.context_id, second.context_id) == (to_a.context_id, to_b.context_id)
    assert job_site.jobs.claim("w3", SETTINGS) is None  # DPA's validate and the build wait
    job_site.jobs.finish(first, "w1", JobState.SUCCEEDED)
    third = job_site.jobs.claim("w1", SETTINGS)
    assert third.context_id == again_a.context_id
    job_site.jobs.finish(second, "w2", JobState.SUCCEEDED)
    assert job_site.jobs.claim("w2", SETTINGS) is None  # the build waits for the last distribution
    job_site.jobs.finish(third, "w1", JobState.SUCCEEDED)
    assert job_site.jobs.claim("w2", SETTINGS).context_id == build.context_id
    queue("distribute", "PS100001", {"dp": "DPC", "action": "install"})
    assert job_site.jobs.claim("w1", SETTINGS) is None  # and a distribution waits for the build
