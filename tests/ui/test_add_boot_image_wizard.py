"""Add Boot Image wizard driven page by page with real WIM files and a real site."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard, PageId


@pytest.fixture
def wizard(qtbot, console, tasks):
    def make(path: str = "") -> AddBootImageWizard:
        wiz = AddBootImageWizard(console, tasks, path=path)
        qtbot.addWidget(wiz)
        wiz.show()
        return wiz

    return make


def read(qtbot, wiz, path: str) -> None:
    wiz.data_source.path.setText(path)
    wiz.data_source.read_now()
    qtbot.waitUntil(lambda: not wiz.data_source.reading, timeout=10000)


def test_import_the_second_image_of_a_multi_image_wim(qtbot, wizard, console, multi_image_wim):
    wiz = wizard()
    assert not wiz.button(QWizard.WizardButton.NextButton).isEnabled(), "a path is required"
    read(qtbot, wiz, str(multi_image_wim))
    page = wiz.data_source
    assert page.model.rowCount() == 2
    assert page.model.index(1, 2).data() == "x64"
    assert page.field("imageIndex") == 2, "the WIM's boot index is pre-selected"
    assert "2 images" in page.message.text()
    wiz.next()
    assert wiz.currentId() == PageId.GENERAL
    assert wiz.general.name.text() == "Microsoft Windows PE (x64)", "the service's rule: the image's own name"
    wiz.general.version.setText("11.0 lab")
    wiz.general.comment.setPlainText("PXE, lab network")
    qtbot.waitUntil(wiz.general.isComplete, timeout=5000)
    wiz.next()
    assert "Microsoft Windows PE (x64)" in wiz.currentPage().text.toPlainText()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.currentId() == PageId.DONE, timeout=15000)
    pid = wiz.created_package_id()
    assert f"was added as <b>{pid}</b>" in wiz.done_page.text.text()
    requested = []
    wiz.open_properties_requested.connect(requested.append)
    wiz.open_properties.setChecked(True)
    wiz.button(QWizard.WizardButton.FinishButton).click()
    assert requested == [pid]
    package = console.packages.get(pid, lazy=True)
    assert (package["ImageIndex"], package["Architecture"], package["Version"]) == (2, "x64", "11.0 lab")
    assert package["ImageOSVersion"].startswith("10.0.")
    assert package["Description"] == "PXE, lab network"


def test_damaged_file_shows_the_readers_message_inline(qtbot, wizard, console, tmp_path):
    damaged = tmp_path / "boot.wim"
    damaged.write_bytes(b"MSWIM\0\0\0" + b"\x10" * 40)
    wiz = wizard()
    read(qtbot, wiz, str(damaged))
    assert wiz.data_source.info is None
    assert str(damaged) in wiz.data_source.message.text()
    assert "208" in wiz.data_source.message.text() or "truncated" in wiz.data_source.message.text().lower()
    assert not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    assert console.packages.query().total == 0


def test_a_file_that_is_not_a_wim_is_refused_inline(qtbot, wizard, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("not an image")
    wiz = wizard()
    read(qtbot, wiz, str(other))
    assert "not a WIM file" in wiz.data_source.message.text()


def test_non_windows_pe_image_needs_explicit_consent(qtbot, wizard, console, install_wim):
    wiz = wizard(str(install_wim))
    qtbot.waitUntil(lambda: wiz.data_source.info is not None, timeout=10000)
    page = wiz.data_source
    assert page.model.index(0, 6).data() == "No"
    assert "not a Windows PE image" in page.problems.text()
    assert not page.isComplete()
    page.allow.setChecked(True)
    assert page.isComplete()


def test_duplicate_names_are_caught_on_the_general_page(qtbot, wizard, console, winpe_x64_wim):
    console.packages.create_from_wim(str(winpe_x64_wim), 1)  # the service's default name, as the CLI's
    wiz = wizard(str(winpe_x64_wim))
    qtbot.waitUntil(lambda: wiz.data_source.info is not None, timeout=10000)
    wiz.next()
    qtbot.waitUntil(lambda: "already has this name" in wiz.general.name_error.text(), timeout=5000)
    assert not wiz.general.isComplete()
    wiz.general.name.setText("Microsoft Windows PE (x64) lab")
    wiz.general.check_name()
    qtbot.waitUntil(wiz.general.isComplete, timeout=5000)


def test_cancel_on_any_page_adds_nothing(qtbot, wizard, console, winpe_x64_wim):
    wiz = wizard(str(winpe_x64_wim))
    qtbot.waitUntil(lambda: wiz.data_source.info is not None, timeout=10000)
    wiz.next()
    wiz.next()
    assert wiz.currentId() == PageId.SUMMARY
    wiz.reject()
    assert console.packages.query().total == 0


def test_file_removed_before_finish_is_reported_on_the_progress_page(qtbot, wizard, console, winpe_x64_wim, wim_copy):
    path = wim_copy(winpe_x64_wim)
    wiz = wizard(str(path))
    qtbot.waitUntil(lambda: wiz.data_source.info is not None, timeout=10000)
    wiz.next()
    wiz.next()
    path.unlink()
    wiz.next()
    qtbot.waitUntil(lambda: wiz.progress.error is not None, timeout=10000)
    assert str(path) in wiz.progress.status.text()
    assert console.packages.query().total == 0


def test_split_wim_needs_the_same_consent_as_the_service_asks(qtbot, wizard, wim_builder, tmp_path):
    from console.wim.capture import ImageSpec, split

    big = ImageSpec("Microsoft Windows PE (x64)", architecture="x64", payload_kib=600)
    whole = wim_builder.build("wizard-split.wim", [big], compress="none")
    first = split(whole, tmp_path / "boot.swm", 0.3)[0]
    wiz = wizard()
    read(qtbot, wiz, str(first))
    page = wiz.data_source
    assert "split WIM" in page.problems.text()
    assert not page.isComplete() and page.allow.isVisibleTo(page)


def test_general_page_limits_come_from_the_class_metadata(qtbot, wizard, console, winpe_x64_wim):
    wiz = wizard(str(winpe_x64_wim))
    qtbot.waitUntil(lambda: wiz.data_source.info is not None, timeout=10000)
    wiz.next()
    general = wiz.general
    general.name.setText("n" * 51)
    assert general.length_problems() == ["Name is limited to 50 characters; it has 51"]
    assert general.name.text() == "n" * 51, "nothing is cut silently"
    assert not general.isComplete()
    general.name.setText("  Lab  ")
    general.version.setText("v" * 33)
    assert general.length_problems() == ["Version is limited to 32 characters; it has 33"]
    general.version.setText("1.0")
    general.comment.setPlainText("c" * 128)
    assert general.comment_note.text() == "128 of 127 characters — too long"


def test_image_sizes_are_in_the_same_unit_as_everywhere_else(qtbot, wizard, console, winpe_x64_wim):
    from console.ui.models.package_details import load_details
    from console.ui.propertysheet.panels.images_model import shown

    wiz = wizard()
    read(qtbot, wiz, str(winpe_x64_wim))
    model = wiz.data_source.model
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Size (KB)"
    in_wizard = model.index(0, 5).data()
    pid = console.packages.create_from_wim(str(winpe_x64_wim), 1).value["PackageID"]
    [image] = load_details(console, pid).images
    assert in_wizard == shown(image, "total_bytes") == f"{-(-image.total_bytes // 1024):,}"
    assert in_wizard != "0"


@pytest.mark.skipif(__import__("os").name == "nt", reason="UNC paths are paths on Windows")
def test_a_unc_path_is_refused_inline_as_the_cli_refuses_it(qtbot, wizard, console):
    wiz = wizard()
    assert wiz.data_source.path.placeholderText() == "/srv/images/boot.wim or /mnt/share/boot.wim"
    read(qtbot, wiz, r"\\cm01\OSD\boot.wim")
    assert r"\\cm01\OSD\boot.wim is a UNC path, which this machine cannot open" in wiz.data_source.message.text()
    assert not wiz.button(QWizard.WizardButton.NextButton).isEnabled()
    assert console.packages.query().total == 0
