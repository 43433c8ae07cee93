"""Issue 8 item 17: no page of a wizard or dialog, and no menu, has two items with one Alt+key."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QTabWidget, QWidget, QWizard

from tests.ui.conftest import wait_idle
from tests.ui.mnemonics import all_menu_clashes, clashes, menu_clashes, mnemonic, wizard_button_texts


def test_the_checker_finds_a_clash_and_ignores_literal_ampersands(qtbot):
    from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QPushButton, QVBoxLayout

    assert mnemonic("&Name") == "n" and mnemonic("Save && &Close") == "c" and mnemonic("R&&D") is None
    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    label = QLabel("&Name:")
    edit = QLineEdit()
    label.setBuddy(edit)
    for widget in (label, edit, QPushButton("&Next"), QCheckBox("R&&D")):
        layout.addWidget(widget)
    assert clashes(root) == {"n": ["&Name:", "&Next"]}


def check_wizard(wizard: QWizard) -> None:
    buttons = wizard_button_texts(wizard)
    assert any(mnemonic(t) for t in buttons), f"the style gives the wizard's buttons no mnemonics? {buttons}"
    found = {}
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        if page_clashes := clashes(page, buttons):
            found[page.title()] = page_clashes
    assert not found, f"{type(wizard).__name__}: {found}"


def test_add_boot_image_wizard(qtbot, console, tasks):
    from console.ui.wizards.add_boot_image_wizard import AddBootImageWizard

    wizard = AddBootImageWizard(console, tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    check_wizard(wizard)


def test_package_wizards(qtbot, console, tasks, x64_package):
    from console.ui.wizards.drivers_wizard import DriversWizard
    from console.ui.wizards.optional_components_wizard import OptionalComponentsWizard
    from console.ui.wizards.scratch_space_wizard import ScratchSpaceWizard

    package = console.packages.get(x64_package["PackageID"], lazy=True)
    for wizard in (OptionalComponentsWizard(console, package, tasks), ScratchSpaceWizard(console, package, tasks),
                   DriversWizard(console, package, tasks)):
        qtbot.addWidget(wizard)
        wizard.show()
        check_wizard(wizard)
        tasks.wait()


def test_import_driver_dialog(qtbot, console, tasks):
    from console.ui.dialogs.import_driver_dialog import ImportDriverDialog

    wizard = ImportDriverDialog(console, tasks)
    qtbot.addWidget(wizard)
    wizard.show()
    check_wizard(wizard)


def check_tabs(dialog: QWidget, extra: list[str] = ()) -> None:
    tabs = dialog.findChildren(QTabWidget)
    found = {}
    for tab_widget in tabs or [None]:
        for i in range(tab_widget.count() if tab_widget else 1):
            if tab_widget is not None:
                tab_widget.setCurrentIndex(i)
            if tab_clashes := clashes(dialog, extra):
                found[tab_widget.tabText(i) if tab_widget else ""] = tab_clashes
    assert not found, f"{dialog.windowTitle()}: {found}"


def test_properties_dialog_every_tab(qtbot, console, tasks, x64_package):
    from console.ui.propertysheet.properties_dialog import PropertiesDialog

    dialog = PropertiesDialog(console, x64_package["PackageID"], tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10000):
        dialog.show()
    check_tabs(dialog)


def test_settings_driver_properties_and_folder_dialogs(qtbot, console, tasks, driver_catalog):
    from console.ui.dialogs.driver_properties_dialog import DriverPropertiesDialog
    from console.ui.dialogs.folder_dialogs import MoveToFolderDialog
    from console.ui.dialogs.settings_dialog import SettingsDialog

    driver = next(iter(driver_catalog.values()))
    for dialog in (SettingsDialog(console, tasks), DriverPropertiesDialog(console, tasks, driver.ci_id),
                   MoveToFolderDialog([(0, "Boot Images")], 1)):
        qtbot.addWidget(dialog)
        dialog.show()
        tasks.wait()
        check_tabs(dialog)
        assert dialog.findChildren(QDialogButtonBox) or dialog.findChildren(QWidget)


def test_main_window_and_its_menus(qtbot, console, x64_package, make_window):
    window = make_window()
    assert not clashes(window.packages_page), clashes(window.packages_page)
    assert not all_menu_clashes(window.menuBar()), all_menu_clashes(window.menuBar())
    for view in (window.packages_page.view, window.navigation):
        assert not menu_clashes(view.actions()), menu_clashes(view.actions())
    model = window.navigation_model
    from PySide6.QtCore import Qt

    drivers = model.match(model.index(0, 0), Qt.ItemDataRole.DisplayRole, "Drivers", 1, Qt.MatchFlag.MatchRecursive)[0]
    window.navigation.setCurrentIndex(drivers)
    wait_idle(qtbot, window)
    page = window.pages.currentWidget()
    assert not menu_clashes(page.view.actions()), menu_clashes(page.view.actions())
    assert not clashes(page)
