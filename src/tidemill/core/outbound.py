"""Which network addresses exports may connect to (issue 9, kind 11: SSRF controls). Pure.

An address is refused when it lies in a `deny` network and in no `allow` network: `allow`
carves exceptions out of `deny`. The defaults deny link-local networks and the cloud metadata
addresses, and allow loopback and private networks (self-hosted receivers and Tidemill's own
tests live there); an operator who wants those refused adds them to `deny`. An IPv4-mapped
IPv6 address (`::ffff:169.254.169.254`) is judged as the IPv4 address it carries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_DENY: tuple[str, ...] = (
    "169.254.0.0/16",  # IPv4 link-local; the AWS, GCP, Azure, OpenStack metadata 169.254.169.254
    "fe80::/10",  # IPv6 link-local
    "fd00:ec2::254/128",  # the AWS metadata service over IPv6
    "100.100.100.200/32",  # the Alibaba Cloud metadata service
    "168.63.129.16/32",  # the Azure wire server
    "0.0.0.0/8",  # "this network": 0.0.0.0 reaches the local host on Linux
    "::/128",  # the unspecified IPv6 address, likewise
    "224.0.0.0/4",  # IPv4 multicast
    "ff00::/8",  # IPv6 multicast
)


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDR strings (a bare address counts as /32 or /128). Raises ValueError naming a bad one."""
    parsed: list[Network] = []
    for value in values:
        try:
            parsed.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a network such as 10.0.0.0/8 or fe80::/10") from exc
    return tuple(parsed)


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    deny: tuple[Network, ...] = networks(DEFAULT_DENY)
    allow: tuple[Network, ...] = ()

    @classmethod
    def from_strings(cls, deny: Iterable[str], allow: Iterable[str]) -> AddressPolicy:
        return cls(networks(deny), networks(allow))

    def refusal(self, address: str | Address) -> str | None:
        """Why `address` may not be connected to, or None when it may."""
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        denied = next((n for n in self.deny if ip.version == n.version and ip in n), None)
        if denied is None or any(ip.version == n.version and ip in n for n in self.allow):
            return None
        return (
            f"address {ip} is in {denied}, which exports may not reach "
            "(TIDEMILL_OUTBOUND__DENY; allow it with TIDEMILL_OUTBOUND__ALLOW)"
        )


def literal_address(host: str) -> Address | None:
    """The IP address `host` spells (`[::1]` too), or None for a name to resolve."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
