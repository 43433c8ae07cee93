"""The class metadata matches the SDK's MOF listing of SMS_BootImagePackage exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SHARED

SEED = SHARED / "seeds" / "000_3952c1129cd72d05.txt"
MOF_LINE = re.compile(r"^\s*(\w+)\s+(\w+)(\[\])?\s*;\s*$")


def seed_properties(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    block = text.split("Class SMS_BootImagePackage : SMS_PackageBaseclass", 1)[1].split("};", 1)[0]
    props = {}
    for line in block.splitlines():
        match = MOF_LINE.match(line)
        if match:
            mof_type, name, array = match.groups()
            props[name] = mof_type + (array or "")
    return props


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seeds is not present in this checkout")
def test_metadata_matches_seed_mof_listing(registry):
    expected = seed_properties(SEED)
    assert len(expected) == 58, "the seed lists 58 properties"
    cls = registry["SMS_BootImagePackage"]
    documented = {name: p.display_type for name, p in cls.properties.items() if not p.is_real_world}
    assert documented == expected


def test_real_world_properties_are_marked(registry):
    cls = registry["SMS_BootImagePackage"]
    extras = {name: p.display_type for name, p in cls.properties.items() if p.is_real_world}
    assert extras == {"DeployFromPxeDistributionPoint": "Boolean", "InputLocale": "String"}
    for name in extras:
        assert "not in the SDK MOF listing" in cls.properties[name].description


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seeds is not present in this checkout")
def test_all_thirteen_methods_of_the_seed_are_defined(registry):
    text = SEED.read_text(encoding="utf-8")
    documented = set(re.findall(r"\|\[(\w+) Method in Class SMS_BootImagePackage\]", text))
    assert len(documented) == 13
    assert set(registry["SMS_BootImagePackage"].methods) == documented
