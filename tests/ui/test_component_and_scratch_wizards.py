"""Optional Components and Scratch Space wizards, driven page by page against a real site."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard, PageId, RemoveDependentsPrompt
from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard


def finish(qtbot, wizard):
    """Next through the summary; the progress page runs the service call and moves on."""
    while wizard.currentId() != wizard.pageIds()[-1]:
        wizard.next()
        qtbot.waitUntil(lambda: wizard.currentPage().isComplete() or wizard.currentId() == wizard.pageIds()[-1], timeout=10000)
    wizard.button(QWizard.WizardButton.FinishButton).click()


def test_scratch_space_wizard_saves_the_choice(qtbot, console, x64_package, tasks):
    wizard = ScratchSpaceWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.choose.value() == 512, "the current value is pre-selected"
    wizard.choose.group.button(128).click()
    wizard.next()
    assert "Scratch space: 512 MB → 128 MB" in wizard.currentPage().text.toPlainText()
    finish(qtbot, wizard)
    assert console.packages.get("PS100001", lazy=True)["ScratchSpace"] == 128


def test_scratch_space_wizard_cancel_changes_nothing(qtbot, console, x64_package, tasks):
    before = console.packages.get("PS100001", lazy=True)
    wizard = ScratchSpaceWizard(console, before, tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.choose.group.button(32).click()
    wizard.next()
    wizard.reject()
    assert console.packages.get("PS100001", lazy=True) == before


def test_scratch_space_wizard_reports_a_conflict_on_the_progress_page(qtbot, console, db_url, x64_package, tasks):
    from console.app import open_console

    wizard = ScratchSpaceWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    open_console(db_url, user="bob@console2").packages.put("PS100001", {"Version": "bob"})
    wizard.choose.group.button(64).click()
    wizard.next()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.progress.error is not None, timeout=10000)
    assert "changed by bob@console2" in wizard.progress.status.text()
    assert not wizard.progress.isComplete()
    assert console.packages.get("PS100001", lazy=True)["ScratchSpace"] == 512


def check(wizard, component_id, on=True):
    wizard.components.list._items[component_id].setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_optional_components_wizard_adds_prerequisites_and_saves(qtbot, console, x64_package, tasks):
    wizard = OptionalComponentsWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    locked = wizard.components.list._items[52]  # WinPE-WMI
    assert locked.checkState(0) == Qt.CheckState.Checked
    assert not locked.flags() & Qt.ItemFlag.ItemIsUserCheckable
    check(wizard, 41)  # WinPE-PowerShell
    assert wizard.components.notes.text() == "Added as prerequisite: WinPE-NetFx, required by WinPE-PowerShell"
    assert wizard.components.list._items[40].checkState(0) == Qt.CheckState.Checked
    assert sorted(wizard.field("components")) == [40, 41, 44, 52]
    wizard.next()
    assert wizard.currentId() == PageId.SUMMARY
    summary = wizard.currentPage().text.toPlainText()
    assert "Will be added: WinPE-NetFx, WinPE-PowerShell" in summary
    assert "Chosen: WinPE-PowerShell" in summary
    assert "Prerequisites: WinPE-NetFx (for WinPE-PowerShell)" in summary
    assert "Required by the site: WinPE-Scripting, WinPE-SecureStartup, WinPE-WDS-Tools, WinPE-WMI" in summary
    finish(qtbot, wizard)
    stored = console.packages.get("PS100001", lazy=True)["OptionalComponents"]
    assert sorted(stored) == [40, 41, 44, 52]


def test_unticking_a_prerequisite_asks_to_remove_dependents(qtbot, monkeypatch, console, x64_package, tasks):
    console.packages.update_optional_components("PS100001", ["WinPE-PowerShell", "WinPE-DismCmdlets"])
    wizard = OptionalComponentsWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    asked = []
    monkeypatch.setattr(RemoveDependentsPrompt, "ask", classmethod(lambda cls, parent, name, deps: asked.append((name, deps)) or False))
    check(wizard, 40, on=False)  # WinPE-NetFx
    assert [(name, sorted(deps)) for name, deps in asked] == [("WinPE-NetFx", ["WinPE-DismCmdlets", "WinPE-PowerShell"])]
    assert wizard.components.list._items[40].checkState(0) == Qt.CheckState.Checked, "answer No keeps it"
    monkeypatch.setattr(RemoveDependentsPrompt, "ask", classmethod(lambda cls, parent, name, deps: True))
    check(wizard, 40, on=False)
    assert wizard.components.list._items[41].checkState(0) == Qt.CheckState.Unchecked
    assert wizard.components.list._items[27].checkState(0) == Qt.CheckState.Unchecked
    finish(qtbot, wizard)
    assert console.packages.get("PS100001", lazy=True)["OptionalComponents"] == ()


def test_optional_components_wizard_cancel_changes_nothing(qtbot, console, x64_package, tasks):
    wizard = OptionalComponentsWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    check(wizard, 36)  # WinPE-HTA
    wizard.next()
    wizard.reject()
    assert wizard.result() == QWizard.DialogCode.Rejected
    assert console.packages.get("PS100001", lazy=True)["OptionalComponents"] == ()


def test_adk_sizes_and_missing_components_are_shown(qtbot, tmp_path, console, x64_package, tasks):
    from console.adk.layout import AdkFolder

    ocs = tmp_path / "Windows Preinstallation Environment" / "amd64" / "WinPE_OCs"
    (ocs / "en-us").mkdir(parents=True)
    (ocs / "WinPE-HTA.cab").write_bytes(b"x" * 70_000)
    (ocs / "en-us" / "WinPE-HTA_en-us.cab").write_bytes(b"y" * 100)
    info = AdkFolder().inspect(tmp_path)
    assert info.architectures == ("x64",)
    assert info.components["x64"]["winpe-hta"].languages == ("en-us",)
    wizard = OptionalComponentsWizard(console, console.packages.get("PS100001", lazy=True), tasks, adk=info.components["x64"])
    qtbot.addWidget(wizard)
    hta = wizard.components.list._items[36]
    assert hta.text(3) == "69"  # 70,000 bytes, rounded up as every size in KB
    assert wizard.components.list.headerItem().text(3) == "Size (KB)"
    assert hta.text(4) == "Yes"
    assert wizard.components.list._items[41].text(4) == "Missing"


def test_settings_dialog_checks_and_saves_the_adk_folder(qtbot, tmp_path, console, tasks):
    from console.ui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(console, tasks)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No Windows ADK configured" in dialog.status.text(), timeout=5000)
    dialog.adk_path.setText(str(tmp_path))
    dialog.save()
    qtbot.waitUntil(lambda: "does not look like a Windows ADK" in dialog.status.text(), timeout=5000)
    assert console.settings.windows_adk_path() == ""
    (tmp_path / "Windows Preinstallation Environment" / "amd64" / "WinPE_OCs").mkdir(parents=True)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=5000)
    assert console.settings.windows_adk_path() == str(tmp_path / "Windows Preinstallation Environment")


def test_back_and_cancel_are_locked_while_the_change_is_saved(qtbot, console, x64_package, tasks):
    import threading

    wizard = ScratchSpaceWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    gate = threading.Event()
    real = wizard.progress._work
    wizard.progress._work = lambda ctx: (gate.wait(10), real(ctx))[1]
    wizard.choose.group.button(64).click()
    wizard.next()
    wizard.next()
    qtbot.wait(50)
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    assert not wizard.button(QWizard.WizardButton.CancelButton).isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: wizard.progress.result is not None, timeout=10000)
    assert console.packages.get("PS100001", lazy=True)["ScratchSpace"] == 64


def test_scratch_space_choices_and_default_come_from_the_class_metadata(qtbot, tmp_path, x64_facts):
    import shutil

    from console.app import ensure_default_site, open_console
    from console.paths import classes_dir
    from console.ui.tasks import TaskRunner

    classes = tmp_path / "classes"
    shutil.copytree(classes_dir(), classes)
    path = classes / "SMS_BootImagePackage.xml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("<VALUE>512</VALUE></VALUE.ARRAY>", "<VALUE>512</VALUE><VALUE>1024</VALUE></VALUE.ARRAY>", 1)
    text = text.replace("<VALUE>512 MB</VALUE></VALUE.ARRAY>", "<VALUE>512 MB</VALUE><VALUE>1024 MB</VALUE></VALUE.ARRAY>", 1)
    text = text.replace("<VALUE>512</VALUE>\n      </PROPERTY>", "<VALUE>256</VALUE>\n      </PROPERTY>", 1)
    path.write_text(text, encoding="utf-8")
    console = open_console(f"sqlite:///{tmp_path / 'site.db'}", user="alice@console1", classes=str(classes))
    ensure_default_site(console)
    runner = TaskRunner()
    try:
        pid = console.packages.create(name="Lab", image_path="/images/boot.wim", image=x64_facts).value["PackageID"]
        package = console.packages.get(pid, lazy=True)
        assert package["ScratchSpace"] == 256
        wizard = ScratchSpaceWizard(console, package, runner)
        qtbot.addWidget(wizard)
        wizard.show()
        labels = [b.text().replace("&", "") for b in wizard.choose.group.buttons()]
        assert labels == ["32 MB", "64 MB", "128 MB", "256 MB", "512 MB", "1024 MB"]
        assert wizard.choose.value() == 256
        wizard.choose.group.button(1024).setChecked(True)
        wizard.next()
        assert "Scratch space: 256 MB → 1024 MB" in wizard.currentPage().text.toPlainText()
    finally:
        runner.wait()
        console.close()


def test_optional_components_refusal_for_an_arm64_image_reads_well(qtbot, console, make_window, x64_facts):
    from dataclasses import replace

    from PySide6.QtWidgets import QMessageBox

    arm = console.packages.create(name="Surface (arm64)", image_path="/images/arm64.wim",
                                  image=replace(x64_facts, architecture="arm64")).value
    window = make_window()
    window.wizards.optional_components(arm["PackageID"])
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is not None, timeout=10000)
    box = window.findChild(QMessageBox)
    assert box.text() == ("Surface (arm64) is an arm64 image: Configuration Manager optional components exist "
                          "for x86 and x64 boot images only.")
    box.close()


def test_finishing_without_a_change_saves_nothing(qtbot, console, x64_package, tasks):
    """As `bootimage set --add-optional-component` of a component already there: no new version."""
    console.packages.update_optional_components("PS100001", ["WinPE-HTA"])
    before = console.packages.get("PS100001", lazy=True)["SedoObjectVersion"]
    wizard = OptionalComponentsWizard(console, console.packages.get("PS100001", lazy=True), tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()
    assert "nothing will change" in wizard.currentPage().text.toPlainText()
    finish(qtbot, wizard)
    after = console.packages.get("PS100001", lazy=True)
    assert (after["OptionalComponents"], after["SedoObjectVersion"]) == ((36,), before)
