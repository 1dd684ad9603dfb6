"""The served protocol (api/http_protocol.py): what one loop turn writes leaves in one write,
nothing is lost or reordered, and a close or end of file sends what is held first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn

from tidemill.api.http_protocol import CorkedHttpToolsProtocol, CorkedTransport


class Recorded(asyncio.Transport):
    """A transport that keeps what it is given (asyncio's interface, not our code)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def write_eof(self) -> None:
        self.events.append("eof")

    def get_write_buffer_size(self) -> int:
        return 0


def test_one_turn_of_writes_leaves_as_one_write_in_order() -> None:
    async def run() -> Recorded:
        real = Recorded()
        corked = CorkedTransport(real, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 200 OK\r\n\r\n")
        corked.write(b"")
        corked.write(bytearray(b'{"a":1}'))
        assert real.writes == []
        assert corked.get_write_buffer_size() == 26
        await asyncio.sleep(0)
        corked.write(b"next")
        await asyncio.sleep(0)
        return real

    real = asyncio.run(run())
    assert real.writes == [b'HTTP/1.1 200 OK\r\n\r\n{"a":1}', b"next"]


@pytest.mark.parametrize("end", ["close", "write_eof"])
def test_a_close_or_end_of_file_sends_what_is_held_first(end: str) -> None:
    async def run() -> Recorded:
        real = Recorded()
        corked = CorkedTransport(real, asyncio.get_running_loop())
        corked.write(b"last words")
        getattr(corked, end)()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return real

    real = asyncio.run(run())
    assert real.writes == [b"last words"]
    assert real.events == ["close" if end == "close" else "eof"]


def test_an_abort_drops_what_is_held() -> None:
    async def run() -> Recorded:
        real = Recorded()
        real.abort = lambda: real.events.append("abort")  # type: ignore[method-assign]
        corked = CorkedTransport(real, asyncio.get_running_loop())
        corked.write(b"never sent")
        corked.abort()
        await asyncio.sleep(0)
        return real

    real = asyncio.run(run())
    assert real.writes == []
    assert real.events == ["abort"]


def test_uvicorn_serves_keep_alive_requests_through_the_corked_protocol() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = scope["path"].encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def run() -> list[bytes]:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, http=CorkedHttpToolsProtocol, log_level="warning",
            lifespan="off",
        )  # fmt: skip
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for path in ("/first", "/second"):
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(head.split(b"\r\n")[0] + b" " + await reader.readexactly(length))
        writer.close()
        server.should_exit = True
        await serving
        return answers

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK /first", b"HTTP/1.1 200 OK /second"]
