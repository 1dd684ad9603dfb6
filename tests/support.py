"""Test helpers: a client that signs every request like the Go SDK does."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from tidemill.clock import Clock
from tidemill.core.signing import SignedRequest, candidates, sign

AK = "ak_test_0123456789"
SK = "sk_test_abcdefghijklmnopqrstuvwxyz"


def authorization(
    method: str, path: str, headers: dict[str, str], ak: str = AK, sk: str = SK
) -> str:
    request = SignedRequest(method, path, [], {k.lower(): v for k, v in headers.items()})
    return f"Pandora {ak}:{sign(sk, candidates(request)[0])}"


class Client:
    """Signed JSON requests against the real app."""

    def __init__(
        self, test_client: TestClient, ak: str = AK, sk: str = SK, clock: Clock | None = None
    ) -> None:
        self.http = test_client
        self.ak = ak
        self.sk = sk
        self.clock = clock  # the server's, when it is not the system clock: Date must agree

    def as_account(self, ak: str, sk: str) -> Client:
        return Client(self.http, ak, sk, self.clock)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        moment = self.clock.now().timestamp() if self.clock else None
        sent = {"Date": formatdate(moment, usegmt=True)}
        content = raw
        if body is not None:
            content = json.dumps(body).encode()
        if content is not None and content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        # Like the Go SDK: sign the decoded path, without the query.
        signed_path = unquote(path.split("?")[0])
        sent["Authorization"] = authorization(method, signed_path, sent, self.ak, self.sk)
        return self.http.request(method, path, content=content, headers=sent, params=params)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def error_code(response: httpx.Response) -> str:
    """The Pandora code of an error response, as the Go SDK extracts it (§1.5)."""
    message = str(response.json()["error"])
    return message[:6].split(":")[0]


def assert_ok_empty(response: httpx.Response) -> None:
    """200 with the empty body of a call that returns no data (spec §1.5)."""
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]


def assert_ok_json(response: httpx.Response) -> Any:
    """200 with a JSON body; the body."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]
    return response.json()


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the status and the error code; the error body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reqid"]
    assert error_code(response) == code, response.text
    body: dict[str, Any] = response.json()
    return body


FINAL = frozenset({"Successful", "Failed", "Canceled"})


def wait_for(
    client: Client, job: str, statuses: Collection[str] = FINAL, timeout: float = 30.0
) -> dict[str, Any]:
    """The newest batch of `job` once its status is one of `statuses`; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v2/jobs/{job}/history", params={"runId": "-1"})
        history = response.json().get("history") or []
        if history and history[0]["status"] in statuses:
            entry: dict[str, Any] = history[0]
            return entry
        if time.monotonic() > deadline:
            pytest.fail(f"{job} never reached {statuses}: {response.text}")
        time.sleep(0.05)
