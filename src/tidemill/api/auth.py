"""The request edge: a request id on every response, then Pandora authentication (§2).

Authentication runs before routing, as the spec's check order demands (auth, then route).
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidemill.api.errors import render
from tidemill.api.wire import JSON_TYPE, new_reqid
from tidemill.core.signing import SignedRequest, parse_authorization, verify
from tidemill.errors import AuthError, Failure
from tidemill.runtime import Runtime
from tidemill.services import accounts
from tidemill.store.accounts import KeyPair

_NO_SECRET = secrets.token_urlsafe(32)


def is_open(path: str) -> bool:
    """Paths answered without a signature: the web console's static files (issue 15)."""
    return path == "/console" or path.startswith("/console/")


class KeyCache:
    """Access keys by AK. Keys are only ever added (by the CLI), so hits never go stale."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._keys: dict[str, KeyPair] = {}

    async def get(self, access_key: str) -> KeyPair | None:
        found = self._keys.get(access_key)
        if found is None:
            found = await run_in_threadpool(accounts.find_key, self._runtime, access_key)
            if found is not None:
                self._keys[access_key] = found
        return found


class PandoraEdge:
    """Pure ASGI middleware: X-Reqid and exact Content-Type on every response, then auth."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.keys = KeyCache(runtime)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reqid = new_reqid()
        state = scope.setdefault("state", {})
        state["reqid"] = reqid

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Reqid"] = reqid
                # The Go SDK compares Content-Type by string equality: no charset parameter.
                current = headers.get("content-type", JSON_TYPE)
                if current.startswith(JSON_TYPE):
                    headers["Content-Type"] = JSON_TYPE
            await send(message)

        if is_open(scope["path"]):
            await self.app(scope, receive, send_with_headers)
            return
        try:
            state["account_id"] = await self._authenticate(scope)
        except AuthError as exc:
            await render(Failure.AUTH, exc.message, reqid)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _authenticate(self, scope: Scope) -> int:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            headers.setdefault(raw_name.decode("latin-1").lower(), raw_value.decode("latin-1"))
        credentials = parse_authorization(headers.get("authorization", ""))
        pair = await self.keys.get(credentials.access_key)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        request = SignedRequest(scope["method"], scope["path"], query, headers)
        settings = self.runtime.settings.api
        # An unknown access key is checked against a secret no client holds, so it fails the
        # same checks, in the same order and with the same text, as a known key with a bad
        # signature: the answer never tells which access keys exist (issue 9, kind 10).
        verify(
            credentials,
            _NO_SECRET if pair is None else pair.secret_key,
            request,
            self.runtime.clock.now(),
            settings.date_skew_seconds,
        )
        if pair is None:  # a signature matched the random secret: never in practice
            raise AuthError("bad token: signature mismatch")
        return pair.account_id
