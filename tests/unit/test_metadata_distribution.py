"""The distribution classes' metadata agrees with the code that stores them."""

from __future__ import annotations

from console.app import load_registry
from console.core.distribution import ALWAYS_OPEN, CAUSES, DistributionPoint, DpState, TransportKind
from console.core.services.distribution_points import MAX_CONCURRENCY, MAX_RATE_KBPS


def test_dp_class_has_the_fields_of_a_distribution_point_and_no_password():
    cls = load_registry()["SMS_DistributionPointInfo"]
    assert [p.name for p in cls.properties.values() if p.is_key] == ["ServerName"]
    assert [c.value for c in cls.properties["Transport"].choices] == [str(k) for k in TransportKind]
    assert cls.properties["Schedule"].default == ALWAYS_OPEN == DistributionPoint("x", TransportKind.FOLDER, "/").schedule
    assert cls.properties["Concurrency"].default == DistributionPoint("x", TransportKind.FOLDER, "/").concurrency
    assert cls.properties["Concurrency"].value_range == (1, MAX_CONCURRENCY)
    assert cls.properties["TransferRate"].value_range == (0, MAX_RATE_KBPS)
    assert not [name for name in cls.properties if "password" in name.lower()]


def test_state_class_numbers_states_and_causes_as_the_code_does():
    cls = load_registry()["SMS_PackageStatusDistPointsSummarizer"]
    state = cls.properties["State"]
    assert [(int(c.value), c.name) for c in state.choices] == [(int(s), s.name) for s in DpState]
    assert [c.value for c in cls.properties["ErrorCause"].choices][1:] == list(CAUSES)
    assert {p.name for p in cls.properties.values() if p.is_key} == {"PackageID", "ServerNALPath", "SiteCode"}


def test_group_class_lists_members():
    cls = load_registry()["SMS_DistributionPointGroup"]
    assert cls.properties["Members"].is_array and cls.properties["Name"].is_key
