"""The outermost edge: unsigned operator endpoints, and the latency of every request.

`OpsEdge` answers `GET` on the paths of `routes.ops.UNSIGNED` itself, before Pandora
authentication (they carry no signature; other methods get 405); every other request goes on
to the API and its latency is recorded by route template (`/v2/jobs/{name}`, never the raw
path: no job names in labels), method (`other` for a method the API has none of) and
status; a request no route matches is `<unmatched>`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidemill.api.errors import render
from tidemill.api.routes.ops import UNSIGNED
from tidemill.api.wire import new_reqid
from tidemill.errors import Failure
from tidemill.runtime import Runtime

UNMATCHED = "<unmatched>"
# The methods named in labels; any other token (h11 accepts every one) is `other`, so made-up
# methods cannot add a series each to the registry.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
OTHER_METHOD = "other"


class OpsEdge:
    def __init__(self, app: ASGIApp, runtime: Runtime, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.runtime = runtime
        self.routes = tuple(routes)  # the API's, as its routers list them

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = UNSIGNED.get(scope["path"])
        if handler is not None:
            if scope["method"] == "GET":
                response = await handler(self.runtime)
            else:
                response = render(Failure.METHOD_NOT_ALLOWED, "method not allowed", new_reqid())
                response.headers["Allow"] = "GET"
            await response(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else OTHER_METHOD
            self.runtime.metrics.request(method, self.template(scope), status, seconds)

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
