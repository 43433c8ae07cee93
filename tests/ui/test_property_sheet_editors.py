"""The editor factory: an editor per property chosen from metadata, one uniform interface."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QLineEdit, QPlainTextEdit, QSpinBox

from console.core.classdef import Qualifiers
from console.core.instance import Instance
from console.ui.propertysheet.bytes_editor import BytesEditor
from console.ui.propertysheet.check_list_editors import BitsEditor, ValueListEditor
from console.ui.propertysheet.choice_editors import BoolEditor, ChoiceEditor
from console.ui.propertysheet.editor_base import EditorContext
from console.ui.propertysheet.editor_factory import create_editor
from console.ui.propertysheet.instance_table_editor import InstanceTableEditor
from console.ui.propertysheet.list_editor import ListEditor
from console.ui.propertysheet.number_editors import IntegerEditor, WideIntegerEditor
from console.ui.propertysheet.text_editors import DateTimeEditor, MultiLineEditor, ReadOnlyEditor, TextEditor


@pytest.fixture
def ctx(registry):
    return EditorContext.for_registry(registry)


@pytest.fixture
def make(qtbot, registry, ctx):
    def make(name, class_name="SMS_BootImagePackage", **options):
        editor = create_editor(registry[class_name].property(name), ctx, **options)
        qtbot.addWidget(editor)
        return editor

    return make


@pytest.mark.parametrize(
    ("class_name", "name", "kind", "qt_base"),
    [
        ("SMS_BootImagePackage", "Name", TextEditor, QLineEdit),
        ("SMS_BootImagePackage", "Description", MultiLineEditor, QPlainTextEdit),
        ("SMS_BootImagePackage", "EnableLabShell", BoolEditor, QCheckBox),
        ("SMS_BootImagePackage", "ScratchSpace", ChoiceEditor, QComboBox),
        ("SMS_BootImagePackage", "ImageIndex", WideIntegerEditor, QAbstractSpinBox),
        ("SMS_BootImagePackage", "ForcedDisconnectDelay", WideIntegerEditor, QAbstractSpinBox),
        ("SMS_ST_RecurInterval", "DaySpan", IntegerEditor, QSpinBox),
        ("SMS_BootImagePackage", "PkgFlags", BitsEditor, object),
        ("SMS_BootImagePackage", "OptionalComponents", ValueListEditor, object),
        ("SMS_BootImagePackage", "SecuredScopeNames", ListEditor, object),
        ("SMS_BootImagePackage", "RefreshSchedule", InstanceTableEditor, object),
        ("SMS_BootImagePackage", "ReferencedDrivers", InstanceTableEditor, object),
        ("SMS_BootImagePackage", "LastRefreshTime", ReadOnlyEditor, QLineEdit),
        ("SMS_BootImagePackage", "Architecture", ReadOnlyEditor, QLineEdit),
        ("SMS_ST_NonRecurring", "StartTime", DateTimeEditor, object),
        ("SMS_BootImagePackage", "Icon", BytesEditor, object),
    ],
)
def test_editor_is_chosen_from_metadata(make, registry, class_name, name, kind, qt_base):
    editor = make(name, class_name)
    prop = registry[class_name].property(name)
    assert isinstance(editor, kind)
    assert isinstance(editor, qt_base)
    assert editor.accessibleName()
    assert prop.description.split(".")[0] in editor.toolTip().replace("&#x27;", "'")


def test_every_property_of_every_class_gets_a_working_editor(qtbot, registry, ctx):
    for cls in registry.values():
        for prop in cls.properties.values():
            editor = create_editor(prop, ctx)
            qtbot.addWidget(editor)
            value = prop.default
            editor.set_value(value)
            assert editor.value() == (value if value is not None or not prop.is_array else editor.value())
            assert editor.accessibleName(), prop.name
            editor.deleteLater()


def test_text_editor_refuses_over_long_text_instead_of_cutting_it(make, qtbot):
    editor = make("Name")
    editor.set_value("")
    qtbot.keyClicks(editor, "x" * 51)
    assert editor.value() == "x" * 51, "nothing is cut silently"
    assert editor.problem() == "Name is limited to 50 characters; it has 51"
    editor.set_value(" " + "x" * 50 + " ")
    assert editor.problem() is None, "surrounding spaces are trimmed, not counted"
    editor.set_value("Boot image (x64)")
    qtbot.keyClick(editor, Qt.Key.Key_End)
    with qtbot.waitSignal(editor.changed):
        qtbot.keyClicks(editor, " new")
    assert editor.value() == "Boot image (x64) new"


def test_set_value_does_not_count_as_an_edit(make, qtbot):
    editor = make("ScratchSpace")
    with qtbot.assertNotEmitted(editor.changed):
        editor.set_value(256)
    assert editor.value() == 256


def test_choices_show_documented_names_or_layout_labels(make):
    scratch = make("ScratchSpace")
    assert [scratch.itemText(i) for i in range(scratch.count())] == ["32 MB", "64 MB", "128 MB", "256 MB", "512 MB"]
    assert [scratch.itemData(i) for i in range(scratch.count())] == [32, 64, 128, 256, 512]
    priority = make("Priority", choice_labels={"1": "High", "2": "Medium", "3": "Low"})
    assert [priority.itemText(i) for i in range(priority.count())] == ["High", "Medium", "Low"]
    priority.set_value(3)
    assert priority.currentText() == "Low"
    source_flag = make("PkgSourceFlag", inline=True)
    assert source_flag.itemText(2) == "2 (STORAGE_DIRECT)"


def test_undocumented_choice_value_is_shown_not_lost(make):
    editor = make("ScratchSpace")
    editor.set_value(1024)
    assert editor.value() == 1024
    assert "not a documented value" in editor.currentText()


def test_uint32_accepts_its_whole_range(make, qtbot):
    editor = make("ForcedDisconnectDelay")
    editor.set_value(4_294_967_295)
    assert editor.value() == 4_294_967_295
    assert editor.text() == "4294967295 minutes"
    editor.lineEdit().clear()
    qtbot.keyClicks(editor.lineEdit(), "99999999999")  # more than UInt32 holds: refused while typing
    assert editor.value() == int(editor.lineEdit().text().split()[0])
    assert editor.value() <= 4_294_967_295
    editor.set_value(0)
    editor.stepBy(-1)
    assert editor.value() == 0  # the minimum of an unsigned type


def test_range_qualifier_bounds_the_spin_box(make):
    editor = make("DaySpan", "SMS_ST_RecurInterval")
    assert (editor.minimum(), editor.maximum()) == (0, 31)


def test_bits_check_list_keeps_named_and_undocumented_bits(make, qtbot):
    editor = make("PkgFlags")
    editor.set_value(0x02000000 | 0x00000001)
    checked = [editor.item(i).text() for i in range(editor.count())
               if editor.item(i).checkState() == Qt.CheckState.Checked and not editor.item(i).isHidden()]
    assert checked == ["PERSIST_IN_CACHE  (0x02000000)", "Undocumented bits  (0x00000001)"]
    assert editor.value() == 0x02000001
    delta = next(editor.item(i) for i in range(editor.count()) if editor.item(i).text().startswith("USE_BINARY"))
    with qtbot.waitSignal(editor.changed):
        delta.setCheckState(Qt.CheckState.Checked)
    assert editor.value() == 0x02000001 | 0x04000000


def test_value_list_keeps_order_and_appends(make):
    editor = make("OptionalComponents")
    editor.set_value((52, 44))
    item = next(editor.item(i) for i in range(editor.count()) if editor.item(i).data(Qt.ItemDataRole.UserRole) == 41)
    item.setCheckState(Qt.CheckState.Checked)
    assert editor.value() == (52, 44, 41)


def test_read_only_properties_say_why(make):
    editor = make("SourceVersion")
    assert editor.isReadOnly()
    assert "read-only" in editor.toolTip()
    key = make("PackageID")
    assert "key of the object" in key.toolTip()
    scopes = make("SecuredScopeNames")
    assert not scopes.add_button.isVisibleTo(scopes)


def test_datetime_is_formatted_read_only(make):
    editor = make("LastRefreshTime")
    editor.set_value(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert editor.text() == "2026-11-23 10:00:00 UTC"
    assert editor.isReadOnly()


def test_writable_datetime_round_trips_in_utc(make):
    editor = make("StartTime", "SMS_ST_NonRecurring")
    moment = datetime(2027, 1, 31, 22, 30, tzinfo=UTC)
    editor.set_value(moment)
    assert editor.value() == moment


def test_string_list_editor(make, qtbot, registry, ctx):
    prop = registry["SMS_BootImagePackage"].property("LocalizedCategoryInstanceNames")
    assert prop.is_read_only
    writable = dataclasses.replace(prop, qualifiers=prop.qualifiers.merged(Qualifiers({"write": True})))
    editor = ListEditor(writable, ctx.coercer)
    qtbot.addWidget(editor)
    editor.set_value(("Servers", "Labs"))
    with qtbot.waitSignal(editor.changed):
        editor.add_button.click()
    editor.list.item(2).setText("Branch")
    assert editor.value() == ("Servers", "Labs", "Branch")
    editor.list.setCurrentRow(2)
    editor.up_button.click()
    assert editor.value() == ("Servers", "Branch", "Labs")


def test_icon_loads_from_file_and_clears(make, qtbot, tmp_path, monkeypatch):
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    image.fill(QColor("navy"))
    path = tmp_path / "icon.png"
    image.save(str(path))
    editor = make("Icon")
    monkeypatch.setattr(BytesEditor, "ask_file", classmethod(lambda cls, parent, title: str(path)))
    with qtbot.waitSignal(editor.changed):
        editor.load_button.click()
    assert editor.value() == path.read_bytes()
    assert "32 × 32 image" in editor.info.text()
    assert editor.preview.pixmap() is not None and not editor.preview.pixmap().isNull()
    with qtbot.waitSignal(editor.changed):
        editor.clear_button.click()
    assert editor.value() is None


def test_embedded_driver_table_shows_a_column_per_property(make):
    editor = make("ReferencedDrivers")
    editor.set_value((Instance("SMS_Driver_Details", {"ID": 16777218, "SourcePath": r"\\srv\drivers\e1d"}),))
    model = editor.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["ID", "Source path"]
    assert model.index(0, 1).data() == r"\\srv\drivers\e1d"


@pytest.mark.parametrize("kind", ["fifo", "device", "sparse", "not an image"])
def test_icon_load_refuses_what_the_cli_refuses_without_blocking(registry, tasks, qtbot, tmp_path, monkeypatch, kind):
    """One rule for Icon=@file and Load from file… (console.core.blobs), read in the background."""
    import os

    path = {"fifo": tmp_path / "icon.ico", "device": "/dev/zero", "sparse": tmp_path / "big.ico",
            "not an image": tmp_path / "notes.ico"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "sparse":
        with open(path, "wb") as handle:
            handle.truncate(3 * 1024 ** 3)
    elif kind == "not an image":
        path.write_bytes(b"just some text")
    editor = create_editor(registry["SMS_BootImagePackage"].property("Icon"), EditorContext.for_registry(registry, tasks))
    qtbot.addWidget(editor)
    monkeypatch.setattr(BytesEditor, "ask_file", classmethod(lambda cls, parent, title: str(path)))
    changed: list[object] = []
    editor.changed.connect(lambda *args: changed.append(args))
    editor.load_button.click()
    qtbot.waitUntil(lambda: "Could not load the file" in editor.info.text(), timeout=10000)
    expected = {"fifo": "is a named pipe, not an Icon file", "device": "is a device, not an Icon file",
                "sparse": "is 3,221,225,472 bytes, more than 1 MiB, the limit for an Icon file",
                "not an image": "Icon must be an image (ICO, PNG, BMP, JPEG or GIF)"}[kind]
    assert expected in editor.info.text()
    assert editor.value() is None and not changed
