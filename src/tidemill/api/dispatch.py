"""The API's routes called directly, without FastAPI's per-request machinery.

Every API endpoint is `async def endpoint(request: Request, <path parameters: str>) ->
Response`: FastAPI adds nothing to such a call but its cost (dependency solving, a context
stack, a handler wrapper per route; about a fifth of a `GET /v2/jobs/<name>`,
docs/performance.md). `DirectRoutes` matches the request against the API's routes in their
order, as the router does (the first full match wins), and calls the endpoint; an exception is
answered by the application's handler for its class (`api.errors`), looked up along the
class's MRO as Starlette's ExceptionMiddleware does. Anything else goes to the application
unchanged: no full match (its 404 or 405), a route of another shape, a route added later.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from starlette.convertors import StringConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]
Endpoint = Callable[..., Awaitable[Response]]


def _direct_call(route: BaseRoute) -> tuple[Endpoint, str] | None:
    """(endpoint, name of its Request parameter) when the route's endpoint takes just the
    request and its path parameters, as text; else None (the application calls it)."""
    if not isinstance(route, Route) or not inspect.iscoroutinefunction(route.endpoint):
        return None
    try:
        hints = inspect.get_annotations(route.endpoint, eval_str=True)
    except NameError:
        return None
    request_names = [name for name, hint in hints.items() if hint is Request]
    texts = {name for name, hint in hints.items() if hint is str}
    parameters = set(inspect.signature(route.endpoint).parameters)
    path_names = set(route.param_convertors)
    convertors_text = all(type(c) is StringConvertor for c in route.param_convertors.values())
    if (
        len(request_names) != 1
        or parameters != {request_names[0], *path_names}
        or texts != path_names
        or not convertors_text
    ):
        return None
    return route.endpoint, request_names[0]


def _literal_prefix(route: BaseRoute) -> str:
    """The text every path the route matches begins with: its path up to the first
    parameter ('' when it has no path, e.g. a mount)."""
    path = getattr(route, "path", None)
    return path.split("{", 1)[0] if isinstance(path, str) else ""


class DirectRoutes:
    """`routes` in the router's order; `handlers` the application's exception handlers (by
    exception class or HTTP status; the one for Exception or 500 is the edge's, not used here)."""

    def __init__(self, routes: Sequence[BaseRoute], handlers: Mapping[Any, Any]) -> None:
        self.handlers: dict[type[BaseException], ExceptionHandler] = {
            key: handler
            for key, handler in handlers.items()
            if isinstance(key, type) and key is not Exception
        }
        self.status_handlers: dict[int, ExceptionHandler] = {
            key: handler for key, handler in handlers.items() if isinstance(key, int) and key != 500
        }
        self._by_method: dict[str, list[tuple[str, BaseRoute, tuple[Endpoint, str] | None]]] = {}
        for route in routes:
            call = _direct_call(route)
            prefix = _literal_prefix(route)
            for method in getattr(route, "methods", None) or ():
                self._by_method.setdefault(method, []).append((prefix, route, call))

    async def dispatch(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
        """Answer the request from its route's endpoint, or let `app` answer it."""
        # A route whose path begins with text the request's does not cannot match it: skip its
        # regular expression (the router matches against the path less root_path: only then).
        path = None if scope.get("root_path") else scope["path"]
        for prefix, route, call in self._by_method.get(scope["method"], ()):
            if path is not None and not path.startswith(prefix):
                continue
            match, child = route.matches(scope)
            if match is not Match.FULL:
                continue  # a route of another method is never a full match: none listed here
            if call is None:
                break
            scope.update(child)
            endpoint, request_name = call
            request = Request(scope, receive, send)
            try:
                response = await endpoint(**{request_name: request}, **child["path_params"])
            except Exception as exc:
                handler = self._handler(exc)
                if handler is None:
                    raise
                response = await handler(request, exc)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    def _handler(self, exc: Exception) -> ExceptionHandler | None:
        if isinstance(exc, HTTPException) and exc.status_code in self.status_handlers:
            return self.status_handlers[exc.status_code]
        for cls in type(exc).__mro__:
            found = self.handlers.get(cls)
            if found is not None:
                return found
        return None
