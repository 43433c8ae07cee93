"""Live refresh between consoles (issue 13 section 3): two windows on two connections to one site
(SQLite: the change log, polled; PostgreSQL: LISTEN/NOTIFY). What one console commits reaches the
other window's package list, Drivers list, Distribution Points list and Jobs page without a
refresh by the user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from console.core.distribution import DistributionPoint, TransportKind
from console.ui.models.navigation_model import NavKind
from console.ui.settings import UiSettings
from tests.driver_fixtures import build_driver_tree
from tests.ui.conftest import wait_idle

WAIT_MS = 15000


@pytest.fixture
def two_windows(qtbot, site_db: str, tmp_path: Path, x64_facts, monkeypatch) -> Iterator[tuple]:
    """Alice's and Bob's consoles, each with its own engine (connection) and main window."""
    from console.app import ensure_default_site, open_console
    from console.ui.application import create_application
    from console.ui.main_window import MainWindow

    monkeypatch.setenv("BOOTIMAGE_JOB_HANDLERS", "tests.job_handlers:handlers")
    create_application()
    alice = open_console(site_db, user="alice@ws1")
    ensure_default_site(alice)
    for n in range(3):
        alice.packages.create(name=f"Boot image {n}", image_path=f"/images/boot{n}.wim", image_index=1, image=x64_facts)
    bob = open_console(site_db, user="bob@ws2")
    windows = []
    for name, console in (("alice", alice), ("bob", bob)):
        settings = UiSettings(QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat))
        window = MainWindow(console, console.sites.local(), settings)
        qtbot.addWidget(window)
        window.show()
        wait_idle(qtbot, window)
        windows.append(window)
    qtbot.waitUntil(lambda: all(w.package_model.loaded == 3 for w in windows), timeout=WAIT_MS)
    yield alice, bob, windows[0], windows[1]
    for window in windows:
        window.close()
        window.tasks.wait(10000)
    bob.close()
    alice.close()


def _labels(window) -> dict[str, str]:
    return window.package_model.names()


def _open(qtbot, window, label: str):
    model = window.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, label, 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(index)
    wait_idle(qtbot, window)
    return window.pages.currentWidget()


def test_a_package_change_reaches_the_other_consoles_list(qtbot, two_windows, x64_facts):
    alice, bob, alice_window, bob_window = two_windows
    bob.packages.put("PS100002", {"Name": "Renamed by Bob"})
    qtbot.waitUntil(lambda: _labels(alice_window).get("PS100002") == "Renamed by Bob", timeout=WAIT_MS)
    alice.packages.create(name="Added by Alice", image_path="/images/new.wim", image_index=1, image=x64_facts)
    qtbot.waitUntil(lambda: "Added by Alice" in _labels(bob_window).values(), timeout=WAIT_MS)
    bob.packages.delete("PS100001")
    qtbot.waitUntil(lambda: "PS100001" not in _labels(alice_window) and alice_window.package_model.total == 3,
                    timeout=WAIT_MS)


def test_drivers_dps_and_jobs_reach_the_other_consoles_pages(qtbot, two_windows, tmp_path, monkeypatch):
    from console.ui.views import jobs_page

    monkeypatch.setattr(jobs_page, "IDLE_POLL_MS", 600_000)  # only the live feed can bring the job
    _alice, bob, alice_window, _bob_window = two_windows
    drivers = _open(qtbot, alice_window, "Drivers")
    assert drivers.model.rowCount() == 0
    imported = bob.drivers.import_drivers(build_driver_tree(tmp_path / "drivers")).value.imported
    qtbot.waitUntil(lambda: drivers.model.rowCount() == len(imported), timeout=WAIT_MS)
    first = imported[0].ci_id
    bob.drivers.set_enabled([first], False)
    qtbot.waitUntil(lambda: not drivers.model.record(drivers.model.row_of(first)).is_enabled, timeout=WAIT_MS)

    dps = _open(qtbot, alice_window, "Distribution Points")
    (tmp_path / "dp").mkdir()
    bob.distribution_points.add(DistributionPoint(name="DP01", transport=TransportKind.FOLDER, address=str(tmp_path / "dp")))
    qtbot.waitUntil(lambda: dps.model.rowCount() == 1, timeout=WAIT_MS)

    jobs = _open(qtbot, alice_window, "Jobs")
    qtbot.waitUntil(lambda: not jobs.loading, timeout=WAIT_MS)
    job = bob.jobs.queue("test-files", "PS100001", {}).value
    qtbot.waitUntil(lambda: jobs.model.row_of(job.context_id) is not None, timeout=WAIT_MS)
    bob.jobs.cancel(job.context_id)
    qtbot.waitUntil(lambda: jobs.model.job(jobs.model.row_of(job.context_id)).state == "cancelled", timeout=WAIT_MS)
    assert alice_window.extra_pages.built(NavKind.JOBS) is jobs
