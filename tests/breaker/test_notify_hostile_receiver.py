"""A hostile alert receiver (issue 14, item 5) answers an error with a body that never ends,
each byte within the read timeout. The notifier read the whole body (httpx's timeout is per
read, not per request), so one target held the delivery pass — every account's alerts —
for as long as it kept sending. Now at most the error text's bytes are read."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.breaker.hostile import alerting_job, receiver
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id


@pytest.fixture
def endless() -> Iterator[str]:
    """host:port of a server answering 500 with a chunked body it sends a byte at a time for a
    minute (or until the client hangs up)."""

    def handle(peer: socket.socket, stop: threading.Event) -> None:
        peer.recv(65536)
        peer.sendall(b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n")
        deadline = time.monotonic() + 60
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                peer.sendall(b"1\r\nx\r\n")
                time.sleep(0.02)
            peer.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up
        peer.close()

    with receiver(handle) as address:
        yield address


def test_an_endless_error_body_does_not_hold_the_delivery_pass(
    client: Client, runtime: Runtime, settings: Settings, endless: str
) -> None:
    url = f"http://{endless}/hook"
    alerting_job(client, settings, url)
    now = datetime.now().astimezone()
    with runtime.db.begin() as conn:
        account = account_id(conn, settings.account)
        store.add(conn, "k", account, "j", url, "failed", 1, {"event": "failed"}, now)
    done: list[int] = []
    passing = threading.Thread(target=lambda: done.append(deliver_due(runtime, now)), daemon=True)

    passing.start()
    passing.join(20)

    assert not passing.is_alive(), "the delivery pass is still reading the receiver's body"
    assert done == [0]
    with runtime.db.connect() as conn:
        [delivery] = store.for_job(conn, account, "j")
    assert delivery.http_status == 500 and delivery.last_error.startswith("HTTP 500 'x")
