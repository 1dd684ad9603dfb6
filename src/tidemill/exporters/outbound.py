"""Outbound connections that honour the address policy (issue 9, kind 11: SSRF controls).

`check_host` is the create-time check: the host as written, or every address its name
resolves to now. `open_client` is the connect-time check: an httpx client whose transport
resolves each host itself, refuses the connection when any address is denied, and connects to
the very address it checked, so a name that resolves differently later (DNS rebinding) cannot
slip past. Proxies from the environment are not used (they would hide the real peer).
`deadline` bounds a whole request: httpx's timeouts are per read and write, so a peer sending
a byte within each would hold one without end.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


_DEADLINE = threading.local()  # .at: time.monotonic() by which this thread's I/O must end


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every connect, read and write of guarded connections (`open_client`) in this thread
    within the block ends `seconds` from now at the latest: past it, httpx raises its
    ConnectTimeout, ReadTimeout or WriteTimeout. A peer trickling its headers or body a byte
    at a time stays within each read's timeout; this bounds the request as a whole."""
    before = getattr(_DEADLINE, "at", None)
    mine = time.monotonic() + seconds
    _DEADLINE.at = mine if before is None else min(before, mine)
    try:
        yield
    finally:
        _DEADLINE.at = before


def _within(timeout: float | None, late: type[Exception]) -> float | None:
    """`timeout` shortened to what is left before this thread's deadline (`late` past it)."""
    at: float | None = getattr(_DEADLINE, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise late("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write honours the thread's `deadline`."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self.stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        within = _within(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, within))

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


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
                within = _within(timeout, httpcore.ConnectTimeout)
                stream = super().connect_tcp(address, port, within, local_address, socket_options)
                return _DeadlineStream(stream)
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
