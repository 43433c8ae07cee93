"""The other long lists at scale (issue 11, "Build" 3): the driver catalog at 100,000 drivers,
status messages at 1,000,000, Content Status's deep pages at 3,000,000 (package, DP) rows.

Each deep page is read as a keyset page (one index range after the previous page's last row),
paired in the same run with the OFFSET page it replaced; goals: a deep or last page < 0.3 s,
a search keystroke (first page and the count) < 100 ms for 3+ characters. Sizes:
BENCH_DRIVERS, BENCH_MESSAGES, BENCH_DPS / BENCH_PACKAGES (smaller while developing). Data is
built once and cached (tests/bench/list_sites.py).
"""

from __future__ import annotations

import os

import pytest

from console.app import open_console
from console.core.drivers import DriverQuery
from tests.bench import measure
from tests.bench.list_sites import cached_site

pytestmark = pytest.mark.bench
DRIVERS = int(os.environ.get("BENCH_DRIVERS", "100000"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "1000000"))
DPS = int(os.environ.get("BENCH_DPS", "15000"))
PACKAGES = int(os.environ.get("BENCH_PACKAGES", "200"))
PAGE = 200
DEEP_GOAL_S = 0.3
SEARCH_GOAL_S = 0.1
SORTS = ("name", "ci_id", "driver_class", "provider", "version", "date", "size", "inf_file")


def _open(path):
    return open_console(f"sqlite:///{path}", user="bench@host", create=False)


def test_driver_catalog_at_100k():
    from tests.list_data import add_drivers

    path = cached_site("drivers", str(DRIVERS), lambda console: add_drivers(console.engine, DRIVERS))
    console = _open(path)
    drivers = console.drivers
    measures: dict[str, dict] = {}
    try:
        for sort in SORTS:
            for descending in (False, True):
                query = DriverQuery(sort=sort, descending=descending, limit=PAGE)
                # the row before the last page: the anchor a keyset page starts after
                anchor = drivers.query(DriverQuery(sort=sort, descending=not descending, limit=PAGE + 1,
                                                   count=False)).items[-1].ci_id
                keyset, offset = measure.paired(
                    lambda q=query, a=anchor: len(drivers.query(DriverQuery(**{**q.__dict__, "after": a,
                                                                              "count": False})).items) and None,
                    lambda q=query: len(drivers.query(DriverQuery(**{**q.__dict__, "offset": DRIVERS - PAGE,
                                                                    "count": False})).items) and None)
                name = f"last_page_{sort}_{'desc' if descending else 'asc'}"
                measures[name] = {"subject": keyset, "reference": offset, "goal": f"< {DEEP_GOAL_S} s",
                                  "label": f"last page of {DRIVERS:,} drivers sorted by {sort}"
                                           f"{' descending' if descending else ''}: keyset (reference: OFFSET)"}
        from console.storage.count_cache import cache_of

        for text in ("intel", "adapter 12", "drv77", "net"):
            def keystroke(t: str = text, again: bool = False) -> None:
                if not again:  # the first search for the text: its counts are read
                    cache_of(console.engine).clear()
                drivers.query(DriverQuery(text=t, limit=PAGE, count=False))  # as DriverCatalogModel reads
                drivers.counts(DriverQuery(text=t))

            for again in (False, True):
                figures = measure.repeat(lambda t=text, a=again: keystroke(t, a))
                measures[f"search_{text.replace(' ', '_')}{'_again' if again else ''}"] = {
                    "subject": figures, "goal": f"< {SEARCH_GOAL_S} s",
                    "label": f"search keystroke {text!r}: first page, the count and the disabled count"
                             f"{', typed again (counts kept)' if again else ', first time (counts read)'}"}
    finally:
        console.close()
    measure.record("lists_drivers", measures, notes=f"{DRIVERS:,} drivers, SQLite, cached site")
    for name, m in measures.items():
        goal = DEEP_GOAL_S if name.startswith("last_page") else SEARCH_GOAL_S
        assert m["subject"].median < goal, (name, m["subject"].as_dict())


def test_status_messages_at_scale():
    from tests.list_data import add_status_messages

    def build(console) -> None:
        add_status_messages(console.engine, 50, severity="error")
        add_status_messages(console.engine, MESSAGES)

    console = _open(cached_site("messages", str(MESSAGES), build))
    status = console.status
    measures: dict[str, dict] = {}
    try:
        newest = status.query(limit=1)[0].id
        deep = newest - MESSAGES + PAGE
        errors, newest_page = measure.paired(lambda: len(status.query(severity="error", limit=PAGE)) and None,
                                             lambda: len(status.query(limit=PAGE)) and None)
        measures["severity_error"] = {"subject": errors, "reference": newest_page, "goal": f"< {DEEP_GOAL_S} s",
                                      "label": f"the 50 errors among {MESSAGES:,} messages (reference: newest page)"}
        before = measure.repeat(lambda: len(status.query(limit=PAGE, before=deep)) and None)
        measures["oldest_page"] = {"subject": before, "goal": f"< {DEEP_GOAL_S} s",
                                   "label": "the oldest page (keyset: before an id)"}
    finally:
        console.close()
    measure.record("lists_status_messages", measures, notes=f"{MESSAGES:,} status messages, SQLite, cached site")
    for name, m in measures.items():
        assert m["subject"].median < DEEP_GOAL_S, (name, m["subject"].as_dict())


def test_content_status_deep_pages_at_3m():
    from tests.bench import test_content_status_bench as content_bench

    def build(console) -> None:
        content_bench.DPS, content_bench.PACKAGES = DPS, PACKAGES
        content_bench.generate(console)

    console = _open(cached_site("content", f"{DPS}x{PACKAGES}", build))
    content = console.content
    measures: dict[str, dict] = {}
    try:
        package = content.summaries(limit=1)[0].key
        names = [r.dp_name for r in content.content_status(package, limit=None).items]
        anchor = names[-PAGE - 1]
        keyset, offset = measure.paired(
            lambda: len(content.content_status(package, after=anchor, limit=PAGE).items) and None,
            lambda: len(content.content_status(package, offset=len(names) - PAGE, limit=PAGE).items) and None)
        measures["package_dps_last_page"] = {"subject": keyset, "reference": offset, "goal": f"< {DEEP_GOAL_S} s",
                                             "label": f"last page of a package's {DPS:,} DPs: keyset (reference: OFFSET)"}
        dp = names[len(names) // 2]
        packages = [r.package_id for r in content.packages_on_dp(dp, limit=None).items]
        after = packages[max(len(packages) - PAGE - 1, 0)]
        keyset, offset = measure.paired(
            lambda: len(content.packages_on_dp(dp, after=after, limit=PAGE).items) and None,
            lambda: len(content.packages_on_dp(dp, offset=max(len(packages) - PAGE, 0), limit=PAGE).items) and None)
        measures["dp_packages_last_page"] = {"subject": keyset, "reference": offset, "goal": f"< {DEEP_GOAL_S} s",
                                             "label": "last page of a DP's packages: keyset (reference: OFFSET)"}
        for show in ("errors", "in_progress", "incomplete"):
            measures[f"show_{show}"] = {
                "subject": measure.repeat(lambda s=show: len(content.summaries(show=s, limit=PAGE)) and None),
                "goal": f"< {DEEP_GOAL_S} s", "label": f"Content Status Show filter {show!r}, first page (a query)"}
        measures["dp_show_errors"] = {
            "subject": measure.repeat(lambda: len(content.dp_summary_page(show="errors", limit=PAGE).items) and None),
            "goal": f"< {DEEP_GOAL_S} s", "label": "per-DP Show 'With errors', first page"}
    finally:
        console.close()
    measure.record("lists_content_status", measures, notes=f"{DPS:,} DPs x {PACKAGES} packages, SQLite, cached site")
    for name, m in measures.items():
        assert m["subject"].median < DEEP_GOAL_S, (name, m["subject"].as_dict())
