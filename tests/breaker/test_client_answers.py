"""A server (or a proxy in front of it) that answers 200 with a body that is not the API's JSON
gives the client's typed error, never a JSONDecodeError, AttributeError or pydantic's error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tidemill.client import AsyncClient, Client, TidemillClientError
from tidemill.client.errors import UnexpectedAnswer

BODIES = {
    "/v2/jobs": b"<html>maintenance</html>",  # a proxy's page
    "/v2/jobs/j": b"[1, 2]",  # JSON, not an object
    "/v2/datasources": b'{"datasources": 5}',  # a member of the wrong shape
    "/v2/jobs/j/exists": b"\xff\xfe",  # not even UTF-8
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = BODIES.get(self.path.split("?")[0], b"")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_200_that_is_not_the_apis_json_is_a_typed_error(endpoint: str) -> None:
    with Client(endpoint, "ak", "sk", timeout=5) as api:
        calls: dict[str, Callable[[], object]] = {
            "list_jobs": api.list_jobs,
            "get_job": lambda: api.get_job("j"),
            "list_datasources": api.list_datasources,
            "job_exists": lambda: api.job_exists("j"),
        }
        for name, call in calls.items():
            with pytest.raises(UnexpectedAnswer) as raised:
                call()
            assert isinstance(raised.value, TidemillClientError), name
            assert "200" in str(raised.value) and "GET" in str(raised.value), (name, raised.value)


def test_the_async_client_too(endpoint: str) -> None:
    async def main() -> None:
        async with AsyncClient(endpoint, "ak", "sk", timeout=5) as api:
            with pytest.raises(UnexpectedAnswer):
                await api.list_jobs()

    asyncio.run(main())
