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

from tests.api.test_batches import make_datasource, write_lines
from tests.support import Client
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services.notify import deliver_due
from tidemill.store import notify as store
from tidemill.store.accounts import account_id

SECRET = "s" * 16


@pytest.fixture
def endless() -> Iterator[str]:
    """host:port of a server answering 500 with a chunked body it sends a byte at a time for a
    minute (or until the client hangs up)."""
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

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    server.close()


def test_an_endless_error_body_does_not_hold_the_delivery_pass(
    client: Client, runtime: Runtime, settings: Settings, endless: str
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    url = f"http://{endless}/hook"
    response = client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select 1 as a from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "notify": [{"url": url, "on": ["failed"], "secret": SECRET}],
    })  # fmt: skip
    assert response.status_code == 200, response.text
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
