"""Distribute Content wizard end to end (issue 10, section 4): several packages at once,
Add ▸ Distribution Point / Group with search, DPs that already hold all the content not
offered, Summary, Progress, Completion; the jobs are queued through the real service."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from console.core.distribution import DistributionPoint, DpState, TransportKind
from console.ui.wizards.distribute_content_wizard import DP, GROUP, DistributeContentWizard
from tests.ui.conftest import wait_idle
from tests.ui.dp_fixtures import jobs_stay_queued  # noqa: F401 (a fixture)
from tests.ui.test_mnemonics import check_wizard

pytestmark = pytest.mark.usefixtures("jobs_stay_queued")


def _dp(console, root: Path, name: str) -> None:
    (root / name).mkdir(parents=True, exist_ok=True)
    console.distribution_points.add(DistributionPoint(name, TransportKind.FOLDER, str(root / name)))


def _packages(console, x64_facts, count: int) -> list[str]:
    return [str(console.packages.create(name=f"Boot image {i}", image_path=f"/images/boot{i}.wim", image_index=1,
                                        image=x64_facts).value["PackageID"]) for i in range(count)]


def _wizard(qtbot, window) -> DistributeContentWizard:
    qtbot.waitUntil(lambda: getattr(window.wizards, "distribute_wizard", None) is not None, timeout=15000)
    wizard = window.wizards.distribute_wizard
    qtbot.waitUntil(wizard.isVisible, timeout=5000)
    return wizard


def test_distribute_two_packages_to_a_dp_and_a_group(qtbot, console, tmp_path, make_window, x64_facts):
    for name in ("DP01", "DP02", "DP03", "DP04"):
        _dp(console, tmp_path, name)
    console.dp_groups.add("Branches", "", ["DP03", "DP04"])
    first, second = _packages(console, x64_facts, 2)
    console.content.distribute(first, dp_names=["DP02"])
    console.content.distribute(second, dp_names=["DP02"])  # DP02 has both: it is not offered
    console.content.distribute(first, dp_names=["DP01"])  # DP01 has one of two: it is offered

    window = make_window()
    view = window.packages_page.view
    qtbot.waitUntil(lambda: window.package_model.loaded == 2, timeout=10000)
    view.selectAll()
    assert window.console_actions.distribute_content.isEnabled()
    window.console_actions.distribute_content.trigger()
    wizard = _wizard(qtbot, window)

    assert wizard.general.table.rowCount() == 2
    assert {wizard.general.table.item(r, 0).text() for r in range(2)} == {first, second}
    check_wizard(wizard)  # every page: no two controls answer the same Alt+key
    wizard.next()
    page = wizard.destination
    assert wizard.currentPage() is page and not page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    chooser = page.open_chooser(DP)
    assert chooser.offered() == ["DP01", "DP03", "DP04"], "DP02 holds all the selected content"
    assert "1 distribution point(s) already hold all the selected content" in chooser.note.text()
    chooser.search.setText("dp01")
    assert chooser.proxy.rowCount() == 1
    chooser.select_all.click()
    chooser.accept()
    assert page.destinations == [(DP, "DP01")]
    chooser = page.open_chooser(DP)
    assert chooser.offered() == ["DP03", "DP04"], "a chosen DP is not offered twice"
    chooser.reject()
    groups = page.open_chooser(GROUP)
    groups.set_checked("Branches")
    groups.accept()
    assert page.destinations == [(DP, "DP01"), (GROUP, "Branches")] and page.isComplete()

    wizard.next()
    summary = wizard.summary.text.toPlainText()
    assert first in summary and second in summary and "DP01" in summary and "Branches" in summary
    assert console.content.summary(second).targeted == 1, "nothing changed before Next"
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.completion, timeout=20000)
    text = wizard.completion.text.text()
    assert "Distribution queued for 2 package(s)" in text and "Not distributed" not in text
    assert {r.dp_name for r in console.content.content_status(second, limit=None).items} == {"DP01", "DP02", "DP03", "DP04"}
    rows = {r.dp_name: r.state for r in console.content.content_status(first, limit=None).items}
    assert rows["DP03"] is DpState.INSTALL_PENDING and len(rows) == 4
    wizard.accept()
    wait_idle(qtbot, window)


def test_a_refused_package_does_not_stop_the_others_and_completion_says_why(qtbot, console, tmp_path,
                                                                           make_window, x64_facts):
    _dp(console, tmp_path, "DP01")
    first, second = _packages(console, x64_facts, 2)
    window = make_window()
    qtbot.waitUntil(lambda: window.package_model.loaded == 2, timeout=10000)
    window.wizards.distribute_content([first, second])
    wizard = _wizard(qtbot, window)
    wizard.next()
    wizard.destination.add(DP, ["DP01"])
    console.packages.delete(second)  # gone meanwhile (another console)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.completion, timeout=20000)
    text = wizard.completion.text.text()
    assert "Distribution queued for 1 package(s)" in text
    assert "Not distributed" in text and second in text
    assert wizard.completion.subTitle() == "Some content was not distributed."
    wizard.accept()
    wait_idle(qtbot, window)
