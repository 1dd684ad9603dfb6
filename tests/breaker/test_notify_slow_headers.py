"""A hostile alert receiver (issue 14, item 5) answers with its status line and then trickles
its headers, a byte every 50 ms: each read is within httpx's timeout (per read, not per
request), and h11 waits for up to 16 KiB of headers, so one target held the delivery pass —
every account's alerts — for ~14 minutes a delivery (a byte every 9 s: 41 hours). An alert's
POST now ends by services.notify.TIMEOUT in all (exporters.outbound.deadline)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from tests.breaker.hostile import alerting_job, receiver
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services import notify
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id


@pytest.fixture
def trickle() -> Iterator[str]:
    """host:port of a server that answers `200 OK` and then sends its headers a byte at a time
    for ten minutes (or until the client hangs up)."""

    def handle(peer: socket.socket, stop: threading.Event) -> None:
        peer.recv(65536)
        peer.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        deadline = time.monotonic() + 600
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                peer.sendall(b"x")
                time.sleep(0.05)
        except OSError:
            pass  # the client hung up
        peer.close()

    with receiver(handle) as address:
        yield address


def test_a_receiver_trickling_its_headers_does_not_hold_the_delivery_pass(
    client: Client, runtime: Runtime, settings: Settings, trickle: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(notify, "TIMEOUT", 2.0)  # the whole POST's time; 10 s in service
    url = f"http://{trickle}/hook"
    alerting_job(client, settings, url)
    # due a day from now: the app's own Notifier thread (real clock) leaves it to this pass
    now = datetime.now().astimezone() + timedelta(days=1)
    with runtime.db.begin() as conn:
        account = account_id(conn, settings.account)
        store.add(conn, "k", account, "j", url, "failed", 1, {"event": "failed"}, now)
    done: list[int] = []
    started = time.monotonic()
    passing = threading.Thread(target=lambda: done.append(deliver_due(runtime, now)), daemon=True)

    passing.start()
    passing.join(30)

    assert not passing.is_alive(), "the delivery pass is still reading the receiver's headers"
    assert time.monotonic() - started < 10
    assert done == [0]
    with runtime.db.connect() as conn:
        [delivery] = store.for_job(conn, account, "j")
    assert delivery.status == store.PENDING and "Timeout" in delivery.last_error, delivery
