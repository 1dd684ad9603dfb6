"""The address policy of exports (issue 9, kind 11), table-driven."""

from __future__ import annotations

import re

import pytest

from tidemill.core.outbound import AddressPolicy, literal_address, networks

DEFAULT = AddressPolicy()


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254", "fd00:ec2::254",
     "100.100.100.200", "168.63.129.16", "0.0.0.0", "::", "224.0.0.1"],
)  # fmt: skip
def test_link_local_and_metadata_addresses_are_refused_by_default(address: str) -> None:
    reason = DEFAULT.refusal(address)

    assert reason is not None
    assert "TIDEMILL_OUTBOUND__DENY" in reason


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.9", "172.16.0.1", "8.8.8.8", "2001:db8::1"],
)
def test_loopback_private_and_public_addresses_are_allowed_by_default(address: str) -> None:
    assert DEFAULT.refusal(address) is None


def test_allow_carves_an_exception_out_of_deny() -> None:
    policy = AddressPolicy.from_strings(["0.0.0.0/0", "::/0"], ["10.1.0.0/16"])

    assert policy.refusal("10.1.2.3") is None
    assert policy.refusal("10.2.0.1") is not None
    assert policy.refusal("::1") is not None


def test_an_operator_can_refuse_loopback() -> None:
    policy = AddressPolicy.from_strings(["127.0.0.0/8", "::1/128"], [])

    assert policy.refusal("127.0.0.1") is not None
    assert policy.refusal("::ffff:127.0.0.1") is not None
    assert policy.refusal("169.254.169.254") is None  # the operator's list replaced the default


def test_a_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33'")):
        networks(["10.0.0.0/8", "10.0.0.0/33"])


@pytest.mark.parametrize(
    ("host", "expected"),
    [("169.254.169.254", "169.254.169.254"), ("[fe80::1]", "fe80::1"), ("example.com", None)],
)
def test_literal_address(host: str, expected: str | None) -> None:
    found = literal_address(host)

    assert (None if found is None else str(found)) == expected
