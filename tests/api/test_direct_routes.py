"""The API's routes called directly (api/dispatch.py) answer exactly as FastAPI's router
did: the same requests, in the same order, against an app that calls them directly and one
that routes everything through FastAPI (any added middleware turns direct calls off), give
the same statuses, bodies and headers (but the request id)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import make_settings
from tests.support import Client
from tidemill.api.app import create_app
from tidemill.api.dispatch import _direct_call
from tidemill.clock import FixedClock
from tidemill.runtime import build_runtime

NOW = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # one clock for both apps: same fire times
DS = {
    "region": "nb", "type": "kodo", "noVerifySchema": True,
    "spec": {"bucket": "bkt1", "keyPrefixes": ["data/"], "fileType": "json"},
    "schema": [{"key": "n", "valtype": "long"}],
}  # fmt: skip
JOB = {
    "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}],
    "computation": {"type": "sql", "code": "select n from t"},
    "container": {"type": "1U2G", "count": 1},
    "scheduler": {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}},
}  # fmt: skip
# (method, path, body): reads, writes, and what the router refuses.
STEPS: list[tuple[str, str, Any]] = [
    ("GET", "/v2/jobs/j", None),  # no such job
    ("POST", "/v2/datasources/ds", DS),
    ("POST", "/v2/jobs/j", JOB),
    ("POST", "/v2/jobs/j", JOB),  # exists
    ("GET", "/v2/jobs/j", None),
    ("GET", "/v2/jobs/j/exists", None),
    ("GET", "/v2/jobs", None),
    ("POST", "/v2/jobs/j/actions/start", {}),
    ("GET", "/v2/jobs/j", None),  # nextFireTimes
    ("POST", "/v2/jobs/j/actions/stop", {}),
    ("GET", "/v2/jobs/j", None),
    ("PUT", "/v2/jobs/j", {**JOB, "scheduler": {"type": "manual"}}),
    ("GET", "/v2/jobs/j", None),
    ("GET", "/v2/jobs/j/history", None),
    ("GET", "/v2/jobs/bad%20name", None),
    ("POST", "/v2/jobs/bad%20name", JOB),
    ("PATCH", "/v2/jobs/j", None),  # 405
    ("HEAD", "/v2/jobs/j", None),  # 405
    ("GET", "/v2/jobs/j/", None),  # trailing slash: no route
    ("GET", "/v2/nothing", None),
    ("POST", "/v2/jobs/j", {"srcs": "nope"}),
    ("POST", "/v2/jobs/k", None),  # empty body
    ("POST", "/v2/workflows/w/search", None),  # a route of another shape: FastAPI's
    ("DELETE", "/v2/jobs/j", None),
    ("GET", "/v2/jobs/j", None),
    ("GET", "/console/", None),  # unsigned
]


class PassThrough:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def answers(tmp_path: Path, *, direct: bool) -> list[tuple[int, bytes, list[tuple[str, str]]]]:
    settings = make_settings(tmp_path)
    runtime = build_runtime(settings, FixedClock(NOW))
    (settings.data_dir / "kodo" / settings.account / "bkt1").mkdir(parents=True)
    app = create_app(settings, runtime)
    if not direct:
        app.add_middleware(PassThrough)
    seen = []
    with TestClient(app, raise_server_exceptions=False) as http:
        client = Client(http, clock=FixedClock(NOW))
        for method, path, body in STEPS:
            response: httpx.Response = client.request(method, path, body)
            headers = [(k, v) for k, v in response.headers.items() if k != "x-reqid"]
            assert "x-reqid" in response.headers
            seen.append((response.status_code, response.content, headers))
    return seen


def test_direct_calls_answer_as_the_router_did(tmp_path: Path) -> None:
    direct = answers(tmp_path / "direct", direct=True)
    routed = answers(tmp_path / "routed", direct=False)
    for step, mine, theirs in zip(STEPS, direct, routed, strict=True):
        assert mine == theirs, step
    statuses = {status for status, _, _ in direct}
    assert {200, 400, 404, 405, 409} <= statuses


def test_every_signed_api_route_but_one_is_called_directly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, build_runtime(settings))
    routed = [r.path for r in app.state.api_routes if _direct_call(r) is None]
    # The console's files and workflow search take no request: FastAPI calls them.
    assert routed == ["/v2/workflows/{name}/search", "/console/", "/console", "/console/{name}"]
