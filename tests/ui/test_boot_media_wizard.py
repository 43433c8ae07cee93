"""Create Boot Media wizard in the real main window: the package context menu and the ribbon
offer it; Media Type, Prestart Command and Summary collect the request; the Summary runs the
pre-flight (a failing check blocks Create and is named); Create queues the ``media`` job that a
real worker (a thread of the test) runs, Progress follows it and Completion names the file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication, QMenu, QWizard

from console.ui.wizards.boot_media_wizard import CreateBootMediaWizard, PageId
from tests.media_fixtures import record_media_build
from tests.ui.conftest import wait_idle
from tests.wim_fixtures import require_tool


@pytest.fixture
def media_site(console: Any, x64_package: Any, tmp_path: Path) -> Any:
    """A package with a built revision whose image carries the boot files, and the site's worker."""
    import threading

    from console.core.jobs import JobSettings
    from console.worker import Worker

    for tool in ("wimlib-imagex", "xorriso", "hivexsh"):
        require_tool(tool)
    pid = str(x64_package["PackageID"])
    console.settings.set_content_library_root(str(tmp_path / "ContentLib"))
    record_media_build(console, pid, tmp_path / "build")
    worker = Worker(console, settings=JobSettings(lease=10.0, heartbeat=0.5, retry_delay=1.0, poll=0.1),
                    log=lambda _text: None)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield pid
    worker.stop()
    thread.join(timeout=60)


def _top() -> CreateBootMediaWizard | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, CreateBootMediaWizard) and w.isVisible()]
    return found[-1] if found else None


def open_wizard(qtbot: Any, window: Any) -> CreateBootMediaWizard:
    view = window.packages_page.view
    view.selectionModel().setCurrentIndex(window.packages_page.proxy.index(0, 0),
                                          QItemSelectionModel.SelectionFlag.ClearAndSelect
                                          | QItemSelectionModel.SelectionFlag.Rows)
    action = window.console_actions.create_boot_media
    assert action in view.actions()  # the package context menu
    # the Boot Image menu (the toolbar is full at 1024 pixels: test_trust_gui guards that)
    [menu] = [m for m in window.menuBar().findChildren(QMenu) if m.title().replace("&", "") == "Boot Image"]
    assert action in menu.actions()
    qtbot.waitUntil(action.isEnabled, timeout=5000)
    action.trigger()
    qtbot.waitUntil(lambda: _top() is not None, timeout=10000)
    wizard = _top()
    assert wizard is not None
    return wizard


def test_the_wizard_makes_an_iso_with_the_prestart_override_and_completes_with_its_file(
        qtbot: Any, console: Any, media_site: str, tmp_path: Path, make_window: Any) -> None:
    pid = media_site
    before = [(r.version, r.current) for r in console.revisions.revisions(pid)]
    window = make_window()
    wizard = open_wizard(qtbot, window)
    assert wizard.currentId() == PageId.MEDIA
    out = tmp_path / "media" / "lab.iso"
    out.parent.mkdir()
    wizard.media_page.disk.setChecked(True)
    wizard.media_page.output.setText(str(tmp_path / "media" / "lab.img"))
    wizard.media_page.iso.setChecked(True)
    assert wizard.media_page.output.text() == str(out)  # the extension follows the type
    wizard.next()
    assert wizard.currentId() == PageId.PRESTART
    page = wizard.prestart_page
    page.override.setChecked(True)
    page.command.setText("")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    page.command.setText("cmd /c X:\\menu.cmd")
    wizard.next()
    summary = wizard.summary
    qtbot.waitUntil(lambda: summary.checks is not None, timeout=30000)
    html = summary.text.toPlainText()
    assert str(out) in html and "cmd /c X:\\menu.cmd" in html and "Pre-flight passed." in html
    assert wizard.button(QWizard.WizardButton.NextButton).text().replace("&", "") == "Create"
    wizard.next()
    progress = wizard.progress
    qtbot.waitUntil(lambda: progress.context_id != "", timeout=15000)
    [job] = [j for j in console.jobs.list(package_id=pid) if j.kind == "media"]
    assert job.payload["prestart_command"] == "cmd /c X:\\menu.cmd" and job.payload["output"] == str(out)
    qtbot.waitUntil(lambda: wizard.currentId() == PageId.COMPLETION, timeout=120000)
    text = wizard.completion.text.text()
    assert f"Wrote {out}</b>" in text and "The boot image and its revisions were not changed" in text
    assert out.is_file()
    report = subprocess.run(["xorriso", "-indev", str(out), "-report_el_torito", "plain"], capture_output=True,
                            text=True, check=True).stdout
    assert "BIOS" in report and "UEFI" in report
    assert [(r.version, r.current) for r in console.revisions.revisions(pid)] == before
    wizard.accept()
    wait_idle(qtbot, window)


def test_a_failing_preflight_blocks_create_and_names_the_cause(qtbot: Any, console: Any, media_site: str,
                                                               tmp_path: Path, make_window: Any) -> None:
    window = make_window()
    wizard = open_wizard(qtbot, window)
    missing = tmp_path / "nowhere" / "lab.iso"
    wizard.media_page.output.setText(str(missing))
    wizard.next()
    wizard.next()
    summary = wizard.summary
    qtbot.waitUntil(lambda: summary.checks is not None, timeout=30000)
    assert f"the output folder {missing.parent} does not exist" in summary.text.toPlainText()
    assert "1 check(s) failed" in summary.text.toPlainText()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert [j for j in console.jobs.list() if j.kind == "media"] == []
    wizard.reject()
    wait_idle(qtbot, window)
