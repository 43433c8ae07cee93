"""Generic property sheets: every class builds, All Properties lists every property, and a
property added to the CIM-XML shows up (and saves) without a code change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from console.core.instance import Instance
from console.paths import classes_dir
from console.ui.propertysheet.all_properties_model import NAME, QUALIFIERS, TYPE, VALUE
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.instance_table_model import InstanceTableModel
from console.ui.propertysheet.panels.components_model import ComponentsModel, component_rows
from console.ui.propertysheet.property_sheet import PropertySheet
from console.ui.propertysheet.roles import PropertyRole
from console.ui.tasks import TaskRunner


@pytest.fixture
def ctx(registry):
    return EditorContext.for_registry(registry)


def _sheet(qtbot, cls, ctx, values=None):
    sheet = PropertySheet(cls, ctx)
    qtbot.addWidget(sheet)
    sheet.set_instance(values if values is not None else cls.defaults())
    return sheet


def _all_properties_rows(sheet):
    model = sheet.all_properties.model
    return [model.index(row, NAME).data() for row in range(model.rowCount())]


@pytest.mark.parametrize("class_name", sorted(p.stem for p in classes_dir().glob("*.xml")))
def test_every_class_builds_and_lists_every_property(qtbot, qtmodeltester, registry, ctx, class_name):
    cls = registry[class_name]
    sheet = _sheet(qtbot, cls, ctx)
    sheet.show()
    assert sheet.tab_keys[-1] == "all-properties"
    assert _all_properties_rows(sheet) == list(cls.properties)
    model = sheet.all_properties.model
    for row, prop in enumerate(cls.properties.values()):
        assert model.index(row, TYPE).data() == prop.display_type
        assert model.index(row, VALUE).data(PropertyRole) is prop
        editable = bool(model.flags(model.index(row, VALUE)) & Qt.ItemFlag.ItemIsEditable)
        if prop.is_read_only:
            assert not editable, prop.name
    qtmodeltester.check(model)
    writable = {p.name for p in cls.properties.values() if not p.is_read_only and not p.is_array and not p.is_embedded}
    if writable:
        assert sheet.tab_keys[0] == "general"
        for name in writable:
            assert sheet.editor(name, "general") is not None


def test_all_properties_show_type_qualifiers_and_greyed_read_only(qtbot, registry, ctx, x64_package):
    cls = registry["SMS_BootImagePackage"]
    sheet = _sheet(qtbot, cls, ctx, x64_package)
    model = sheet.all_properties.model
    row = model.row_of("RefreshSchedule")
    assert model.index(row, TYPE).data() == "SMS_ScheduleToken[]"
    assert model.index(row, QUALIFIERS).data() == "lazy, max(15)"
    arch = model.row_of("Architecture")
    assert model.index(arch, VALUE).data() == "x64 (64-bit)"
    grey = model.index(arch, VALUE).data(Qt.ItemDataRole.ForegroundRole)
    normal = model.index(model.row_of("Name"), VALUE).data(Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and normal is None
    assert "read-only" in model.index(arch, NAME).data(Qt.ItemDataRole.ToolTipRole)


def test_editing_in_place_uses_the_factory_editor_and_reaches_every_tab(qtbot, registry, ctx, x64_package):
    cls = registry["SMS_BootImagePackage"]
    sheet = _sheet(qtbot, cls, ctx, x64_package)
    sheet.show()
    tab = sheet.all_properties
    sheet.select_tab("all-properties")
    tab.select_property("Version")
    tab.edit_index(tab.table.currentIndex())
    editor = tab.table.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit)
    qtbot.keyClicks(editor, "2.0")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sheet.changes() == {"Version": "2.0"})
    assert tab.model.index(tab.model.row_of("Version"), VALUE).data(Qt.ItemDataRole.FontRole).bold()
    assert sheet.editor("Version", "general").value() == "2.0"


def test_schedule_table_model(qtmodeltester, registry):
    model = InstanceTableModel(registry, "SMS_ScheduleToken")
    qtmodeltester.check(model)
    weekly = Instance("SMS_ST_RecurWeekly", {**registry["SMS_ST_RecurWeekly"].defaults(), "Day": 7, "ForNumberOfWeeks": 2})
    model.append(weekly)
    model.append(Instance("SMS_ST_NonRecurring", registry["SMS_ST_NonRecurring"].defaults()))
    model.remove_rows([1])
    assert model.rowCount() == 1
    assert model.columnCount() == 1
    assert "SMS_ST_RecurWeekly" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data().startswith("Every 2 weeks on Saturday from 1970-02-01 00:00")


def test_components_model_marks_required_and_pending(qtmodeltester, catalog):
    model = ComponentsModel()
    qtmodeltester.check(model)
    # x64: WinPE-WMI (52), WinPE-NetFx (40), WinPE-Scripting (44) read; NetFx removed, HTA (36) added
    model.set_rows(component_rows(catalog, "x64", (52, 44, 36), (52, 40, 44)))
    rows = {r.name: r.state for r in model.rows()}
    assert rows["WinPE-WMI"] == "Required by the site"
    assert rows["WinPE-HTA"] == "Will be added (chosen)"
    assert rows["WinPE-NetFx"] == "Will be removed"
    assert rows["WinPE-SecureStartup"] == "Required by the site"
    assert model.index(0, 0).data() == "WinPE-HTA"
    assert len(rows) == 6  # HTA, the four the site requires, NetFx removed


def _add_property(classes: Path) -> None:
    path = classes / "SMS_BootImagePackage.xml"
    text = path.read_text(encoding="utf-8")
    new = (
        '      <PROPERTY NAME="WinPEBuildNotes" TYPE="string">\n'
        '        <QUALIFIER NAME="read" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>\n'
        '        <QUALIFIER NAME="write" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>\n'
        '        <QUALIFIER NAME="SizeLimit" TYPE="string"><VALUE>0-200</VALUE></QUALIFIER>\n'
        '        <QUALIFIER NAME="Description" TYPE="string"><VALUE>Notes about how this image was built.</VALUE></QUALIFIER>\n'
        '        <VALUE></VALUE>\n'
        '      </PROPERTY>\n'
    )
    marker = '      <PROPERTY NAME="ImageIndex"'
    assert marker in text
    path.write_text(text.replace(marker, new + marker, 1), encoding="utf-8")


def test_new_cim_property_appears_in_all_properties_and_saves(qtbot, tmp_path, x64_facts):
    from console.app import ensure_default_site, open_console
    from console.ui.propertysheet.properties_dialog import PropertiesDialog

    classes = tmp_path / "classes"
    shutil.copytree(classes_dir(), classes)
    _add_property(classes)
    url = f"sqlite:///{tmp_path / 'site.db'}"
    console = open_console(url, user="alice@console1", classes=str(classes))
    ensure_default_site(console)
    tasks = TaskRunner()
    try:
        package_id = console.packages.create(
            name="Boot image (x64)", image_path="/images/boot.wim", image=x64_facts
        ).value["PackageID"]
        dialog = PropertiesDialog(console, package_id, tasks)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.loaded, timeout=10000):
            dialog.show()
        tab = dialog.sheet.all_properties
        model = tab.model
        row = model.row_of("WinPEBuildNotes")
        assert model.index(row, TYPE).data() == "String"
        assert model.index(row, QUALIFIERS).data() == 'SizeLimit("0-200")'
        assert "how this image was built" in model.index(row, NAME).data(Qt.ItemDataRole.ToolTipRole)
        dialog.sheet.select_tab("all-properties")
        tab.select_property("WinPEBuildNotes")
        tab.edit_index(tab.table.currentIndex())
        editor = tab.table.viewport().findChild(QLineEdit)
        qtbot.keyClicks(editor, "ADK 10.1.26100, WinPE-PowerShell added")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(dialog.apply_button.isEnabled)
        with qtbot.waitSignal(dialog.saved, timeout=10000):
            dialog.apply_button.click()
        assert console.packages.get(package_id)["WinPEBuildNotes"] == "ADK 10.1.26100, WinPE-PowerShell added"
        other = open_console(url, user="bob@console2", classes=str(classes))
        try:
            assert other.packages.get(package_id)["WinPEBuildNotes"] == "ADK 10.1.26100, WinPE-PowerShell added"
        finally:
            other.close()
    finally:
        tasks.wait(10000)
        console.close()
