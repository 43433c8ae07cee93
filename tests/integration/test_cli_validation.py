"""One rule for names in the CLI and the GUI: trimmed, over-long ones refused (never cut)."""

from __future__ import annotations

import json

from tests.integration.conftest import Run


def test_names_are_trimmed_and_over_long_ones_refused(site: Run) -> None:
    site("new", "--path", "/x/boot.wim", "--index", "1", "--name", "  Lab  ", "--no-image-read")
    assert json.loads(site("show", "PS100001", "--json").stdout)["Name"] == "Lab"
    site("set", "PS100001", "Name= Lab x64 ", "Version= 1.0 ")
    shown = json.loads(site("show", "PS100001", "--json").stdout)
    assert (shown["Name"], shown["Version"]) == ("Lab x64", "1.0")
    refused = site("set", "PS100001", "Name=" + "n" * 51, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: Name is limited to 50 characters; got 51"
    assert json.loads(site("show", "PS100001", "--json").stdout)["Name"] == "Lab x64"
