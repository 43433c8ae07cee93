"""GUI event-loop stalls while a boot image builds (``make bench``).

The real main window on a real site builds the ~400 MB benchmark WIM (two drivers' worth of
prestart files, scratch space, the boot script) through the Update Distribution Points wizard;
the console starts the detached ``bootimage worker --until-idle`` as it does for an
administrator. A 10 ms QTimer probe measures the longest gap between its ticks while the wizard's
Progress page, the Jobs page and the status-bar indicator follow the job, against the same probe
on the same idle window (the reference, alternating in the same run: ``measure.paired``,
``BOOTIMAGE_BENCH_BUILD_RUNS`` builds, default ``BOOTIMAGE_BENCH_RUNS``) and, printed and
recorded, the same probe in a bare Qt process while the build runs (what the machine's scheduler
alone costs a process while the build keeps both cores busy). Limit: no stall of 50 ms beyond the
larger of the two references of the same run (``tests/bench/stall.py``, ``assert_no_stall``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings
from PySide6.QtWidgets import QApplication

from tests.bench import measure
from tests.bench.stall import (
    LIMIT_MS,
    GcLog,
    StallProbe,
    assert_no_stall,
    control_probe,
    idle_stall,
    print_slow_calls,
    wait_for,
)
from tests.bench.test_build_bench import source_wim

pytestmark = pytest.mark.bench
RUNS = int(os.environ.get("BOOTIMAGE_BENCH_BUILD_RUNS", str(measure.RUNS)))


def test_no_gui_stall_of_50_ms_while_a_build_runs(tmp_path, qtbot, monkeypatch):
    if shutil.which("wimlib-imagex") is None or shutil.which("hivexsh") is None:
        pytest.skip("needs wimlib-imagex (wimtools) and hivexsh (libhivex-bin)")
    from console.app import ensure_default_site, open_console
    from console.ui.application import create_application
    from console.ui.gc_tuning import tune_garbage_collection
    from console.ui.main_window import MainWindow
    from console.ui.settings import UiSettings
    from console.ui.wizards.update_dp_wizard import PageId, UpdateDistributionPointsWizard

    for var, value in (("BOOTIMAGE_JOB_LEASE_SECONDS", "10"), ("BOOTIMAGE_JOB_HEARTBEAT_SECONDS", "1"),
                       ("BOOTIMAGE_WORKER_POLL_SECONDS", "0.2")):
        monkeypatch.setenv(var, value)
    source = source_wim()
    create_application()
    console = open_console(f"sqlite:///{tmp_path / 'site.db'}")
    ensure_default_site(console)
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(source), 1, name="Bench boot image").value["PackageID"]
    prestart = tmp_path / "prestart"
    (prestart / "tools").mkdir(parents=True)
    (prestart / "setup.cmd").write_text("@echo prestart\r\n", encoding="ascii")
    (prestart / "tools" / "payload.bin").write_bytes(os.urandom(8 * 1024 * 1024))
    console.packages.put(pid, {"ScratchSpace": 128, "PreExecCommandLine": "cmd /c setup.cmd",
                               "PreExecSourceDirectory": str(prestart), "EnableLabShell": True})
    window = MainWindow(console, console.sites.local(), UiSettings(QSettings(str(tmp_path / "ui.ini"),
                                                                             QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    tune_garbage_collection()  # as the console does once its window is shown (run_gui)
    wait_for(lambda: not window.tasks.running and window.package_model.total == 1, 30)
    probe = StallProbe()
    runs: list[str] = []
    bare: list[float] = []

    def building() -> float:
        page = window.packages_page
        page.view.selectionModel().setCurrentIndex(page.proxy.index(0, 0),
                                                   QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                   | QItemSelectionModel.SelectionFlag.Rows)
        wait_for(window.console_actions.update_distribution_points.isEnabled, 10)
        window.console_actions.update_distribution_points.trigger()
        wait_for(lambda: any(isinstance(w, UpdateDistributionPointsWizard) and w.isVisible()
                             for w in QApplication.topLevelWidgets()), 10)
        wizard = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, UpdateDistributionPointsWizard) and w.isVisible())
        wait_for(lambda: wizard.preflight.isComplete(), 60)
        wizard.next()
        wait_for(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…", 10)
        wizard.next()
        assert wizard.currentId() == PageId.SUMMARY
        stop_file = tmp_path / f"stop-control-{len(runs)}"
        control = control_probe(stop_file)
        probe.start()
        started = time.monotonic()
        with GcLog() as collections:
            wizard.next()  # Build: queued; the console starts the detached worker
            wait_for(lambda: wizard.progress.context_id != "", 30)
            context_id = wizard.progress.context_id
            try:
                wait_for(lambda: wizard.currentId() == PageId.COMPLETION, 600)
            finally:
                probe.stop()
                stop_file.touch()
                bare.append(float(control.communicate(timeout=30)[0].strip() or "nan"))
        job = console.jobs.get(context_id)
        assert job.state == "succeeded", job.extended_error_info
        runs.append(f"build of {source.stat().st_size / 2**20:.0f} MB in {time.monotonic() - started:.1f} s, "
                    f"{len(probe.gaps)} ticks: worst stall {probe.worst:.1f} ms (five worst, with ms of CPU of the GUI "
                    f"thread / the process in them: {probe.worst_five()}); {probe.cpu_summary()}; "
                    f"a bare Qt process meanwhile: {bare[-1]:.1f} ms; garbage collections: {collections.summary()}")
        wizard.accept()
        wait_for(lambda: not window.tasks.running, 30)
        return probe.worst

    def idle() -> float:
        worst = idle_stall(probe)
        runs.append(f"idle window: worst stall {worst:.1f} ms (five worst {probe.worst_five()})")
        return worst

    try:
        stalls, idles = measure.paired(building, idle, runs=RUNS, unit="ms")
    finally:
        for worker in console.jobs.live_workers():  # --until-idle ends by itself; never leave one behind
            if worker.pid != os.getpid():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)
        window.close()
        window.tasks.wait(10000)
        console.close()
    print("\n" + "\n".join(runs))
    print_slow_calls()
    bare = bare[-len(stalls.values):]  # not the warm-up build's
    assert Path(tmp_path / "ContentLib").exists()
    measure.record("build_gui_stall", {
        "build_stall": {"subject": stalls, "reference": idles, "goal": f"< {LIMIT_MS:.0f} ms",
                        "label": f"max GUI event-loop stall while a {source.stat().st_size / 2**20:.0f} MB boot image "
                                 "builds, wizard Progress page shown (reference: the same window idle)"},
        "bare_qt_process": {"subject": measure.Figures(bare, unit="ms"), "reference": None, "goal": "",
                            "label": "the same probe in a bare Qt process while the build runs (machine noise)"},
    }, notes="10 ms QTimer probe on the GUI thread; the gap beyond 10 ms between two ticks")
    # The build itself keeps both cores busy (LZX compression): the machine's own noise during a
    # build is what the bare Qt process suffered at the same time, not the idle window's.
    assert_no_stall(stalls, measure.Figures([max(b, i) for b, i in zip(bare, idles.values, strict=True)], unit="ms"),
                    "while a boot image was built")
