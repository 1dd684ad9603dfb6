"""A TCP proxy in front of a real server that forwards what clients send at a fixed rate: a
slow link to a real S3 endpoint, so an upload takes seconds without any code of ours changed."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

CHUNK = 16 * 1024


class Throttle:
    """Listens on 127.0.0.1 (`endpoint`); each connection is forwarded to `upstream`
    (http://host:port), the client's bytes at `rate` bytes/s, the answers at full speed.
    `sent`: client bytes forwarded so far, all connections together."""

    def __init__(self, upstream: str, rate: int) -> None:
        parts = urlsplit(upstream)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rate = rate
        self.sent = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closed = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, slow: bool) -> None:
        with suppress(OSError):
            while data := src.recv(CHUNK):
                if slow:
                    time.sleep(len(data) / self.rate)
                    with self._lock:
                        self.sent += len(data)
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()


class UploadListingProxy(Throttle):
    """Forwards everything byte for byte at full speed except ListMultipartUploads requests
    (`GET /<bucket>?uploads...`), each handed to `on_listing` with the client's socket instead
    (by default: never answered); `listings` counts them."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, rate=1 << 40)
        self.listings = 0

    def on_listing(self, client: socket.socket) -> None:
        """What the client gets for a listing: nothing, unless a subclass answers."""

    def _pump(self, src: socket.socket, dst: socket.socket, slow: bool) -> None:
        if not slow:  # the server's answers
            super()._pump(src, dst, slow)
            return
        with suppress(OSError):
            while data := src.recv(1 << 20):
                line = data.split(b"\r\n", 1)[0]
                if line.startswith(b"GET ") and b"?uploads" in line:
                    self.listings += 1
                    self.on_listing(src)
                    continue
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@contextmanager
def throttled(upstream: str, rate: int) -> Iterator[Throttle]:
    proxy = Throttle(upstream, rate)
    try:
        yield proxy
    finally:
        proxy.close()
