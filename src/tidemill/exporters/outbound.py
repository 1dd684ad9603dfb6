"""Outbound connections that honour the address policy (issue 9, kind 11: SSRF controls).

`check_host` is the create-time check: the host as written, or every address its name
resolves to now. `open_client` is the connect-time check: an httpx client whose transport
resolves each host itself, refuses the connection when any address is denied, and connects to
the very address it checked, so a name that resolves differently later (DNS rebinding) cannot
slip past. Proxies from the environment are not used (they would hide the real peer).
"""

from __future__ import annotations

import socket
from typing import Any

import httpcore
import httpx

from tidemill.core.outbound import AddressPolicy, literal_address
from tidemill.errors import BackendError, Failure, InvalidInputError


class OutboundRefusedError(BackendError):
    """A connection the address policy does not allow; retrying cannot help."""

    def __init__(self, message: str) -> None:
        super().__init__(Failure.EXP_SUBMIT_FAILED, message)


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address `host` resolves to (a literal address is itself); [] when it does not."""
    literal = literal_address(host)
    if literal is not None:
        return [str(literal)]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(
    policy: AddressPolicy, host: str, port: int | None = None, addresses: list[str] | None = None
) -> str | None:
    """Why `host` may not be reached, or None: every address it resolves to (or `addresses`,
    resolved already) must be allowed."""
    for address in resolve(host, port) if addresses is None else addresses:
        reason = policy.refusal(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        if reason is not None:
            return f"{host} resolves to a refused address: {reason}" if address != host else reason
    return None


def check_host(policy: AddressPolicy, host: str, port: int | None, what: str) -> None:
    """EXP_SUBMIT_FAILED (E18303) at create when `host` may not be reached.

    A name that does not resolve now passes: it is checked again at connect time.
    """
    reason = refusal(policy, host, port)
    if reason is not None:
        raise InvalidInputError(Failure.EXP_SUBMIT_FAILED, f"{what} {host!r} is refused: {reason}")


class _GuardedBackend(httpcore.SyncBackend):
    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        reason = refusal(self.policy, host, port, addresses)
        if reason is not None:
            raise OutboundRefusedError(f"the connection to {host}:{port} is refused: {reason}")
        error: Exception | None = None
        for address in addresses:  # the checked addresses themselves: no second lookup
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__()
        # The pool HTTPTransport builds, with our backend; TLS still checks the host *name*.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_GuardedBackend(policy)
        )


def open_client(policy: AddressPolicy, timeout: float) -> httpx.Client:
    """An httpx client for export requests: `policy` is enforced on every connection."""
    return httpx.Client(timeout=timeout, transport=_GuardedTransport(policy), trust_env=False)
