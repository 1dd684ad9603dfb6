"""A client that closes its connection before sending the whole body it announced (a signed
POST with Content-Length 1000 and 7 bytes) was logged as a server bug: "unhandled error" with a
traceback from the API, then uvicorn's "Exception in ASGI application" with another, and the
request counted as a 500. Nothing went wrong on the server's side and nobody is left to answer:
the request is counted as 499 (client closed request), with no error logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from email.utils import formatdate
from typing import Any

import pytest

from tests.support import authorization
from tidemill.api.app import create_app
from tidemill.config import Settings
from tidemill.runtime import Runtime


def test_a_body_cut_short_by_the_client_is_no_server_error(
    settings: Settings, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, runtime)
    headers = {"Date": formatdate(usegmt=True), "Content-Type": "application/json"}
    headers["Authorization"] = authorization("POST", "/v2/jobs/j", headers)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v2/jobs/j", "raw_path": b"/v2/jobs/j", "query_string": b"",
        "root_path": "", "headers": [*raw, (b"content-length", b"1000")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }  # fmt: skip
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"a": 1', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.ERROR):
        asyncio.run(app(scope, receive, send))

    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    exposition = runtime.metrics.exposition().decode()
    assert 'route="/v2/jobs/{name}",status="499"' in exposition, exposition
    assert 'status="500"' not in exposition
