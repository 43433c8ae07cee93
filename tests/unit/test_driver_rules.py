"""The Drivers wizard's filter rules: architecture of the boot image, storage/network class."""

from __future__ import annotations

import pytest

from console.core.drivers import ANY_ARCHITECTURE, UNSTAMPED, is_storage_or_network, matches_architecture


@pytest.mark.parametrize(
    ("architectures", "boot_image", "matches"),
    [
        (("amd64",), "x64", True),
        (("amd64",), "X64", True),
        (("amd64",), "x86", False),
        (("x86",), "x86", True),
        (("x86",), "x64", False),
        (("arm64",), "arm64", True),
        (("arm64",), "x64", False),
        (("ia64",), "ia64", True),
        (("x86", "amd64"), "x64", True),
        ((ANY_ARCHITECTURE,), "x86", True),
        ((ANY_ARCHITECTURE,), "x64", False),  # 64-bit Windows installs only decorated models sections
        ((ANY_ARCHITECTURE,), "arm64", False),
        ((UNSTAMPED,), "x64", False),  # Windows does not recognize NT$ARCH$
        ((UNSTAMPED,), "x86", False),
        (("amd64",), "", True),  # boot image architecture not known yet: nothing to compare with
        (("amd64",), "mips", False),
        ((), "x64", False),
    ],
)
def test_architecture_match(architectures, boot_image, matches):
    assert matches_architecture(architectures, boot_image) is matches


@pytest.mark.parametrize(
    ("driver_class", "class_guid", "expected"),
    [
        ("Net", "", True),
        ("net", "", True),
        ("SCSIAdapter", "", True),
        ("HDC", "", True),
        ("DiskDrive", "", True),
        ("SDHost", "", True),
        ("", "{4D36E97B-E325-11CE-BFC1-08002BE10318}", True),  # SCSIAdapter by GUID
        ("Display", "{4d36e968-e325-11ce-bfc1-08002be10318}", False),
        ("NetTrans", "{4d36e975-e325-11ce-bfc1-08002be10318}", False),
        ("Modem", "", False),
        ("USB", "", False),
        ("", "", False),
    ],
)
def test_storage_or_network_classes(driver_class, class_guid, expected):
    assert is_storage_or_network(driver_class, class_guid) is expected


def test_architectures_are_shown_in_the_class_terms():
    from console.core.drivers import describe_architectures

    assert describe_architectures(("x86", "amd64", "arm64", "ia64")) == "x86, x64, arm64, ia64"
    assert describe_architectures((UNSTAMPED,)) == "not stamped (template INF)"
    assert describe_architectures((ANY_ARCHITECTURE,)) == "x86 (undecorated INF)"
    assert "NT$ARCH$" not in describe_architectures((UNSTAMPED,)) and "amd64" not in describe_architectures(("amd64",))


def test_a_mismatch_says_why():
    from console.core.drivers import architecture_mismatch

    assert architecture_mismatch(("amd64",), "x64") == ""
    assert architecture_mismatch((ANY_ARCHITECTURE,), "x86") == ""
    assert architecture_mismatch((ANY_ARCHITECTURE,), "x64") == (
        "its INF is undecorated, so it installs on x86 only; an x64 boot image needs a models section decorated "
        "for its platform")
    assert architecture_mismatch((UNSTAMPED,), "x64").startswith("its INF is not stamped (a template INF")
    assert architecture_mismatch(("arm64",), "x64") == "it is for arm64, not x64"
