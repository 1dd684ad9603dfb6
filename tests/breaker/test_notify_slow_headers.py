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

from tests.api.test_batches import make_datasource, write_lines
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services import notify
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id

SECRET = "s" * 16


@pytest.fixture
def trickle() -> Iterator[str]:
    """host:port of a server that answers `200 OK` and then sends its headers a byte at a time
    for ten minutes (or until the client hangs up)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except TimeoutError:
                continue
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

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    server.close()


def test_a_receiver_trickling_its_headers_does_not_hold_the_delivery_pass(
    client: Client, runtime: Runtime, settings: Settings, trickle: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(notify, "TIMEOUT", 2.0)  # the whole POST's time; 10 s in service
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    url = f"http://{trickle}/hook"
    response = client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select 1 as a from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "notify": [{"url": url, "on": ["failed"], "secret": SECRET}],
    })  # fmt: skip
    assert response.status_code == 200, response.text
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
