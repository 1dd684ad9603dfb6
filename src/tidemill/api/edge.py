"""The request edge: the one ASGI layer between the server and the API's routes.

In order, for every HTTP request:

1. `GET` on the paths of `routes.ops.UNSIGNED` is answered here, unsigned (other methods get
   405); nothing below runs for them and they are not in the latency metric.
2. A request id (X-Reqid) for the request; every response gets it and an exact
   `Content-Type: application/json` for JSON (the Go SDK compares it by string equality).
3. Pandora authentication (§2), before routing, as the spec's check order demands (auth, then
   route); the console's static files (`auth.is_open`) are not signed.
4. The route: `dispatch.DirectRoutes` calls the endpoint itself when the route is one of the
   API's; anything else (no route, a wrong method, a route added by a test) goes to the
   FastAPI application, which answers it as it always did.
5. An exception no handler took (a bug) becomes the 500 of `api.errors` when no response has
   started, and is raised again for the server to log, as Starlette's ServerErrorMiddleware did.
   A client gone before sending the body it announced (ClientDisconnect) is no bug: nobody is
   left to answer, nothing is logged, and the request is counted as CLIENT_GONE (499).
6. The latency of the request, by route template (`/v2/jobs/{name}`, never the raw path: no
   job names in labels), method (`other` for a method the API has none of) and status; a
   request no route matches is `<unmatched>`.

One layer instead of Starlette's and FastAPI's stack of five (server errors, telemetry, body
limit, ops edge, Pandora edge) and one `send` wrapper instead of four: docs/performance.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidemill.api.auth import Authenticator, is_open
from tidemill.api.dispatch import DirectRoutes, ExceptionHandler
from tidemill.api.errors import render
from tidemill.api.routes.ops import UNSIGNED
from tidemill.api.wire import JSON_TYPE, new_reqid
from tidemill.errors import AuthError, Failure
from tidemill.runtime import Runtime
from tidemill.store.data_version import DataVersion

UNMATCHED = "<unmatched>"
# The methods named in labels; any other token (h11 accepts every one) is `other`, so made-up
# methods cannot add a series each to the registry.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
OTHER_METHOD = "other"
CLIENT_GONE = 499  # the status counted for a client gone mid-request (nginx's "client closed")
_JSON = JSON_TYPE.encode()


class Edge:
    """`app` is the FastAPI application's inner stack (its exception handlers and router);
    `routes` the API's, as its routers list them; `on_unexpected` the handler of exceptions no
    other handler takes; `data_version` the metadata database's version (None when it cannot
    be watched), against which cached access keys are checked (api.auth.KeyCache), and
    `reader` its reader (None: there is none), on whose connection they are read."""

    def __init__(
        self,
        app: ASGIApp,
        runtime: Runtime,
        routes: Sequence[BaseRoute],
        direct: DirectRoutes,
        on_unexpected: ExceptionHandler,
        data_version: Callable[[], int | None] = lambda: None,
        reader: Callable[[], DataVersion | None] = lambda: None,
    ) -> None:
        self.app = app
        self.runtime = runtime
        self.routes = tuple(routes)
        self.direct = direct
        self.on_unexpected = on_unexpected
        self.auth = Authenticator(runtime, data_version, reader)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        handler = UNSIGNED.get(path)
        if handler is not None:
            if scope["method"] == "GET":
                response = await handler(self.runtime)
            else:
                response = render(Failure.METHOD_NOT_ALLOWED, "method not allowed", new_reqid())
                response.headers["Allow"] = "GET"
            await response(scope, receive, send)
            return
        started = time.perf_counter()
        reqid = new_reqid()
        state = scope.setdefault("state", {})
        state["reqid"] = reqid
        stamp = reqid.encode("latin-1")
        status = 0  # none sent yet

        async def send_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = _edge_headers(message.get("headers", ()), stamp)
            await send(message)

        try:
            if is_open(path):
                await self.app(scope, receive, send_edge)
            else:
                try:
                    state["account_id"] = await self.auth.account(scope)
                except AuthError as exc:
                    await render(Failure.AUTH, exc.message, reqid)(scope, receive, send_edge)
                else:
                    await self.direct.dispatch(scope, receive, send_edge, self.app)
        except ClientDisconnect:
            status = status or CLIENT_GONE
        except Exception as exc:
            # A bug: the same 500 answer (and log line) as before, then up to the server.
            response = await self.on_unexpected(Request(scope), exc)
            if not status:
                await response(scope, receive, send)
            raise
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            self.runtime.metrics.request(method, self.template(scope), status or 500, seconds)

    def template(self, scope: Scope) -> str:
        """The path template of the route `scope` is for (any method), else UNMATCHED: the
        route the router chose (it leaves it in the scope), else looked up here (a request
        refused before routing, e.g. unsigned)."""
        chosen = getattr(scope.get("route"), "path", None)
        if isinstance(chosen, str):
            return chosen
        partial = UNMATCHED
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", UNMATCHED))
            if match is Match.PARTIAL and partial == UNMATCHED:
                partial = str(getattr(route, "path", UNMATCHED))
        return partial


def _edge_headers(
    headers: Sequence[tuple[bytes, bytes]], reqid: bytes
) -> list[tuple[bytes, bytes]]:
    """`headers` with X-Reqid set to `reqid` (one, in place of any) and a JSON Content-Type made
    exact (`application/json`, no parameter), added when there is none."""
    out: list[tuple[bytes, bytes]] = []
    has_reqid = False
    content_type: bytes | None = None
    for name, value in headers:
        if name == b"x-reqid":  # ASGI header names are lower case
            if has_reqid:
                continue
            has_reqid = True
            value = reqid
        elif name == b"content-type":
            if content_type is None:
                content_type = value
                if value.startswith(_JSON):
                    value = _JSON
            elif content_type.startswith(_JSON):
                continue  # the exact one replaced them all
        out.append((name, value))
    if not has_reqid:
        out.append((b"x-reqid", reqid))
    if content_type is None:
        out.append((b"content-type", _JSON))
    return out
