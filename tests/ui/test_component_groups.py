"""One optional-component rule in every view: chosen, prerequisites, required by the site."""

from __future__ import annotations

from console.ui.models.package_details import load_details
from console.ui.propertysheet.panels.components_model import component_rows


def test_properties_tab_and_details_pane_show_the_same_groups(console, x64_package):
    console.packages.update_optional_components("PS100001", ["WinPE-PowerShell"])
    package = console.packages.get("PS100001", lazy=True)
    stored = tuple(package["OptionalComponents"])
    tab = [(r.name, r.state) for r in component_rows(console.context.catalog, "x64", stored, stored)]
    details = [(name, label) for _, name, label in load_details(console, "PS100001").components]
    assert tab == details
    assert tab == [
        ("WinPE-PowerShell", "Chosen"),
        ("WinPE-NetFx", "Prerequisite of WinPE-PowerShell"),
        ("WinPE-Scripting", "Required by the site"),
        ("WinPE-SecureStartup", "Required by the site"),
        ("WinPE-WDS-Tools", "Required by the site"),
        ("WinPE-WMI", "Required by the site"),
    ]
