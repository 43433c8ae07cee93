"""Optional-component ids per architecture and prerequisite resolution."""

from __future__ import annotations

import pytest

from console.core.errors import ValidationError


def test_powershell_on_x64_pulls_its_prerequisites_in_install_order(catalog):
    resolution = catalog.resolve([catalog.id_for("WinPE-PowerShell", "x64")], "x64")
    names = [catalog.by_id(i).name for i in resolution.component_ids]
    assert names == ["WinPE-WMI", "WinPE-NetFx", "WinPE-Scripting", "WinPE-PowerShell"]
    assert resolution.component_ids == (52, 40, 44, 41)
    assert dict(resolution.added) == {52: "required by WinPE-PowerShell", 40: "required by WinPE-PowerShell", 44: "required by WinPE-PowerShell"}


def test_old_names_and_ids_resolve(catalog):
    assert catalog.id_for("WinPE-PowerShell3", "x86") == 15
    assert catalog.id_for("winpe-netfx4", "x64") == 40
    assert catalog.id_for("26", "x86") == 26


def test_ids_of_the_other_architecture_are_refused(catalog):
    with pytest.raises(ValidationError, match=r"id 15 is not valid for an x64 boot image: use 27-52 except 49 \(15 is an x86 id\)"):
        catalog.check_ids([15], "x64")
    with pytest.raises(ValidationError, match="not valid"):
        catalog.check_ids([23], "x86")


def test_unknown_architecture_is_explained(catalog):
    with pytest.raises(ValidationError, match="architecture is not known yet"):
        catalog.id_for("WinPE-HTA", "")
    with pytest.raises(ValidationError, match="this image is arm64"):
        catalog.id_for("WinPE-HTA", "arm64")


def test_dependents_and_config_mgr_required(catalog):
    selected = [52, 40, 44, 41, 27]
    assert sorted(catalog.dependents(40, selected)) == [27, 41]
    assert [catalog.by_id(i).name for i in catalog.required_by_config_mgr("x64")] == [
        "WinPE-Scripting", "WinPE-SecureStartup", "WinPE-WDS-Tools", "WinPE-WMI",
    ]


def test_component_groups_one_rule_chosen_prerequisites_site_required(catalog):
    from console.core.optional_components import component_groups

    stored = [52, 40, 44, 41, 27]  # WMI, NetFx, Scripting, PowerShell, DismCmdlets
    groups = component_groups(catalog, stored, "x64")
    name = {i: catalog.by_id(i).name for i in groups.all_ids()}
    assert [name[i] for i in groups.chosen] == ["WinPE-DismCmdlets"]
    assert [name[i] for i in groups.prerequisites] == ["WinPE-NetFx", "WinPE-PowerShell"]
    assert sorted(name[i] for i in groups.site_required) == [
        "WinPE-Scripting", "WinPE-SecureStartup", "WinPE-WDS-Tools", "WinPE-WMI"]
    assert groups.label(40) == "Prerequisite of WinPE-PowerShell, WinPE-DismCmdlets"
    assert groups.label(27) == "Chosen" and groups.label(52) == "Required by the site"
    # site-required components are listed whether or not they are stored
    assert component_groups(catalog, [], "x64").site_required == groups.site_required
    # an unknown architecture: everything stored counts as chosen, nothing is claimed for the site
    unknown = component_groups(catalog, [41], "")
    assert unknown.chosen == (41,) and unknown.site_required == ()
