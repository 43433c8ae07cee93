"""Content Status at scale (issue 11): the "Show" filter is a query (the same rows the page's
client-side filter showed, but from every package, not only the pages read so far), and every
list reads keyset pages equal to its OFFSET pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from console.core.distribution import DpState
from tests.list_data import add_content

PACKAGES, DPS, PAGE = 23, 9, 4
#: the predicates of the page's former client-side filter, on (success, in_progress, errors, unknown, targeted)
OLD_FILTERS = {
    "": lambda c: True,
    "errors": lambda c: c[2] > 0,
    "in_progress": lambda c: c[1] > 0,
    "incomplete": lambda c: c[0] < c[4],
}


@pytest.fixture
def content_site(site_db: str):
    from console.app import ensure_default_site, open_console

    console = open_console(site_db, user="alice@console1")
    ensure_default_site(console)
    add_content(console.engine, PACKAGES, DPS)
    yield console
    console.close()


def counts(s) -> tuple[int, ...]:
    return (s.success, s.in_progress, s.errors, s.unknown, s.targeted)


def pages(fetch, key) -> list:
    rows: list = []
    after = None
    for _ in range(100):  # bounded
        page = fetch(after, PAGE)
        rows += page
        if len(page) < PAGE:
            return rows
        after = key(page[-1])
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("show", sorted(OLD_FILTERS))
def test_show_filter_query_gives_the_rows_the_client_side_filter_gave(content_site, show: str):
    content = content_site.content
    everything = content.summaries()
    expected = [s for s in everything if OLD_FILTERS[show](counts(s))]
    assert expected, "the data has rows for every filter"
    assert content.summaries(show=show) == expected
    assert pages(lambda after, n: content.summaries(show=show, after=after, limit=n), lambda s: s.key) == expected
    dps = content.dp_summary_page(limit=None).items
    expected_dps = [s for s in dps if OLD_FILTERS[show](counts(s))]
    assert pages(lambda after, n: content.dp_summary_page(show=show, after=after, limit=n).items,
                 lambda s: s.key) == expected_dps


@pytest.mark.parametrize("states", [(), (DpState.INSTALL_FAILED,)])
def test_content_rows_keyset_pages_equal_offset_pages(content_site, states):
    content = content_site.content
    pid = content.summaries()[3].key
    by_offset = [r for o in range(0, DPS + PAGE, PAGE) for r in content.content_status(pid, states=states, offset=o,
                                                                                        limit=PAGE).items]
    assert pages(lambda after, n: content.content_status(pid, states=states, after=after, limit=n).items,
                 lambda r: r.dp_name) == by_offset
    dp = "DP00004"
    by_offset = [r for o in range(0, PACKAGES + PAGE, PAGE)
                 for r in content.packages_on_dp(dp, states=states, offset=o, limit=PAGE).items]
    assert len(by_offset) > PAGE or states
    assert pages(lambda after, n: content.packages_on_dp(dp, states=states, after=after, limit=n).items,
                 lambda r: r.package_id) == by_offset


def test_the_show_filters_read_their_partial_index(console):
    from sqlalchemy import select

    from console.storage.distribution_rows import PACKAGE_SHOW_CONDITIONS
    from console.storage.distribution_schema import PackageContentSummaryRow as Row

    add_content(console.engine, 30, 3)
    with console.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        for show, index in (("errors", "ix_package_content_summary_errors"),
                            ("in_progress", "ix_package_content_summary_in_progress"),
                            ("incomplete", "ix_package_content_summary_incomplete")):
            stmt = select(Row).where(Row.targeted > 0, PACKAGE_SHOW_CONDITIONS[show]()).order_by(Row.package_id).limit(5)
            compiled = stmt.compile(conn)
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                                                      tuple(compiled.params.values())))
            assert index in plan and "TEMP B-TREE" not in plan, (show, plan)


def test_a_validation_cycle_queues_in_bounded_batches_across_checks(console, x64_facts):
    """A cycle over many installed rows queues at most ``batch`` validations per check of the
    schedule, goes on where it stopped at the next checks, validates every installed (package,
    DP) once, and then is not due again until the hours have passed."""
    from console.core.jobs import JobKind
    from console.core.services.content_distribution import VALIDATION_CURSOR, VALIDATION_LAST_RUN

    for n in range(6):
        console.packages.create(name=f"Boot image {n}", image_path=f"/images/{n}.wim", image_index=1, image=x64_facts)
    add_content(console.engine, 6, 5)
    installed = {(p, r.dp_name) for p in (f"PS1{n:05X}" for n in range(1, 7))
                 for r in console.content.content_status(p, states=(DpState.INSTALLED,), limit=None).items}
    assert len(installed) > 8
    with console.context.uow(write=True) as uow:  # the last cycle ran long ago
        uow.settings.set(VALIDATION_LAST_RUN, "2000-01-01T00:00:00+00:00", modified_by="test",
                         modified_at=console.context.clock())
        uow.commit()
    counts = []
    for _ in range(len(installed)):  # bounded: at least one validation per check until the end
        counts.append(console.content.queue_validation_cycle(1, batch=3))
        with console.context.uow() as uow:
            if not uow.settings.get(VALIDATION_CURSOR):
                break
    assert len(counts) > 2 and all(0 < c <= 3 for c in counts) and sum(counts) == len(installed)
    queued = [(j.package_id, j.payload["dp"]) for j in console.jobs.list()
              if j.kind == JobKind.DISTRIBUTE and j.payload.get("action") == "validate"]
    assert sorted(queued) == sorted(installed), "every installed row once"
    assert console.content.queue_validation_cycle(1, batch=4) == 0, "not due again within the hour"
    assert any("the cycle goes on at the next check" in m.text for m in console.status.query())
