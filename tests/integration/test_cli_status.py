"""`bootimage status`: changed values old -> new, filters by severity and text."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Run

pytestmark = pytest.mark.both_databases


def test_properties_changed_messages_list_old_and_new_values(site: Run) -> None:
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "Lab", "--no-image-read")
    site("set", "PS100001", "Description=first line", "ScratchSpace=256", "Name=Lab x64")
    data = json.loads(site("status", "--package", "PS100001", "--json").stdout)
    changed = next(m for m in data if m["Text"].startswith("Properties changed"))
    assert changed["Changes"] == [
        {"Property": "Description", "Old": "(empty)", "New": "first line"},
        {"Property": "Name", "Old": "Lab", "New": "Lab x64"},
        {"Property": "ScratchSpace", "Old": "512 MB", "New": "256 MB"},
    ]
    text = site("status", "--package", "PS100001").stdout
    assert "  Name: Lab -> Lab x64" in text and "  ScratchSpace: 512 MB -> 256 MB" in text
    # the values are the audit's (Monitoring › Audit, `bootimage audit`): the text names the properties
    filtered = json.loads(site("status", "--text", "scratchspace", "--json").stdout)
    assert [m["Text"] for m in filtered] == [changed["Text"]]
    assert json.loads(site("status", "--severity", "error", "--json").stdout) == []
    bad = site("status", "--severity", "fatal", check=False)
    assert bad.returncode == 2
