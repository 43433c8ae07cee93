"""The console closes while a build runs: the build finishes, and the reopened console shows it.

The real main window on a real site (no worker runs): the Update Distribution Points wizard,
opened from the ribbon, queues a build, so the console itself starts the detached
``bootimage worker --until-idle`` (the embedded default, ``console.worker_launch``). Once that
worker runs the job, the main window (with the wizard still open on its Progress page) is
closed and destroyed; the worker, in its own session, finishes the job and exits. A new main
window on the same site then shows the job succeeded on the Jobs page and the package's new
SourceVersion in the package list. Whatever happens, the detached worker is killed and reaped
at teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

from console.core.jobs import JobState
from console.ui.views.jobs_page import JobsPage
from console.ui.wizards.update_dp_wizard import PageId, UpdateDistributionPointsWizard
from tests.servicing_fixtures import winpe_wim
from tests.ui.conftest import wait_idle
from tests.wim_fixtures import require_tool

FAST_JOBS = {"BOOTIMAGE_JOB_LEASE_SECONDS": "5", "BOOTIMAGE_JOB_HEARTBEAT_SECONDS": "0.5",
             "BOOTIMAGE_WORKER_POLL_SECONDS": "0.2", "BOOTIMAGE_JOB_RETRY_SECONDS": "1"}


def worker_children() -> set[int]:
    """Our child processes that run ``bootimage worker`` (the console's detached workers)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"console.cli" in cmdline and b"worker" in cmdline:
            found.add(int(entry.name))
    return found


@pytest.fixture
def no_stray_workers() -> Iterator[None]:
    """Every detached worker this test started is killed (if still running) and reaped at the end."""
    before = worker_children()
    yield
    for pid in worker_children() - before:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


@pytest.fixture
def site(console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_stray_workers: None) -> str:
    """A package whose build lasts a few seconds (a 24 MB prestart file); short job settings for
    the worker the console starts, whose log goes to this test's data folder."""
    require_tool("wimlib-imagex")
    require_tool("hivexsh")
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    source = winpe_wim(tmp_path / "sources" / "boot.wim")
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid: str = console.packages.create_from_wim(str(source), 1, name="Lab boot image").value["PackageID"]
    prestart = tmp_path / "prestart"
    prestart.mkdir()
    (prestart / "setup.cmd").write_text("@echo hi\r\n", encoding="ascii")
    (prestart / "tools.bin").write_bytes(os.urandom(24 * 1024 * 1024))
    console.packages.put(pid, {"ScratchSpace": 128, "PreExecCommandLine": "cmd /c setup.cmd",
                               "PreExecSourceDirectory": str(prestart)})
    assert console.jobs.live_workers() == [], "a worker already runs on the new site"
    return pid


@pytest.fixture
def new_window(qtbot, console, ui_settings) -> Iterator:
    """``new_window()``: a real main window on the site; any still open at the end is closed
    and destroyed (the test closes and destroys them itself)."""
    from console.ui.application import create_application
    from console.ui.main_window import MainWindow

    create_application()
    windows = []

    def make():
        window = MainWindow(console, console.sites.local(), ui_settings)
        window.show()
        wait_idle(qtbot, window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if isValid(window):
            window.close()
            window.deleteLater()
            qtbot.waitUntil(lambda window=window: not isValid(window), timeout=10000)


def build_from_the_ribbon(qtbot, window) -> UpdateDistributionPointsWizard:
    """Select the package, Update Distribution Points, Next past the checks and options, Build."""
    window.packages_page.view.selectionModel().setCurrentIndex(
        window.packages_page.proxy.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    action = window.console_actions.update_distribution_points
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    action.trigger()

    def opened() -> UpdateDistributionPointsWizard | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, UpdateDistributionPointsWizard)
                 and w.isVisible()]
        return found[-1] if found else None

    qtbot.waitUntil(lambda: opened() is not None, timeout=15000)
    wizard = opened()
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.preflight.checks is not None or bool(wizard.preflight.error), timeout=30000)
    assert wizard.preflight.isComplete(), [c.message for c in wizard.preflight.checks or () if c.failed]
    wizard.next()
    qtbot.waitUntil(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…", timeout=10000)
    wizard.next()
    assert wizard.currentId() == PageId.SUMMARY
    wizard.next()  # Build
    assert wizard.currentId() == PageId.PROGRESS
    qtbot.waitUntil(lambda: wizard.progress.context_id != "", timeout=30000)
    return wizard


def wait_for_exit(pid: int, timeout: float) -> int:
    """Reap our child ``pid`` (bounded); its exit code."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    raise AssertionError(f"the detached worker {pid} was still running after {timeout:g} s")


def test_closing_the_console_leaves_the_build_running_and_the_reopened_console_shows_it_done(
        qtbot, console, site, new_window, tmp_path):
    pid = site
    version = console.packages.get(pid)["SourceVersion"]
    window = new_window()
    wizard = build_from_the_ribbon(qtbot, window)
    context_id = wizard.progress.context_id
    # the console started the worker: a child of ours in its own session (not the console's)
    qtbot.waitUntil(lambda: console.jobs.get(context_id).state == JobState.RUNNING, timeout=60000)
    worker_id = console.jobs.get(context_id).worker_id or ""
    worker_pid = int(worker_id.split(":")[1])
    assert worker_pid in worker_children(), f"the job runs in {worker_id}, not in a worker this console started"
    assert os.getsid(worker_pid) == worker_pid != os.getsid(0), "the worker is not detached from the console"

    started = time.monotonic()
    window.close()
    closing = time.monotonic() - started
    assert not window.isVisible()
    window.deleteLater()  # the wizard (a child of the window) goes with it
    qtbot.waitUntil(lambda: not isValid(window) and not isValid(wizard), timeout=10000)
    assert closing < 2.0, f"closing the main window took {closing:.1f} s while a build ran"
    job = console.jobs.get(context_id)
    assert not job.finished, "the build ended before the console closed; make it last longer"

    code = wait_for_exit(worker_pid, timeout=180)
    job = console.jobs.get(context_id)
    log = (tmp_path / "data" / "bootimage-console" / "worker.log")
    assert job.state == JobState.SUCCEEDED, f"{job.state}: {job.extended_error_info}\n{log.read_text()}"
    assert code == 0, f"the detached worker exited with {code}\n{log.read_text()}"
    assert f"job {context_id} succeeded" in log.read_text()

    reopened = new_window()
    model = reopened.navigation_model
    index = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Jobs", 1, Qt.MatchFlag.MatchRecursive)[0]
    reopened.navigation.setCurrentIndex(index)
    page = reopened.pages.currentWidget()
    assert isinstance(page, JobsPage)
    qtbot.waitUntil(lambda: page.model.row_of(context_id) is not None, timeout=15000)
    shown = page.model.job(page.model.row_of(context_id))
    assert (shown.state, shown.package_id) == (JobState.SUCCEEDED, pid)
    texts = [page.model.index(page.model.row_of(context_id), c).data() for c in range(page.model.columnCount())]
    assert "succeeded" in [str(t).lower() for t in texts], texts

    packages = reopened.packages_page
    column = next(c for c in range(packages.proxy.columnCount())
                  if packages.proxy.headerData(c, Qt.Orientation.Horizontal) == "Source Version")
    qtbot.waitUntil(lambda: packages.proxy.index(0, column).data() not in (None, ""), timeout=15000)
    assert str(packages.proxy.index(0, 0).data()).startswith("Lab boot image")
    assert packages.proxy.index(0, column).data() == str(version + 1)
