"""Content on distribution points on SQLite and on PostgreSQL: assignment queues one job per
(package, DP), the per-(package, DP) state and the Content Status counters stay consistent with
the rows through many changes (also from several consoles at once), and the actions."""

from __future__ import annotations

import random
import threading

import pytest

from console.app import open_console
from console.core.distribution import ContentSummary, DistributionPoint, DpState, TransportKind
from console.core.distribution_store import StateChange
from console.core.errors import NotFoundError, ValidationError
from console.core.jobs import JobKind, JobState
from tests.postgres import login_url

DPS = [f"DP{n:02}" for n in range(1, 9)]


def quiet(console):
    """No detached worker for the jobs a test queues (the tests look at the queued jobs)."""
    console.content.after_queue = lambda: None
    console.dp_groups.after_queue = lambda: None
    return console


@pytest.fixture
def site(job_site, tmp_path):
    for name in DPS:
        (tmp_path / name).mkdir()
        job_site.distribution_points.add(DistributionPoint(name=name, transport=TransportKind.FOLDER,
                                                           address=str(tmp_path / name)))
    return quiet(job_site)


def distribute_jobs(site, package_id: str) -> list:
    return sorted((j for j in site.jobs.list(package_id=package_id) if j.kind == JobKind.DISTRIBUTE),
                  key=lambda j: (j.payload["dp"], j.payload["action"]))


def assert_counters_match_rows(site):
    per_package, per_dp = site.content.recount()
    for summary in per_package:
        assert site.content.summary(summary.key) == summary
    assert {s.key: s for s in per_dp} == {k: v for k, v in site.content.dp_summaries().items() if v.targeted}
    assert all(v == ContentSummary(k) for k, v in site.content.dp_summaries().items()
               if k not in {s.key for s in per_dp})


def test_assignment_makes_pending_rows_and_one_install_job_per_dp(site):
    queued = site.content.add_distribution_points("PS100001", ["dp01", "DP02", "DP02"]).value
    assert queued.dps == ("DP01", "DP02") and len(queued.context_ids) == 2
    jobs = distribute_jobs(site, "PS100001")
    assert [(j.payload["dp"], j.payload["action"], j.state) for j in jobs] == [
        ("DP01", "install", JobState.QUEUED), ("DP02", "install", JobState.QUEUED)]
    page = site.content.content_status("PS100001")
    assert page.total == 2 and [r.dp_name for r in page.items] == ["DP01", "DP02"]
    assert all(r.state == DpState.INSTALL_PENDING and r.target_version == 0 for r in page.items)
    assert site.content.summary("PS100001") == ContentSummary("PS100001", targeted=2, in_progress=2)
    assert site.content.dp_summary("DP01") == ContentSummary("DP01", targeted=1, in_progress=1)
    # again: nothing new, no new job
    again = site.content.add_distribution_points("PS100001", ["DP01"]).value
    assert again.dps == () and again.context_ids == ()
    assert len(distribute_jobs(site, "PS100001")) == 2
    texts = [m.text for m in site.status.query(kind="distribution")]
    assert "Package PS100001 assigned to dp01, DP02: 2 new distribution points, 2 jobs queued" in texts


def test_assignment_refuses_unknown_package_dp_or_group_and_changes_nothing(site):
    with pytest.raises(NotFoundError, match="no boot image package 'PS1FFFFF'"):
        site.content.add_distribution_points("PS1FFFFF", ["DP01"])
    with pytest.raises(NotFoundError, match="no distribution point named 'DP99' in this site; nothing was distributed"):
        site.content.add_distribution_points("PS100001", ["DP01", "DP99"])
    with pytest.raises(NotFoundError, match="no distribution point group named 'Asia'"):
        site.content.add_groups("PS100001", ["Asia"])
    assert site.content.summary("PS100001").targeted == 0
    assert distribute_jobs(site, "PS100001") == []


def test_set_state_records_the_cause_and_moves_the_counters(site):
    site.content.add_distribution_points("PS100001", DPS[:3])
    row = site.content.set_state("PS100001", "dp01", DpState.INSTALLED, source_version=1, bytes_done=10,
                                 bytes_total=10)
    assert (row.state, row.source_version, row.bytes_done) == (DpState.INSTALLED, 1, 10)
    site.content.set_state("PS100001", "DP02", DpState.INSTALL_RETRYING, last_error="host unreachable: refused",
                           error_cause="unreachable")
    site.content.set_state("PS100001", "DP03", DpState.INSTALL_FAILED, last_error="authentication refused",
                           error_cause="auth")
    assert site.content.summary("PS100001") == ContentSummary("PS100001", 3, success=1, in_progress=1, errors=1)
    assert ContentSummary("PS100001", 3, 1, 1, 1).line() == "Installed on 1 of 3 distribution points, 1 in progress, 1 failed"
    failed = site.content.content_status("PS100001", states=[DpState.INSTALL_FAILED])
    assert [(r.dp_name, r.error_cause, r.last_error) for r in failed.items] == [("DP03", "auth", "authentication refused")]
    assert [r.dp_name for r in site.content.content_status("PS100001", text="unreach").items] == ["DP02"]
    with pytest.raises(ValidationError, match="'colour' is not a \\(package, DP\\) field"):
        site.content.set_state("PS100001", "DP01", DpState.INSTALLED, colour="red")
    assert_counters_match_rows(site)


def test_counters_match_the_rows_after_many_random_changes_in_batches(site):
    rng = random.Random(10)
    for package in ("PS100001", "PS100002", "PS100003"):
        site.content.add_distribution_points(package, rng.sample(DPS, 6))
    rows = [(r.package_id, r.dp_name) for p in ("PS100001", "PS100002", "PS100003")
            for r in site.content.content_status(p, limit=None).items]
    for _ in range(12):
        batch = [StateChange(p, d, rng.choice(list(DpState)), {"bytes_done": rng.randrange(100)})
                 for p, d in rng.sample(rows, 8)]
        batch.append(StateChange(batch[0].package_id, batch[0].dp_name, DpState.INSTALLED))  # twice in one batch
        assert site.content.set_states(batch) == len(batch)
        assert_counters_match_rows(site)
    assert site.content.set_states([StateChange("PS100001", "DP77", DpState.INSTALLED)]) == 0
    package, dp = rows[0]
    site.content.remove(package, [dp])
    assert site.content.row(package, dp).state == DpState.REMOVAL_PENDING
    assert site.content.removed(package, dp)
    assert site.content.row(package, dp) is None
    assert_counters_match_rows(site)


def test_state_changes_from_several_consoles_at_once_lose_no_count(site):
    site.content.add_distribution_points("PS100001", DPS)
    consoles = [quiet(open_console(login_url(site.url, f"worker{i}@host"), user=f"worker{i}@host")) for i in range(4)]
    barrier = threading.Barrier(len(consoles), timeout=30)
    errors: list[BaseException] = []

    def work(console, names):
        barrier.wait()
        try:
            for i in range(6):  # ends on INSTALL_RETRYING
                for name in names:
                    console.content.set_state("PS100001", name, [DpState.CONTENT_UPDATING, DpState.INSTALLED,
                                                                 DpState.INSTALL_RETRYING][i % 3])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c, DPS[i::4])) for i, c in enumerate(consoles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for c in consoles:
        c.close()
    assert not errors
    assert site.content.summary("PS100001") == ContentSummary("PS100001", 8, success=0, in_progress=8)
    assert_counters_match_rows(site)


def test_removals_and_state_changes_of_the_same_rows_at_once_keep_the_counters_true(site):
    site.content.add_distribution_points("PS100002", DPS)
    changer, remover = (quiet(open_console(login_url(site.url, f"{who}@host"), user=f"{who}@host")) for who in ("changer", "remover"))
    barrier = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def change():
        barrier.wait()
        try:
            for i in range(40):
                changer.content.set_states([StateChange("PS100002", d, [DpState.INSTALLED, DpState.INSTALL_FAILED][i % 2])
                                            for d in DPS])
        except BaseException as exc:
            errors.append(exc)

    def remove_and_add_again():
        barrier.wait()
        try:
            for i in range(40):
                name = DPS[i % len(DPS)]
                remover.content.removed("PS100002", name)
                remover.content.add_distribution_points("PS100002", [name])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=change), threading.Thread(target=remove_and_add_again)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    changer.close()
    remover.close()
    assert not errors
    assert site.content.summary("PS100002").targeted == len(DPS)
    assert_counters_match_rows(site)


def test_actions_queue_jobs_and_set_the_pending_state(site):
    site.content.add_distribution_points("PS100001", ["DP01", "DP02"])
    site.content.set_states([StateChange("PS100001", d, DpState.INSTALLED, {"source_version": 0}) for d in ("DP01", "DP02")])
    validated = site.content.validate("PS100001").value
    assert validated.dps == ("DP01", "DP02") and len(validated.context_ids) == 2
    assert site.content.row("PS100001", "DP01").state == DpState.INSTALLED  # validate keeps the state
    site.content.redistribute("PS100001", ["dp02"])
    assert site.content.row("PS100001", "DP02").state == DpState.INSTALL_PENDING
    site.content.remove("PS100001", ["DP01"])
    assert site.content.row("PS100001", "DP01").state == DpState.REMOVAL_PENDING
    actions = [(j.payload["dp"], j.payload["action"]) for j in distribute_jobs(site, "PS100001")]
    assert sorted(actions) == [("DP01", "install"), ("DP01", "remove"), ("DP01", "validate"),
                               ("DP02", "install"), ("DP02", "redistribute"), ("DP02", "validate")]
    # update goes to every DP except the one being removed; queued twice, it is one job per DP
    site.content.queue_update("PS100001")
    site.content.queue_update("PS100001")
    assert [j.payload["dp"] for j in distribute_jobs(site, "PS100001") if j.payload["action"] == "update"] == ["DP02"]
    with pytest.raises(ValidationError, match="package PS100001 is not on distribution point DP03"):
        site.content.redistribute("PS100001", ["DP03"])
    with pytest.raises(NotFoundError, match="no distribution point named 'DP99'"):
        site.content.remove("PS100001", ["DP99"])
    with pytest.raises(ValidationError, match="PS100002 is not on any distribution point"):
        site.content.validate("PS100002")
    assert site.content.queue_update("PS100002").value.context_ids == ()  # after a build: nothing to do
    assert_counters_match_rows(site)


def test_packages_on_a_dp_and_summaries_page(site):
    for package in ("PS100001", "PS100002", "PS100003"):
        site.content.add_distribution_points(package, ["DP01"])
    site.content.set_state("PS100002", "DP01", DpState.INSTALLED)
    page = site.content.packages_on_dp("dp01", limit=2)
    assert [r.package_id for r in page.items] == ["PS100001", "PS100002"] and page.total == 3
    assert [s.key for s in site.content.summaries(offset=1, limit=5)] == ["PS100002", "PS100003"]
    assert site.content.summaries(["PS100002"])[0].success == 1
    with pytest.raises(NotFoundError):
        site.content.packages_on_dp("DP99")


def test_a_package_on_distribution_points_cannot_be_deleted_until_removed_from_them(site):
    site.dp_groups.add("Empty")
    site.content.add_groups("PS100002", ["Empty"])  # a group without members: no row, still an assignment
    site.content.add_distribution_points("PS100001", ["DP01", "DP02"])
    with pytest.raises(ValidationError, match="PS100001 is on 2 distribution points; remove it from them first"):
        site.packages.delete("PS100001")
    assert site.packages.get("PS100001")["PackageID"] == "PS100001"
    for dp in ("DP01", "DP02"):
        site.content.removed("PS100001", dp)
    site.packages.delete("PS100001")
    site.packages.delete("PS100002")
    assert site.dp_groups.packages("Empty") == []
    assert site.content.summaries() == []


def test_per_dp_summaries_come_page_by_page_by_name_with_search_filter_and_total(site):
    site.content.add_distribution_points("PS100001", DPS)
    site.content.set_state("PS100001", "DP03", DpState.INSTALL_FAILED, last_error="x", error_cause="auth")
    site.content.set_state("PS100001", "DP05", DpState.INSTALLED)
    page = site.content.dp_summary_page(offset=2, limit=3)
    assert [s.key for s in page.items] == ["DP03", "DP04", "DP05"] and page.total == len(DPS)
    assert page.items[0] == ContentSummary("DP03", 1, errors=1)
    assert page.items[2] == ContentSummary("DP05", 1, success=1)
    found = site.content.dp_summary_page(text="p0", limit=3)
    assert [s.key for s in found.items] == ["DP01", "DP02", "DP03"] and found.total == len(DPS)
    assert [s.key for s in site.content.dp_summary_page(text="dp05").items] == ["DP05"]
    assert site.content.dp_summary_page(text="%").total == 0  # LIKE characters are plain text
    assert [s.key for s in site.content.dp_summary_page(show="errors").items] == ["DP03"]
    incomplete = site.content.dp_summary_page(show="incomplete", limit=100)
    assert "DP05" not in [s.key for s in incomplete.items] and incomplete.total == len(DPS) - 1
    assert site.content.dp_summary_page(offset=100).items == []
    with pytest.raises(ValidationError, match="unknown filter 'colour'"):
        site.content.dp_summary_page(show="colour")


def test_the_change_token_changes_with_rows_counters_and_dps_and_only_then(site):
    site.content.add_distribution_points("PS100001", DPS[:2])
    token = site.content.change_token()
    assert site.content.change_token() == token  # nothing changed
    site.content.set_state("PS100001", "DP01", DpState.CONTENT_UPDATING, bytes_done=5, bytes_total=10)
    assert site.content.change_token() != token
    token = site.content.change_token()
    site.content.set_state("PS100001", "DP01", DpState.CONTENT_UPDATING, bytes_done=6, bytes_total=10)
    assert site.content.change_token() != token  # progress only
    token = site.content.change_token()
    site.distribution_points.edit("DP02", maintenance=True)
    assert site.content.change_token() != token
    token = site.content.change_token()
    site.content.removed("PS100001", "DP02")
    assert site.content.change_token() != token


def test_the_per_dp_summary_page_is_read_in_index_order_without_sorting_every_dp(site):
    if not site.url.startswith("sqlite"):
        pytest.skip("the query plan is SQLite's")
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "dp_content_summary" in statement and "LIMIT" in statement.upper():
            seen.append((statement, parameters))

    event.listen(site.engine, "before_cursor_execute", capture)
    try:
        site.content.dp_summary_page(offset=0, limit=3)
    finally:
        event.remove(site.engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    with site.engine.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "TEMP B-TREE" not in plan.upper(), plan  # no sort of every DP: the name index gives the order
    assert "INDEX" in plan.upper(), plan
