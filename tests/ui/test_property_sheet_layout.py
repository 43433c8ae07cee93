"""Property sheet layout files: the real boot image layout, and broken ones reported by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core.errors import MetadataError
from console.core.sheet_layout import (
    CheckItem,
    FieldItem,
    PanelKind,
    RadioGroupItem,
    default_layout,
    iter_items,
)
from console.metadata.propertysheet_layout import load_sheet_layout, parse_sheet_layout
from console.paths import resources_dir

LAYOUT = resources_dir() / "propertysheets" / "SMS_BootImagePackage.xml"


@pytest.fixture(scope="module")
def layout(registry):
    return load_sheet_layout(LAYOUT, registry)


def _fields(tab):
    return [item.property for item in iter_items(tab.items) if isinstance(item, FieldItem)]


def _checks(tab):
    return {str(item.binding.ref): item for item in iter_items(tab.items) if isinstance(item, CheckItem)}


class TestBootImageLayout:
    def test_has_the_configmgr_tabs_in_order(self, layout):
        assert [t.title for t in layout.tabs] == [
            "General", "Images", "Drivers", "Customization", "Optional Components", "Data Source",
            "Revisions", "Content Locations", "Data Access", "Distribution Settings", "Security",
        ]
        assert [t.panels for t in layout.tabs if t.key == "revisions"] == [(PanelKind.REVISIONS,)]

    def test_general_edits_name_version_and_comment(self, layout):
        general = layout.tabs[0]
        assert _fields(general)[:3] == ["Name", "Version", "Description"]
        comment = next(i for i in iter_items(general.items) if isinstance(i, FieldItem) and i.property == "Description")
        assert comment.label == "&Comment:"
        assert comment.lines == 4

    def test_customization_prestart_background_scratch_space(self, layout):
        tab = next(t for t in layout.tabs if t.key == "customization")
        assert set(_fields(tab)) >= {"PreExecCommandLine", "PreExecSourceDirectory", "BackgroundBitmapPath",
                                     "ScratchSpace", "InputLocale"}
        checks = _checks(tab)
        prestart = checks["PreExecCommandLine"]
        assert prestart.binding.presence
        nested = {str(i.binding.ref) for i in iter_items(prestart.children) if isinstance(i, CheckItem)}
        assert nested == {"PreExecSourceDirectory"}  # "include files" lives under "enable prestart"
        assert checks["EnableLabShell"].binding.mask is None
        background = next(i for i in iter_items(tab.items) if isinstance(i, RadioGroupItem))
        default, custom = background.options
        assert default.binding.invert and custom.binding.presence

    def test_bits_are_bound_by_name_with_their_masks(self, layout):
        source = _checks(next(t for t in layout.tabs if t.key == "data-source"))
        assert source["PkgFlags:PERSIST_IN_CACHE"].binding.mask == 0x02000000
        assert source["PkgFlags:USE_BINARY_DELTA_REP"].binding.mask == 0x04000000
        access = _checks(next(t for t in layout.tabs if t.key == "data-access"))
        assert access["PkgFlags:COPY_CONTENT"].binding.mask == 0x80
        share = access["ShareType"].binding
        assert (share.on, share.off) == (2, 1)

    def test_distribution_settings(self, layout):
        tab = next(t for t in layout.tabs if t.key == "distribution-settings")
        priority = next(i for i in iter_items(tab.items) if isinstance(i, FieldItem) and i.property == "Priority")
        assert [(c.value, c.label) for c in priority.choices] == [("1", "High"), ("2", "Medium"), ("3", "Low")]
        prestage = next(i for i in iter_items(tab.items) if isinstance(i, RadioGroupItem))
        assert [o.binding.mask if o.binding else None for o in prestage.options] == [0x01000000, None, 0x01000000]
        assert prestage.options[1].unsupported

    def test_panels_and_error_routing(self, layout):
        assert [t.panels for t in layout.tabs if t.panels] == [
            (PanelKind.IMAGES,), (PanelKind.DRIVERS,), (PanelKind.OPTIONAL_COMPONENTS,), (PanelKind.REVISIONS,),
            (PanelKind.CONTENT_LOCATIONS,),
        ]
        assert layout.tab_for("ReferencedDrivers").key == "drivers"
        assert layout.tab_for("ShareName").key == "data-access"
        assert layout.tab_for("pkgflags").key == "data-source"
        assert layout.tab_for("ISVData") is None

    def test_window_title_uses_the_name(self, layout):
        assert layout.window_title({"Name": "Boot image (x64)"}) == "Boot image (x64) Properties"


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "SMS_BootImagePackage.xml"
    path.write_text('<?xml version="1.0"?>\n<propertysheet class="SMS_BootImagePackage">\n'
                    f'  <tab id="general" title="General">\n{body}\n  </tab>\n</propertysheet>\n')
    return path


class TestBrokenLayouts:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ('    <field property="Nmae" label="Name:"/>', "has no property 'Nmae'"),
            ('    <check property="PkgFlags:PERSIST" label="x"/>', "has no bit named 'PERSIST'"),
            ('    <check property="ScratchSpace" label="x"/>', "not Boolean"),
            ('    <check property="ShareType" on="7" label="x"/>', "no value '7'"),
            ('    <field property="PkgFlags:PERSIST_IN_CACHE"/>', "use <check"),
            ('    <field property="Priority"><choice value="9" label="x"/></field>', "no value '9'"),
            ('    <field property="Name" colour="red"/>', "no attribute 'colour'"),
            ('    <panel kind="distribution-points"/>', "unknown panel kind"),
            ('    <textbox property="Name"/>', "unexpected <textbox>"),
        ],
    )
    def test_reported_with_file_and_line(self, tmp_path, registry, body, message):
        path = _write(tmp_path, body)
        with pytest.raises(MetadataError) as caught:
            load_sheet_layout(path, registry)
        assert caught.value.file == str(path)
        assert caught.value.line == 4
        assert message in caught.value.reason
        assert f"{path}, line 4" in str(caught.value)

    def test_unknown_class(self, registry):
        with pytest.raises(MetadataError, match="unknown class 'SMS_Nothing'"):
            parse_sheet_layout(b'<propertysheet class="SMS_Nothing"/>', registry)

    def test_not_well_formed(self, registry):
        with pytest.raises(MetadataError, match="not well-formed"):
            parse_sheet_layout(b"<propertysheet", registry)

    def test_entities_are_not_expanded(self, registry):
        data = (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                b'<propertysheet class="SMS_BootImagePackage"><tab id="g" title="&e;"/></propertysheet>')
        with pytest.raises(MetadataError):
            parse_sheet_layout(data, registry)


class TestDefaultLayout:
    def test_every_writable_scalar_on_general(self, registry):
        cls = registry["SMS_ObjectContainerNode"]
        layout = default_layout(cls)
        assert [t.title for t in layout.tabs] == ["General"]
        expected = {p.name for p in cls.properties.values() if not p.is_read_only and not p.is_array}
        assert set(layout.tabs[0].properties) == expected

    def test_schedule_type_settings_come_first(self, registry):
        layout = default_layout(registry["SMS_ST_RecurWeekly"])
        assert layout.tabs[0].properties[:2] == ("Day", "ForNumberOfWeeks")
        assert "StartTime" in layout.tabs[0].properties
