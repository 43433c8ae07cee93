"""GUI event-loop stalls while content is distributed (``make bench``, issue 11).

The real main window on a real site: Distribute Content sends a stored boot image
(``BOOTIMAGE_BENCH_DIST_MIB``, 64 MiB, non-solid WIM) to ``BOOTIMAGE_BENCH_DIST_DPS`` (4) new folder
DPs each run; the console starts the detached ``bootimage worker --until-idle`` as it does for an
administrator, who watches Monitoring › Content Status (live refresh, the package's DP rows) until
every DP has it. A 10 ms QTimer probe measures the longest gap between its ticks from Next on the
Summary page until the last job ended, against the same probe on the same idle window (the
reference, alternating in the same run) and the same probe in a bare Qt process while the work runs.
Limit: no stall of 50 ms beyond the larger of the two references of a run (``assert_no_stall``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from itertools import count

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtWidgets import QApplication

from tests.bench import measure
from tests.bench.stall import (
    GcLog,
    StallProbe,
    Watched,
    assert_no_stall,
    control_probe,
    idle_stall,
    print_slow_calls,
    stop_control,
    wait_for,
)

pytestmark = pytest.mark.bench
MIB = int(os.environ.get("BOOTIMAGE_BENCH_DIST_MIB", "64"))
DPS = int(os.environ.get("BOOTIMAGE_BENCH_DIST_DPS", "4"))
#: 0: stay on the Boot Images page (no Content Status live refresh) to see what that costs
WATCH = os.environ.get("BOOTIMAGE_BENCH_DIST_WATCH", "1") != "0"


def test_no_gui_stall_of_50_ms_while_content_is_distributed(tmp_path, qtbot, monkeypatch, x64_facts):
    if shutil.which("wimlib-imagex") is None:
        pytest.skip("needs wimlib-imagex (wimtools)")
    from console.app import ensure_default_site, open_console
    from console.core.content import ManifestFields, boot_image_name
    from console.core.distribution import DistributionPoint, TransportKind
    from console.ui.application import create_application
    from console.ui.gc_tuning import tune_garbage_collection
    from console.ui.main_window import MainWindow
    from console.ui.models.navigation_model import NavKind
    from console.ui.settings import UiSettings
    from console.ui.wizards.distribute_content_wizard import DP
    from tests.distribution_fixtures import FAST, capture_wim, payload_tree

    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    create_application()
    console = open_console(f"sqlite:///{tmp_path / 'site.db'}")
    ensure_default_site(console)
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = str(console.packages.create(name="Bench boot image", image_path="/images/boot.wim", image_index=1,
                                      image=x64_facts).value["PackageID"])
    wim = capture_wim(payload_tree(tmp_path / "tree", files=MIB, kib=1024), tmp_path / "boot.wim")
    console.revisions.library().store(pid, 1, {boot_image_name(pid): wim}, ManifestFields("bench@host"),
                                      make_current=True)
    window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(tmp_path / "ui.ini"),
                                                                             QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    tune_garbage_collection()  # as the console does once its window is shown (run_gui)
    wait_for(lambda: not window.tasks.running and window.package_model.total == 1, 30)
    probe = StallProbe()
    numbers = count(1)
    runs: list[str] = []
    bare: list[float] = []  # the same probe in a bare Qt process meanwhile (machine noise)

    def select_package() -> None:
        model = window.navigation_model
        window.navigation.setCurrentIndex(model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Boot Images",
                                                      1, Qt.MatchFlag.MatchRecursive)[0])
        wait_for(lambda: not window.tasks.running and window.package_model.loaded == 1, 30)
        window.packages_page.view.selectionModel().setCurrentIndex(
            window.packages_page.proxy.index(0, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        wait_for(window.console_actions.distribute_content.isEnabled, 10)

    def distributing() -> float:
        run = next(numbers)
        for i in range(DPS):
            folder = tmp_path / f"run{run}" / f"DP{i}"
            folder.mkdir(parents=True)
            console.distribution_points.add(DistributionPoint(f"R{run}DP{i}", TransportKind.FOLDER, str(folder)))
        select_package()
        window.console_actions.distribute_content.trigger()
        wait_for(lambda: getattr(window.wizards, "distribute_wizard", None) is not None
                 and window.wizards.distribute_wizard.isVisible(), 15)
        wizard = window.wizards.distribute_wizard
        wizard.next()
        chooser = wizard.destination.open_chooser(DP)
        chooser.select_all.click()
        chooser.accept()
        wizard.next()
        jobs_before = {j.context_id for j in console.jobs.list()}
        stop_file = tmp_path / f"stop-control-{run}"
        control = control_probe(stop_file)
        probe.start()
        started = time.monotonic()
        with GcLog() as collections:
            wizard.next()  # queue the jobs; the console starts the worker
            wait_for(lambda: wizard.currentPage() is wizard.completion, 60)
            wizard.accept()
            if WATCH:
                model = window.navigation_model
                window.navigation.setCurrentIndex(model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole,
                                                              "Content Status", 1, Qt.MatchFlag.MatchRecursive)[0])
                page = window.extra_pages[NavKind.CONTENT_STATUS]
                wait_for(lambda: page.select(pid), 30)

            def all_done() -> bool:
                ours = [j for j in console.jobs.list() if j.context_id not in jobs_before]
                return len(ours) == DPS and all(j.finished for j in ours)

            try:
                with Watched(all_done) as done:  # read by a thread of the benchmark, not the GUI thread
                    wait_for(done, 600)
            finally:
                probe.stop()
                bare.append(stop_control(control, stop_file))
        seconds = time.monotonic() - started
        failed = [j for j in console.jobs.list() if j.context_id not in jobs_before and j.state != "succeeded"]
        assert not failed, [j.extended_error_info for j in failed]
        runs.append(f"{MIB} MiB to {DPS} folder DPs in {seconds:.1f} s: worst stall {probe.worst:.1f} ms "
                    f"(five worst, with ms of CPU of the GUI thread / the process in them: {probe.worst_five()}); "
                    f"{probe.cpu_summary()}; a bare Qt process meanwhile: {bare[-1]:.1f} ms; "
                    f"garbage collections: {collections.summary()}")
        return probe.worst

    def idle() -> float:
        worst = idle_stall(probe)
        runs.append(f"idle window: worst stall {worst:.1f} ms (five worst {probe.worst_five()})")
        return worst

    try:
        stalls, idles = measure.paired(distributing, idle, unit="ms")
    finally:
        for worker in console.jobs.live_workers():  # --until-idle ends by itself; never leave one behind
            if worker.pid != os.getpid():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)
        for w in QApplication.topLevelWidgets():
            if w is not window and w.isVisible():
                w.close()
        window.close()
        window.tasks.wait(10000)
        console.close()
    print("\n" + "\n".join(runs))
    bare = bare[-len(stalls.values):]  # not the warm-up run's
    print_slow_calls()
    measure.record("distribution_gui_stall", {
        "distribution_stall": {"subject": stalls, "reference": idles, "goal": "< 50 ms",
                               "label": f"max GUI event-loop stall while {MIB} MiB are distributed to {DPS} "
                                        "folder DPs, Content Status shown (reference: the same window idle)"},
        "bare_qt_process": {"subject": measure.Figures(bare, unit="ms"), "reference": None, "goal": "",
                            "label": "the same probe in a bare Qt process while distributing (machine noise)"},
    }, notes="10 ms QTimer probe on the GUI thread; the gap beyond 10 ms between two ticks")
    # the worker's hashing and copying keep the cores busy: the machine's noise meanwhile is the
    # larger of the idle window's (before) and the bare Qt process's (at the same time)
    noise = measure.Figures([max(b, i) for b, i in zip(bare, idles.values, strict=True)], unit="ms")
    assert_no_stall(stalls, noise, f"while {MIB} MiB were distributed to {DPS} folder DPs")
