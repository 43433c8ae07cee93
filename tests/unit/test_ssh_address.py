"""The SSH DP address an administrator types: [user@]host[:port]:/path."""

from __future__ import annotations

import pytest

from console.core.distribution import DistributionError
from console.distribution.ssh_support import SshAddress, parse_address


@pytest.mark.parametrize(("text", "expected"), [
    ("dp01.contoso.com:/srv/dp", SshAddress("dp01.contoso.com", 22, "/srv/dp")),
    ("cm@dp01.contoso.com:2222:/srv/dp/", SshAddress("dp01.contoso.com", 2222, "/srv/dp", "cm")),
    ("cm@[fd00::1]:2200:/srv", SshAddress("fd00::1", 2200, "/srv", "cm")),
    ("dp01:content", SshAddress("dp01", 22, "content")),
    ("dp01:", SshAddress("dp01", 22, "")),
    ("dp01:/", SshAddress("dp01", 22, "/")),
])
def test_an_address_names_user_host_port_and_folder(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["dp01", "/srv/dp", "dp01:70000:/srv", "user@:/srv", "dp 01:/srv", ""])
def test_a_malformed_address_says_how_to_write_it(text):
    with pytest.raises(DistributionError, match=r"write \[user@\]host\[:port\]:/path"):
        parse_address(text)


def test_the_server_is_shown_with_its_port_only_when_it_is_not_22():
    assert str(parse_address("dp01:/srv")) == "dp01"
    assert str(parse_address("dp01:2222:/srv")) == "dp01:2222"
    assert str(parse_address("[fd00::1]:2222:/srv")) == "[fd00::1]:2222"
