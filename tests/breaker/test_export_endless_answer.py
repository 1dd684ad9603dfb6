"""An http export's receiver is the tenant's choice, so a hostile one: answering 200 with a
body that never ends, as fast as loopback carries it. The exporter read every answer whole
(`client.post`), so the worker's memory grew at gigabytes a second until the kernel killed it
— a "worker died" failure that retries run again. An answer is now read to at most
`exporters._http.MAX_ANSWER_BYTES`, and a longer one is the attempt's failure."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tidemill.errors import BackendError
from tidemill.exporters import _http
from tidemill.exporters.base import HttpOptions
from tidemill.exporters.outbound import open_client


class _Endless:
    def __init__(self) -> None:
        self.sent = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()

    def serve(self) -> None:
        self.server.settimeout(0.2)
        block = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
        while not self.stop.is_set():
            try:
                peer, _ = self.server.accept()
            except TimeoutError:
                continue
            peer.recv(65536)
            try:
                peer.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                while not self.stop.is_set() and self.sent < 1 << 30:  # 1 GiB at most
                    peer.sendall(block)
                    self.sent += len(block)
            except OSError:
                pass  # the client hung up
            peer.close()


@pytest.fixture
def endless() -> Iterator[_Endless]:
    receiver = _Endless()
    thread = threading.Thread(target=receiver.serve, daemon=True)
    thread.start()
    yield receiver
    receiver.stop.set()
    thread.join(5)
    receiver.server.close()


def test_an_endless_answer_is_not_read_into_memory(endless: _Endless) -> None:
    options = HttpOptions(timeout=5.0, retries=1, backoff=0.01)
    url = f"http://127.0.0.1:{endless.server.getsockname()[1]}/in"
    failures: list[BaseException] = []

    def send() -> None:
        with open_client(options.policy, options.timeout) as client:
            try:
                _http.post(client, url, b"row", {}, options, what="to accept chunk 0")
            except BaseException as exc:  # what the exporter would raise
                failures.append(exc)

    sending = threading.Thread(target=send, daemon=True)
    sending.start()
    sending.join(60)

    assert not sending.is_alive(), f"still reading the answer ({endless.sent} bytes so far)"
    assert endless.sent < 2 * (_http.MAX_ANSWER_BYTES + (4 << 20)), endless.sent
    [failure] = failures
    assert isinstance(failure, BackendError), failure
    assert "answer is larger than" in failure.message and "2 times" in failure.message
