"""Hostile alert receivers for the breaker's notify tests: a loopback TCP server whose
connections a test's `handle` treats as it likes, and the job whose alerts go to it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tests.api.test_batches import make_datasource, write_lines
from tests.support import Client
from tidemill.config import Settings

SECRET = "s" * 16

Handle = Callable[[socket.socket, threading.Event], None]


@contextmanager
def receiver(handle: Handle) -> Iterator[str]:
    """host:port of a server calling `handle(peer, stop)` for each connection, one at a time,
    until the block ends (`stop` is set then: a handle that waits should watch it)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except TimeoutError:
                continue
            handle(peer, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        server.close()


def alerting_job(client: Client, settings: Settings, url: str) -> None:
    """The manual job `j` over one line of `logs`, alerting `url` when it fails."""
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    response = client.post("/v2/jobs/j", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select 1 as a from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "notify": [{"url": url, "on": ["failed"], "secret": SECRET}],
    })  # fmt: skip
    assert response.status_code == 200, response.text
