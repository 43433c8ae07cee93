"""`bootimage folder rename|move` through the real command."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import Run

pytestmark = pytest.mark.both_databases


def _folders(site: Run) -> dict[str, dict[str, object]]:
    rows = json.loads(site("folder", "list", "--json").stdout)
    return {str(r["Name"]): r for r in rows}


def test_folder_rename_and_move(site: Run) -> None:
    a = site("folder", "new", "Lab").stdout.strip()
    b = site("folder", "new", "Production").stdout.strip()
    renamed = site("folder", "rename", a, "  Lab x64 ", "--json")
    assert json.loads(renamed.stdout)["Name"] == "Lab x64"
    moved = site("folder", "move", a, "--parent", b)
    assert "Lab x64" in moved.stdout and "Production" in moved.stdout
    folders = _folders(site)
    assert folders["Lab x64"]["ParentContainerNodeID"] == int(b)
    site("folder", "move", a, "--parent", "0")
    assert _folders(site)["Lab x64"]["ParentContainerNodeID"] == 0


def test_folder_rename_and_move_refusals(site: Run) -> None:
    a = site("folder", "new", "Lab").stdout.strip()
    site("folder", "new", "Production")
    child = site("folder", "new", "Child", "--parent", a).stdout.strip()
    dup = site("folder", "rename", a, "production", check=False)
    assert dup.returncode == 1 and dup.stderr.startswith("error: A folder named")
    loop = site("folder", "move", a, "--parent", child, check=False)
    assert loop.returncode == 1 and "into itself" in loop.stderr
    missing = site("folder", "rename", "999", "X", check=False)
    assert missing.returncode == 1 and "999" in missing.stderr
    assert set(_folders(site)) == {"Lab", "Production", "Child"}


def test_folder_remove_moves_contents_up_only_when_asked(site: Run) -> None:
    top = site("folder", "new", "Lab").stdout.strip()
    site("folder", "new", "Child", "--parent", top)
    refused = site("folder", "remove", top, check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    assert set(_folders(site)) == {"Lab", "Child"}
    site("folder", "remove", top, "--move-contents-up")
    folders = _folders(site)
    assert set(folders) == {"Child"} and folders["Child"]["ParentContainerNodeID"] == 0
