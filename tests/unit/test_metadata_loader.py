"""CIM-XML loading: inheritance, overrides, qualifiers, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core.errors import MetadataError
from console.metadata.cimxml import load_classes

BASE = """<?xml version="1.0"?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0"><DECLARATION><DECLGROUP>
<CLASS NAME="Base">
  <QUALIFIER NAME="Abstract" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>
  <PROPERTY NAME="Kind" TYPE="uint32">
    <QUALIFIER NAME="read" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>
    <QUALIFIER NAME="write" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER>
    <QUALIFIER NAME="ValueMap" TYPE="string"><VALUE.ARRAY><VALUE>1</VALUE><VALUE>2</VALUE></VALUE.ARRAY></QUALIFIER>
    <VALUE>1</VALUE>
  </PROPERTY>
</CLASS>
</DECLGROUP></DECLARATION></CIM>
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_inheritance_resolved_and_override_merges_qualifiers(tmp_path):
    write(tmp_path, "Base.xml", BASE)
    write(tmp_path, "Derived.xml", """<CLASS NAME="Derived" SUPERCLASS="Base">
  <PROPERTY NAME="Kind" TYPE="uint32">
    <QUALIFIER NAME="ValueMap" TYPE="string"><VALUE.ARRAY><VALUE>2</VALUE></VALUE.ARRAY></QUALIFIER>
    <VALUE>2</VALUE>
  </PROPERTY>
  <PROPERTY.ARRAY NAME="Tags" TYPE="string"><QUALIFIER NAME="max" TYPE="uint32"><VALUE>3</VALUE></QUALIFIER></PROPERTY.ARRAY>
</CLASS>""")
    registry = load_classes(tmp_path)
    derived = registry["Derived"]
    kind = derived.properties["Kind"]
    assert kind.default == 2
    assert [c.value for c in kind.choices] == ["2"]
    assert not kind.is_read_only, "write access is inherited from Base"
    assert kind.class_origin == "Base"
    assert derived.properties["Tags"].max_items == 3
    assert registry["Base"].is_abstract


def test_the_shipped_boot_image_class_inherits_every_base_property(registry):
    base = registry["SMS_PackageBaseclass"]
    boot = registry["SMS_BootImagePackage"]
    assert set(base.properties) < set(boot.properties)
    assert boot.properties["PackageType"].default == 258
    assert boot.properties["Name"].class_origin == "SMS_PackageBaseclass"
    assert boot.properties["RefreshSchedule"].embedded_class == "SMS_ScheduleToken"
    assert boot.properties["RefreshSchedule"].max_items == 15
    assert boot.properties["PkgFlags"].is_bits
    assert {f.name for f in boot.properties["PkgFlags"].bit_flags} >= {"PERSIST_IN_CACHE", "USE_BINARY_DELTA_REP"}
    assert boot.properties["ImageProperty"].is_lazy
    assert boot.properties["Icon"].is_large and boot.properties["Icon"].is_deferred
    assert boot.properties["SourceVersion"].is_read_only
    oc = boot.properties["OptionalComponents"]
    assert len(oc.choices) == 50 and oc.choice_name(41) == "WinPE-PowerShell (x64)"


def test_methods_have_in_and_out_parameters(registry):
    method = registry["SMS_BootImagePackage"].methods["QueryOSDBinaryInjectionStatus"]
    assert [p.name for p in method.in_parameters] == ["ContextID"]
    assert [p.name for p in method.out_parameters] == [
        "Status", "Progress", "MaxProgress", "ProgressText", "ErrorCode", "ExtendedErrorInfo",
    ]
    assert registry["SMS_BootImagePackage"].methods["GetImageProperties"].is_static


def test_malformed_xml_names_file_and_line(tmp_path):
    path = write(tmp_path, "Broken.xml", '<?xml version="1.0"?>\n<CLASS NAME="Broken">\n  <PROPERTY NAME="A" TYPE="string">\n</CLASS>\n')
    with pytest.raises(MetadataError) as info:
        load_classes(tmp_path)
    assert info.value.file == str(path)
    assert info.value.line == 4
    assert "Broken.xml, line 4" in str(info.value)


def test_unknown_type_names_the_property_and_line(tmp_path):
    write(tmp_path, "Bad.xml", '<CLASS NAME="Bad">\n\n  <PROPERTY NAME="Size" TYPE="uint33"/>\n</CLASS>')
    with pytest.raises(MetadataError, match=r"Bad.xml, line 3: PROPERTY Size has unknown TYPE 'uint33'"):
        load_classes(tmp_path)


def test_unknown_superclass_and_bad_default_are_reported(tmp_path):
    write(tmp_path, "Orphan.xml", '<CLASS NAME="Orphan" SUPERCLASS="Nowhere"/>')
    with pytest.raises(MetadataError, match="derives from unknown class Nowhere"):
        load_classes(tmp_path)
    (tmp_path / "Orphan.xml").unlink()
    write(tmp_path, "Dflt.xml", '<CLASS NAME="Dflt">\n<PROPERTY NAME="N" TYPE="uint8"><VALUE>300</VALUE></PROPERTY>\n</CLASS>')
    with pytest.raises(MetadataError, match=r"line 2: default value of N: 300 is outside the uint8 range"):
        load_classes(tmp_path)


def test_entities_are_not_expanded(tmp_path):
    write(tmp_path, "Evil.xml", """<?xml version="1.0"?>
<!DOCTYPE CLASS [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<CLASS NAME="Evil"><QUALIFIER NAME="Description" TYPE="string"><VALUE>&x;</VALUE></QUALIFIER></CLASS>""")
    registry = load_classes(tmp_path)
    assert "root:" not in registry["Evil"].description
