"""A real HTTP server in a thread that records what it receives (http export tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with 503 first
    always_fail: bool = False
    hold: threading.Event | None = None  # when given, answer only once it is set
    arrived: threading.Event = field(default_factory=threading.Event)  # a request came

    @property
    def accepted(self) -> list[Received]:
        return [r for r in self.requests if r.headers.get("x-accepted") == "yes"]


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.arrived.set()
            if receiver.hold is not None:
                receiver.hold.wait(30)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                failing = receiver.always_fail or receiver.fail_next > 0
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                headers["x-accepted"] = "no" if failing else "yes"
                receiver.requests.append(Received(self.path, headers, body))
            self.send_response(503 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
