"""The INF parser against every real INF of the test data, and each syntax rule on its own."""

from __future__ import annotations

import codecs
from datetime import date

import pytest

from console.core.drivers import ANY_ARCHITECTURE, UNSTAMPED, InfError, NotADriverInfError
from console.drivers.inf import parse_inf, read_inf
from console.drivers.inf_text import MAX_INF_BYTES
from tests.driver_fixtures import SHARED_INF, inf_rows

TSV_ARCHITECTURES = {"NT(any)": ANY_ARCHITECTURE, "$ARCH$(unstamped)": UNSTAMPED}


def _cases() -> list:
    cases = [pytest.param(row, id=row.saved_name) for row in inf_rows()]
    if not (SHARED_INF / "SOURCES.tsv").exists():
        cases.append(pytest.param(None, id="gpl-files-in-shared", marks=pytest.mark.skip(
            reason="../shared/testdata/inf is absent: its GPL/LGPL INF files cannot be copied here and are not tested"
        )))
    return cases


def expected_catalog(text: str) -> str:
    """SOURCES.tsv writes ``%TOKEN%.cat (=Resolved.cat)`` or ``CatalogFile.NT=file.cat``."""
    if "(=" in text:
        return text.split("(=", 1)[1].rstrip(")")
    if text.startswith("CatalogFile."):
        return text.split("=", 1)[1]
    return text


@pytest.mark.parametrize("row", _cases())
def test_real_inf_matches_the_values_read_by_hand(row):
    inf = read_inf(row.path)
    expected = row.values
    assert inf.driver_class == expected["Class"]
    assert inf.provider == expected["Provider"]
    assert inf.driver_ver == expected["DriverVer"]
    assert inf.catalog_file == expected_catalog(expected["CatalogFile"])
    decorations = expected["manufacturer_decorations"]
    if decorations == "(no [Manufacturer])":
        assert inf.manufacturers == ()
    elif decorations == "(undecorated)":
        assert inf.manufacturers and inf.decorations == ()
        assert inf.architectures == (ANY_ARCHITECTURE,)
    else:
        assert list(inf.decorations) == decorations.split(";")
        wanted = [TSV_ARCHITECTURES.get(a, a) for a in expected["architectures"].split(";")]
        assert list(inf.architectures) == wanted
    if expected["CatalogFile"].startswith("CatalogFile."):
        decoration = expected["CatalogFile"].split("=", 1)[0].split(".", 1)[1]
        assert inf.catalog_files == ((decoration, expected_catalog(expected["CatalogFile"])),)


@pytest.mark.parametrize("row", _cases())
def test_real_inf_is_a_device_driver_exactly_when_it_has_class_and_devices(row):
    inf = read_inf(row.path)
    if not row.values["Class"] or not inf.models:
        with pytest.raises(NotADriverInfError, match=r"not a device driver INF") as info:
            inf.require_device_driver()
        assert info.value.message.startswith(str(row.path))
    else:
        inf.require_device_driver()
        assert all(m.install_section for m in inf.models)


# -- a tiny INF to vary ----------------------------------------------------------------------

BASE = """[Version]
Signature="$Windows NT$"
Class=Net
ClassGuid={4d36e972-e325-11ce-bfc1-08002be10318}
Provider=%Contoso%
DriverVer=01/02/2024,1.2.3.4
CatalogFile=contoso.cat

[Manufacturer]
%Contoso%=Contoso,NTamd64

[Contoso.NTamd64]
%Nic.Desc%=Nic_Install,PCI\\VEN_8086&DEV_15BB,PCI\\VEN_8086&CC_0200

[Strings]
Contoso="Contoso, Ltd."
Nic.Desc="Contoso Gigabit NIC"
"""


def parse(text: str, encoding: str = "utf-8") -> object:
    return parse_inf(text.encode(encoding), "test.inf")


def test_version_values_models_and_hardware_ids():
    inf = parse(BASE)
    assert (inf.driver_class, inf.class_guid, inf.provider) == ("Net", "{4d36e972-e325-11ce-bfc1-08002be10318}", "Contoso, Ltd.")
    assert (inf.driver_date, inf.driver_version, inf.catalog_file) == (date(2024, 1, 2), "1.2.3.4", "contoso.cat")
    assert inf.architectures == ("amd64",)
    (model,) = inf.models
    assert (model.manufacturer, model.description, model.install_section) == ("Contoso, Ltd.", "Contoso Gigabit NIC", "Nic_Install")
    assert (model.hardware_id, model.compatible_ids) == ("PCI\\VEN_8086&DEV_15BB", ("PCI\\VEN_8086&CC_0200",))
    assert inf.warnings == ()


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF16_LE + BASE.replace("Ltd.", "Ltée").encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + BASE.replace("Ltd.", "Ltée").encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF8 + BASE.replace("Ltd.", "Ltée").encode("utf-8"), "utf-8-sig"),
        (BASE.replace("Ltd.", "Ltée").encode("utf-8"), "utf-8"),
        (BASE.replace("Ltd.", "Ltée").encode("cp1252"), "cp1252"),
        (BASE.replace("Ltd.", "Ltée").encode("utf-16-le"), "utf-16-le"),  # no byte-order mark
    ],
    ids=["utf16le-bom", "utf16be-bom", "utf8-bom", "utf8", "ansi-cp1252", "utf16le-no-bom"],
)
def test_encodings(data, encoding):
    inf = parse_inf(data, "enc.inf")
    assert inf.encoding == encoding
    assert inf.provider == "Contoso, Ltée"


def test_ansi_bytes_undefined_in_cp1252_fall_back_to_latin1():
    inf = parse_inf(BASE.replace("Ltd.", "Ltd\x81").encode("latin-1"), "odd.inf")
    assert inf.encoding == "latin-1"
    assert inf.provider == "Contoso, Ltd\x81"


def test_comments_outside_quotes_only_and_quoted_semicolons_kept():
    text = BASE.replace('Contoso="Contoso, Ltd."', 'Contoso = "Contoso; Ltd." ; "not this"') \
               .replace("Class=Net", "Class=Net   ; the network class")
    inf = parse(text)
    assert inf.provider == "Contoso; Ltd."
    assert inf.driver_class == "Net"


def test_line_continuation_joins_lines_but_not_inside_comments():
    text = BASE.replace(
        "%Nic.Desc%=Nic_Install,PCI\\VEN_8086&DEV_15BB,PCI\\VEN_8086&CC_0200",
        "; a comment that ends in a backslash \\\n%Nic.Desc%=Nic_Install, \\\n    PCI\\VEN_8086&DEV_15BB",
    )
    (model,) = parse(text).models
    assert model.hardware_id == "PCI\\VEN_8086&DEV_15BB"
    assert model.description == "Contoso Gigabit NIC"


def test_quotes_doubled_quote_and_percent_escape():
    text = BASE.replace('Nic.Desc="Contoso Gigabit NIC"', 'Nic.Desc="Contoso ""Gigabit"" NIC"') \
               .replace("%Nic.Desc%=Nic_Install", '"%Nic.Desc% 100%% (%UNKNOWN%)"=Nic_Install')
    (model,) = parse(text).models
    assert model.description == 'Contoso "Gigabit" NIC 100% (%UNKNOWN%)'


def test_tokens_are_case_insensitive_and_localized_strings_fill_gaps():
    text = BASE.replace("Provider=%Contoso%", "Provider=%CONTOSO.only.localized%") + (
        "\n[Strings.0407]\ncontoso.only.localized=Contoso GmbH\n"
        "\n[Strings.0409]\nCONTOSO.ONLY.LOCALIZED=Contoso Inc.\nContoso=ignored: the base section has it\n"
    )
    inf = parse(text)
    assert inf.provider == "Contoso Inc."  # 0409 is preferred among localized sections
    assert inf.models[0].manufacturer == "Contoso, Ltd."  # the base [Strings] wins


def test_models_section_name_and_decorations_from_tokens():
    text = BASE.replace("%Contoso%=Contoso,NTamd64", "%Contoso%=%Models%,NT$ARCH$").replace(
        "[Contoso.NTamd64]", "[ContosoModels.NT$ARCH$]") + "Models=ContosoModels\n"
    inf = parse(text)
    assert inf.decorations == ("NT$ARCH$",)
    assert inf.architectures == (UNSTAMPED,)
    assert inf.models[0].install_section == "Nic_Install"


@pytest.mark.parametrize(
    ("decorations", "architectures"),
    [
        ("NTx86,NTamd64,NTarm,NTarm64,NTia64", ("x86", "amd64", "arm", "arm64", "ia64")),
        ("ntAMD64.10.0...17763,NTamd64.6.1", ("amd64",)),
        ("NT", (ANY_ARCHITECTURE,)),
        ("NT.6.1,NTx86", (ANY_ARCHITECTURE, "x86")),
        ("NT$ARCH$.10.0...22000", (UNSTAMPED,)),
        ("", (ANY_ARCHITECTURE,)),
    ],
)
def test_manufacturer_decorations_normalize_to_architectures(decorations, architectures):
    line = "%Contoso%=Contoso" + ("," + decorations if decorations else "")
    inf = parse(BASE.replace("%Contoso%=Contoso,NTamd64", line))
    assert inf.architectures == architectures


def test_unknown_architecture_and_missing_models_section_are_warnings():
    inf = parse(BASE.replace("%Contoso%=Contoso,NTamd64", "%Contoso%=Contoso,NTamd64,NTalpha"))
    assert inf.architectures == ("amd64",)
    assert any("'NTalpha' names no known architecture" in w for w in inf.warnings)
    assert any("[Contoso.NTalpha] missing" in w for w in inf.warnings)


def test_manufacturer_without_equals_names_its_own_models_section():
    inf = parse(BASE.replace("%Contoso%=Contoso,NTamd64", "Contoso").replace("[Contoso.NTamd64]", "[contoso]"))
    assert inf.architectures == (ANY_ARCHITECTURE,)
    assert inf.models[0].manufacturer == "Contoso"


def test_sections_are_case_insensitive_and_repeated_sections_merge():
    text = BASE.replace("[Version]", "[version]") + "\n[VERSION]\nDriverVer=09/09/2009,9.9.9.9\n[Contoso.ntamd64]\n\"Second\"=Nic_Install,PCI\\VEN_1234\n"
    inf = parse(text)
    assert inf.driver_version == "1.2.3.4"  # the first DriverVer wins
    assert [m.hardware_id for m in inf.models] == ["PCI\\VEN_8086&DEV_15BB", "PCI\\VEN_1234"]


@pytest.mark.parametrize(
    ("driver_ver", "expected", "day", "version", "warning"),
    [
        (None, "", None, "", "has no DriverVer"),
        ("DriverVer=", "", None, "", "DriverVer is empty"),
        ("DriverVer = ; filled in by stampinf", "", None, "", "DriverVer is empty"),
        ("DriverVer = WILL_BE_FIXED_UP_BY_STAMPINF", "WILL_BE_FIXED_UP_BY_STAMPINF", None, "", "is a placeholder"),
        ("DriverVer = 2/9/2015 , 1.0", "2/9/2015,1.0", date(2015, 2, 9), "1.0", None),
        ("DriverVer=13/45/2020,1.0.0.0", "13/45/2020,1.0.0.0", None, "1.0.0.0", "is not a real date"),
        ("DriverVer=2020-01-01,1.0.0.0", "2020-01-01,1.0.0.0", None, "1.0.0.0", "is not mm/dd/yyyy"),
        ("DriverVer=01/01/2020,1.0.beta", "01/01/2020,1.0.beta", date(2020, 1, 1), "1.0.beta", "is not w.x.y.z"),
    ],
)
def test_driver_ver_forms(driver_ver, expected, day, version, warning):
    text = BASE.replace("DriverVer=01/02/2024,1.2.3.4", driver_ver or "")
    inf = parse(text)
    assert (inf.driver_ver, inf.driver_date, inf.driver_version) == (expected, day, version)
    if warning:
        assert any(warning in w for w in inf.warnings), inf.warnings
    else:
        assert inf.warnings == ()


def test_decorated_and_empty_catalog_files():
    inf = parse(BASE.replace("CatalogFile=contoso.cat", "CatalogFile=\nCatalogFile.NTamd64 = contoso64.cat\nCatalogFile.NTx86=contoso32.cat"))
    assert inf.catalog_files == (("NTamd64", "contoso64.cat"), ("NTx86", "contoso32.cat"))
    assert inf.catalog_file == "contoso64.cat"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE.replace("[Manufacturer]", "[Manufacturer"), r"^bad\.inf, line 9: section header has no closing '\]'$"),
        (BASE.replace("[Manufacturer]", "[  ]"), r"^bad\.inf, line 9: empty section name"),
        (BASE.replace('Signature="$Windows NT$"', ""), r"^bad\.inf, line 1: \[Version\] has no Signature"),
        (BASE.replace('Signature="$Windows NT$"', "Signature=$ReactOS$"), r"^bad\.inf, line 2: \[Version\] Signature '\$ReactOS\$' is not one Windows accepts"),
        ("[autorun]\nopen=setup.exe\nicon=setup.ico\n", r"^bad\.inf: not a driver INF: it has no \[Version\] section \(this is an autorun\.inf"),
        ("; only a comment\n", r"^bad\.inf: not a driver INF: it has no \[Version\] section$"),
    ],
    ids=["unterminated-section", "empty-section-name", "no-signature", "unknown-signature", "autorun", "empty"],
)
def test_malformed_inf_is_refused_naming_file_and_line(text, message):
    with pytest.raises(InfError, match=message):
        parse_inf(text.encode(), "bad.inf")


def test_binary_and_truncated_files_are_refused():
    with pytest.raises(InfError, match=r"^x\.sys: this is a binary file, not an INF text file"):
        parse_inf(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 4, "x.sys")
    with pytest.raises(InfError, match=r"^cut\.inf: the file is cut off: UTF-16-LE text has an odd number of bytes"):
        parse_inf(codecs.BOM_UTF16_LE + BASE.encode("utf-16-le")[:-1], "cut.inf")
    with pytest.raises(InfError, match=r"not valid UTF-8 text although it starts with a UTF-8 byte-order mark"):
        parse_inf(codecs.BOM_UTF8 + b"[Version]\xff\xfe", "bom.inf")


def test_size_cap_is_checked_before_reading_the_whole_file(tmp_path):
    big = tmp_path / "big.inf"
    big.write_bytes(BASE.encode() + b";" * 2048)
    with pytest.raises(InfError, match=r"big\.inf: is 2,\d+ bytes, more than 0 MB, the limit for an INF file; it is not read"):
        read_inf(big, max_bytes=1024)
    with pytest.raises(InfError, match=f"larger than {MAX_INF_BYTES // 2**20} MB"):
        parse_inf(b" " * (MAX_INF_BYTES + 1), "huge.inf")


def test_unreadable_file_is_an_inf_error(tmp_path):
    with pytest.raises(InfError, match=r"missing\.inf: no such file"):
        read_inf(tmp_path / "missing.inf")


def test_dos_end_of_file_marker_and_lines_before_the_first_section():
    inf = parse("stray text\n" + BASE + "\x1a[Strings]\nContoso=after the end\n")
    assert inf.provider == "Contoso, Ltd."
    assert inf.warnings == ("1 line(s) before the first [section] were ignored",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("Class=Net\nClassGuid={4d36e972-e325-11ce-bfc1-08002be10318}\n", ""), r"^test\.inf, line 1: not a device driver INF: \[Version\] names no Class or ClassGuid"),
        (("[Manufacturer]\n%Contoso%=Contoso,NTamd64\n", ""), r"^test\.inf: not a device driver INF: it has no \[Manufacturer\] section"),
        (("[Contoso.NTamd64]", "[Other]"), r"^test\.inf, line 10: not a device driver INF: the models sections its \[Manufacturer\] section names \(\[Contoso\.NTamd64\]\) are missing"),
    ],
    ids=["no-class", "no-manufacturer", "no-models"],
)
def test_inf_that_installs_no_device_is_not_a_driver(change, message):
    inf = parse(BASE.replace(*change))
    with pytest.raises(NotADriverInfError, match=message):
        inf.require_device_driver()
