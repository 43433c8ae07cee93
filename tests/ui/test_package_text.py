"""The package list and the details pane show a property's value the same way (one rule)."""

from __future__ import annotations

from console.ui.models.package_columns import COLUMNS, cell_text
from console.ui.models.package_details import load_details
from console.ui.views.details_pane import SUMMARY_FIELDS, DetailsPane


def test_details_pane_shows_values_as_the_list_does(qtbot, console, x64_facts):
    created = console.packages.create(name="Lab image", image_path="/images/a.wim", version="1.2", image=x64_facts,
                                      description="first line\nsecond line")
    details = load_details(console, created.value["PackageID"])
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show_details(details)
    shown = {prop: pane._values[prop].text() for _label, prop in SUMMARY_FIELDS}
    in_list = {c.property: cell_text(details.cls, c, details.package) for c in COLUMNS}
    for prop in ("Name", "PackageID", "Version", "Architecture", "ImageOSVersion", "Language", "PackageSize",
                 "ScratchSpace", "SourceVersion"):
        assert shown[prop] == in_list[prop], prop
    assert shown["ScratchSpace"].endswith(" MB")
    # The list keeps one line and minutes; the pane shows the whole value.
    assert in_list["Description"] == "first line second line" and shown["Description"] == "first line\nsecond line"
    assert shown["SourceDate"].startswith(in_list["SourceDate"]) and shown["SourceDate"].endswith(" UTC")
