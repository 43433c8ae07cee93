"""Update Distribution Points wizard (build part) in the real main window: pre-flight failures
block Next, a fix button opens the Properties dialog on the named tab, Check again re-runs,
Build queues a build job and Progress follows it to Completion (the revision built, or the
job's error with its cause); closing the wizard leaves the job running."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QWizard

from console.ui.propertysheet.properties_dialog import PropertiesDialog
from console.ui.wizards.update_dp_wizard import PageId, UpdateDistributionPointsWizard
from tests.servicing_fixtures import winpe_wim
from tests.ui.conftest import wait_idle
from tests.wim_fixtures import require_tool


@pytest.fixture(scope="module")
def module_wim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("wimlib-imagex")
    require_tool("hivexsh")
    return winpe_wim(tmp_path_factory.mktemp("udp") / "boot.wim")


@pytest.fixture
def bad_prestart(console, tmp_path, module_wim) -> str:
    """A package whose prestart command does not start with cmd /c (a pre-flight failure)."""
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(module_wim), 1, name="Lab boot image").value["PackageID"]
    console.packages.put(pid, {"PreExecCommandLine": "setup.cmd"})
    return pid


def _top(kind):
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    return found[-1] if found else None


def open_wizard(qtbot, window) -> UpdateDistributionPointsWizard:
    view = window.packages_page.view
    view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(0, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect
                                          | QItemSelectionModel.SelectionFlag.Rows)
    action = window.console_actions.update_distribution_points
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    action.trigger()
    qtbot.waitUntil(lambda: _top(UpdateDistributionPointsWizard) is not None, timeout=10000)
    wizard = _top(UpdateDistributionPointsWizard)
    qtbot.waitUntil(lambda: wizard.preflight.checks is not None or bool(wizard.preflight.error), timeout=30000)
    return wizard


def test_failures_block_next_and_fix_opens_the_named_tab_and_check_again_reruns(qtbot, console, bad_prestart,
                                                                               make_window):
    window = make_window()
    wizard = open_wizard(qtbot, window)
    page = wizard.preflight
    failing = [r for r in page.check_rows if r.check.failed]
    assert [r.check.id for r in failing] == ["prestart.command"]
    assert "setup.cmd" in failing[0].check.message and "cmd /c" in failing[0].check.message
    assert not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "1 failure(s)" in page.summary.text()
    button = failing[0].fix_button
    assert button is not None and button.text() == "Open Properties › Customization"

    button.click()
    qtbot.waitUntil(lambda: _top(PropertiesDialog) is not None, timeout=10000)
    dialog = _top(PropertiesDialog)
    qtbot.waitUntil(lambda: dialog.sheet is not None and dialog.sheet.tabs.currentIndex() >= 0
                    and dialog.sheet.tabs.tabText(dialog.sheet.tabs.currentIndex()).replace("&", "") == "Customization",
                    timeout=10000)
    assert dialog.package_id == bad_prestart
    dialog.reject()

    console.packages.put(bad_prestart, {"PreExecCommandLine": "cmd /c setup.cmd"})  # fixed elsewhere
    page.again.click()
    qtbot.waitUntil(lambda: page.runs == 2 and page.checks is not None, timeout=30000)
    assert not any(c.failed for c in page.checks)
    assert page.isComplete() and wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    wizard.next()
    assert wizard.currentId() == PageId.OPTIONS
    qtbot.waitUntil(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…", timeout=10000)
    assert not wizard.options_page.reload.isEnabled() and "No Windows ADK is configured" in wizard.options_page.adk_status.text()
    wizard.next()
    assert wizard.currentId() == PageId.SUMMARY
    summary = wizard.summary.text.toPlainText()
    assert "prestart command: cmd /c setup.cmd" in summary
    assert "Build, then update the distribution points" in summary
    assert "this boot image is on none yet" in summary
    assert "closing the wizard or the console does not stop them" in summary
    assert wizard.button(QWizard.WizardButton.NextButton).text().replace("&", "") == "Build"
    wizard.reject()
    assert console.packages.get(bad_prestart)["SourceVersion"] in (None, 0, 1)  # nothing was built
    assert console.jobs.list() == [], "nothing is queued before Build"
    wait_idle(qtbot, window)


def test_a_settings_failure_opens_the_settings_dialog(qtbot, console, tmp_path, module_wim, make_window):
    from console.ui.dialogs.settings_dialog import SettingsDialog

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    console.settings.set_content_library_root(str(blocker / "lib"))
    console.packages.create_from_wim(str(module_wim), 1)
    window = make_window()
    wizard = open_wizard(qtbot, window)
    [row] = [r for r in wizard.preflight.check_rows if r.check.id == "library.root"]
    assert row.check.failed and row.fix_button is not None and row.fix_button.text() == "Open Settings…"
    row.fix_button.click()
    qtbot.waitUntil(lambda: _top(SettingsDialog) is not None, timeout=10000)
    _top(SettingsDialog).reject()
    wizard.reject()
    wait_idle(qtbot, window)


def test_settings_dialog_saves_the_build_settings_and_refuses_bad_ones_whole(qtbot, console, tmp_path, tasks):
    from console.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(console, tasks)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No Windows ADK configured" in dialog.status.text(), timeout=5000)
    assert dialog.library_root.text().endswith("ContentLib")  # the default is shown
    dialog.library_root.setText("relative/lib")
    dialog.deployment_command.setText("X:\\deploy.cmd")
    dialog.save()
    qtbot.waitUntil(lambda: "absolute path" in dialog.build_status.text(), timeout=5000)
    assert console.settings.deployment_command() == ""  # nothing was written
    dialog.library_root.setText(str(tmp_path / "lib"))
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    assert console.settings.content_library_root() == str(tmp_path / "lib")
    assert console.settings.deployment_command() == "X:\\deploy.cmd"


def test_drivers_fix_opens_the_drivers_wizard_and_the_adk_option_reaches_the_summary(qtbot, console, tmp_path,
                                                                                     module_wim, make_window):
    import shutil

    from console.ui.wizards.drivers_wizard import DriversWizard
    from tests.servicing_fixtures import ARM64_INF, driver_folder

    adk = tmp_path / "Assessment and Deployment Kit"
    (adk / "Windows Preinstallation Environment" / "amd64" / "en-us").mkdir(parents=True)
    shutil.copyfile(module_wim, adk / "Windows Preinstallation Environment" / "amd64" / "en-us" / "winpe.wim")
    console.settings.set_windows_adk_path(str(adk))
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(module_wim), 1).value["PackageID"]
    inf = driver_folder(tmp_path / "drivers", ARM64_INF)
    arm = console.drivers.create_from_inf(str(inf.parent), inf.name).value.ci_id
    console.drivers.add_drivers_to_boot_image(pid, [arm])
    window = make_window()
    wizard = open_wizard(qtbot, window)
    [row] = [r for r in wizard.preflight.check_rows if r.check.failed]
    assert row.check.id == "drivers.architecture" and row.fix_button is not None
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    row.fix_button.click()
    qtbot.waitUntil(lambda: _top(DriversWizard) is not None, timeout=10000)
    _top(DriversWizard).reject()

    console.drivers.remove_drivers_from_boot_image(pid, [arm])
    wizard.preflight.again.click()
    qtbot.waitUntil(lambda: wizard.preflight.isComplete(), timeout=30000)
    wizard.next()
    options = wizard.options_page
    qtbot.waitUntil(options.reload.isEnabled, timeout=10000)
    assert "winpe.wim" in options.adk_status.text()
    options.reload.setChecked(True)
    wizard.next()
    assert "Reload from the Windows ADK: yes" in wizard.summary.text.toPlainText()
    wizard.reject()
    wait_idle(qtbot, window)


def test_closing_the_wizard_while_the_checks_run_drops_their_late_result(qtbot, console, bad_prestart, tasks):
    from shiboken6 import isValid

    wizard = UpdateDistributionPointsWizard(console, console.packages.get(bad_prestart, lazy=True), tasks)
    wizard.show()
    qtbot.waitUntil(lambda: bool(tasks.running), timeout=5000)
    wizard.reject()
    wizard.deleteLater()
    qtbot.waitUntil(lambda: not isValid(wizard), timeout=5000)
    tasks.wait()
    qtbot.wait(200)  # the late result is delivered (and dropped) without an error


def _to_summary(qtbot, window) -> UpdateDistributionPointsWizard:
    wizard = open_wizard(qtbot, window)
    assert wizard.preflight.isComplete(), [c.message for c in wizard.preflight.checks if c.failed]
    wizard.next()
    qtbot.waitUntil(lambda: wizard.options_page.adk_status.text() != "Reading the Windows ADK setting…", timeout=10000)
    wizard.next()
    assert wizard.currentId() == PageId.SUMMARY
    return wizard


@pytest.fixture
def buildable(console, tmp_path, module_wim):
    """A package on its own copy of the WinPE WIM, and the site's worker: a real ``Worker`` in a
    thread of the test (it heartbeats, so the console starts no detached one)."""
    import os
    import shutil
    import threading

    from console.core.jobs import JobSettings
    from console.worker import Worker

    worker = Worker(console, settings=JobSettings(lease=10.0, heartbeat=0.5, retry_delay=1.0, poll=0.1),
                    log=lambda _text: None)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    source = tmp_path / "sources" / "boot.wim"
    source.parent.mkdir()
    shutil.copyfile(module_wim, source)
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(source), 1, name="Lab boot image").value["PackageID"]
    prestart = tmp_path / "prestart"
    prestart.mkdir()
    (prestart / "setup.cmd").write_text("@echo hi\r\n", encoding="ascii")
    (prestart / "tools.bin").write_bytes(os.urandom(96 * 1024 * 1024))  # a build that lasts several polls, even on a quiet machine
    console.packages.put(pid, {"ScratchSpace": 128, "PreExecCommandLine": "cmd /c setup.cmd",
                               "PreExecSourceDirectory": str(prestart)})
    yield pid, source
    worker.stop()
    thread.join(timeout=60)


def test_build_queues_a_job_follows_its_progress_and_completes_with_the_revision(qtbot, console, buildable,
                                                                                  make_window):
    pid, _source = buildable
    version = console.packages.get(pid)["SourceVersion"]
    window = make_window()
    wizard = _to_summary(qtbot, window)
    wizard.next()
    assert wizard.currentId() == PageId.PROGRESS
    progress = wizard.progress
    qtbot.waitUntil(lambda: progress.context_id != "", timeout=15000)
    [job] = console.jobs.list(package_id=pid)
    assert job.context_id == progress.context_id and job.kind == "build"
    assert progress.context.text() == f"Job {job.context_id}"
    assert "closing the wizard (or the console) does not stop it" in progress.note.text()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    steps, bars = set(), set()
    qtbot.waitUntil(lambda: steps.add(progress.step.text()) or bars.add(progress.bar.value())
                    or wizard.currentId() == PageId.COMPLETION, timeout=120000)
    assert steps & {"Exporting the image", "Applying the customizations", "Verifying the built image"}, steps
    assert len(bars) >= 2, "the progress bar moved"
    completion = wizard.completion
    qtbot.waitUntil(lambda: "Built revision" in completion.text.text(), timeout=15000)
    text = completion.text.text()
    assert f"Built revision {version + 1}</b> of {pid} in " in text
    assert "scratch 128 MB" in text
    assert "now receive the new revision" not in text, "the boot image is on no distribution point"
    qtbot.waitUntil(lambda: "not on any distribution point yet" in completion.distribution.line.text(), timeout=10000)
    assert console.packages.get(pid)["SourceVersion"] == version + 1
    assert wizard.button(QWizard.WizardButton.FinishButton).text().replace("&", "") == "Close"
    qtbot.waitUntil(lambda: "succeeded: built revision" in window.status.currentMessage(), timeout=15000)
    wizard.accept()
    wait_idle(qtbot, window)


def test_a_failed_build_shows_its_cause_and_closing_the_wizard_leaves_the_job_running(qtbot, console, buildable,
                                                                                      module_wim, make_window):
    import shutil

    pid, source = buildable
    window = make_window()
    wizard = _to_summary(qtbot, window)
    source.unlink()  # gone after the pre-flight page: the job's own pre-flight finds it
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.COMPLETION, timeout=120000)
    text = wizard.completion.text.text()
    assert "The build failed</b>" in text and "pre-flight failed" in text
    assert str(source) in text and "The boot image was not changed" in text
    assert console.revisions.revisions(pid) == []
    qtbot.waitUntil(lambda: "failed:" in window.status.currentMessage(), timeout=15000)
    wizard.accept()

    # with the source back, the next build runs on while its wizard is closed
    shutil.copyfile(module_wim, source)
    wizard = _to_summary(qtbot, window)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.progress.context_id != "", timeout=15000)
    context_id = wizard.progress.context_id
    wizard.reject()  # Close: the wizard goes at once, the job does not
    assert not wizard.isVisible()
    qtbot.waitUntil(lambda: console.jobs.get(context_id).finished, timeout=120000)
    assert console.jobs.get(context_id).state == "succeeded"
    qtbot.waitUntil(lambda: f"({context_id}) succeeded: built revision" in window.status.currentMessage(), timeout=15000)
    wait_idle(qtbot, window)


def test_a_build_that_cannot_be_queued_says_why_and_back_is_open(qtbot, console, tmp_path, module_wim, make_window):
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    pid = console.packages.create_from_wim(str(module_wim), 1, name="Lab boot image").value["PackageID"]
    window = make_window()
    wizard = _to_summary(qtbot, window)
    console.packages.delete(pid)  # someone else deleted it meanwhile
    wizard.next()
    progress = wizard.progress
    qtbot.waitUntil(lambda: bool(progress.queue_error), timeout=15000)
    assert progress.step.text() == "The build could not be queued."
    assert pid in progress.text.text()
    qtbot.waitUntil(lambda: wizard.button(QWizard.WizardButton.BackButton).isEnabled(), timeout=5000)
    assert console.jobs.list() == []
    wizard.reject()
    wait_idle(qtbot, window)


def test_build_then_updates_every_dp_of_the_package_and_shows_both(qtbot, console, buildable, tmp_path, make_window):
    from console.core.distribution import DistributionPoint, TransportKind

    pid, _source = buildable
    (tmp_path / "dp01").mkdir()
    console.distribution_points.add(DistributionPoint("DP01", TransportKind.FOLDER, str(tmp_path / "dp01")))
    console.content.distribute(pid, dp_names=["DP01"])
    version = console.packages.get(pid)["SourceVersion"]
    window = make_window()
    wizard = _to_summary(qtbot, window)
    qtbot.waitUntil(lambda: wizard.dp_summary is not None, timeout=10000)
    wizard.summary.initializePage()
    summary = wizard.summary.text.toPlainText()
    assert "Build, then update the distribution points" in summary
    assert "every distribution point of this boot image (1; now: Installed on 0 of 1 distribution point" in summary
    wizard.next()
    progress = wizard.progress
    assert progress.distribution.isVisible()
    qtbot.waitUntil(lambda: progress.distribution.model.rowCount() == 1, timeout=10000)
    assert progress.distribution.model.index(0, 0).data() == "DP01"
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.COMPLETION, timeout=120000)
    completion = wizard.completion
    qtbot.waitUntil(lambda: "Built revision" in completion.text.text(), timeout=15000)
    assert "The distribution points of this boot image, listed below, now receive the new revision" in completion.text.text()
    qtbot.waitUntil(lambda: completion.distribution.model.rowCount() == 1, timeout=10000)
    row = completion.distribution.model.entry(0)
    assert row is not None and row.dp_name == "DP01" and row.target_version == version + 1, \
        "the build queued the update of DP01 to the new version"
    assert "distribution point" in completion.distribution.line.text()
    wizard.accept()
    wait_idle(qtbot, window)
