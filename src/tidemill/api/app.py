"""create_app(settings) -> the FastAPI application serving the Pandora batch API v2."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import cast

from fastapi import FastAPI
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from tidemill.api.answers import AnswerCache
from tidemill.api.dispatch import DirectRoutes, ExceptionHandler
from tidemill.api.edge import Edge
from tidemill.api.errors import install_error_handlers, on_unexpected
from tidemill.api.routes import (
    backfills,
    batch_log,
    batches,
    console,
    datasources,
    jobs,
    render,
    variables,
    workflows,
)
from tidemill.config import Settings
from tidemill.runner.runner import Runner
from tidemill.runner.scheduler import Scheduler
from tidemill.runtime import Runtime, build_runtime
from tidemill.services.notify import Notifier
from tidemill.store.checkpoints import Checkpointer
from tidemill.store.data_version import DataVersion


def create_app(
    settings: Settings, runtime: Runtime | None = None, *, warm_workers: bool = False
) -> FastAPI:
    """The app; `runtime` lets tests inject one (e.g. with a FixedClock).

    `warm_workers` starts the worker processes at start-up (in the background) so that the
    first batches do not wait for them; tests leave it off and start workers on demand.
    """
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        checkpointer = Checkpointer.of(runtime.db)  # the WAL's, off the paths' commits
        if checkpointer is not None:
            checkpointer.start()
        runner = Runner(runtime) if runtime.settings.runner.enabled else None
        if runner is not None:
            runner.start()
            runtime.runner = runner
        if warm_workers and runner is not None:
            threading.Thread(target=runner.warm, name="tidemill-warm", daemon=True).start()
        notifier = Notifier(runtime) if runner is not None else None  # issue 14 alerts
        if notifier is not None:
            app.state.notifier = notifier
            notifier.start()
        scheduler = Scheduler(runtime) if runtime.settings.scheduler.enabled else None
        if scheduler is not None:
            runtime.scheduler = scheduler
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.close()
                runtime.scheduler = None
            if notifier is not None:
                notifier.close()
            runtime.runner = None
            if runner is not None:
                runner.close()
            answers.close()
            if checkpointer is not None:
                checkpointer.close()
            runtime.close()

    app = TidemillAPI(
        title="Tidemill",
        summary="Batch SQL computation, wire-compatible with the Pandora batch API v2",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,  # a trailing '/' is not part of any route (§1.4 item 7)
    )
    app.state.runtime = runtime
    # GET answers kept while the database is unchanged (api/answers.py; SQLite only).
    answers = AnswerCache(lambda: DataVersion.of(runtime.db))
    app.state.answers = answers
    app.state.sdk_codes = settings.error_codes == "sdk"
    modules = (
        datasources,
        jobs,
        batches,
        variables,
        workflows,
        batch_log,
        backfills,
        render,
        console,
    )
    for module in modules:
        app.include_router(module.router)
    install_error_handlers(app)
    routes = [route for module in modules for route in module.router.routes]
    app.state.api_routes = routes  # what api.openapi must describe (tests/ops/test_openapi.py)
    return app


class TidemillAPI(FastAPI):
    """FastAPI with `api.edge.Edge` as its only middleware, in place of the stack FastAPI
    builds (server errors, telemetry, body limit, then any added middleware): the edge does
    what of it the API needs, once (docs/performance.md)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # An HTTP request goes straight to the edge: FastAPI's own __call__ first asks
        # OpenTelemetry, on every request, whether a tracer is configured (none is).
        if scope["type"] != "http" or self.root_path:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        # Built at the first request, once every route and handler is in place.
        handlers = dict(self.exception_handlers)
        inner: ASGIApp = ExceptionMiddleware(
            AsyncExitStackMiddleware(self.router),
            handlers={k: v for k, v in handlers.items() if k not in (500, Exception)},
            debug=self.debug,
        )
        for cls, args, kwargs in reversed(self.user_middleware):  # none in the API itself
            inner = cls(inner, *args, **kwargs)
        unexpected = cast(ExceptionHandler, handlers.get(Exception) or on_unexpected)
        routes: list[BaseRoute] = self.state.api_routes
        # Added middleware must see every request: then nothing is called directly.
        direct = DirectRoutes([] if self.user_middleware else routes, handlers)
        answers: AnswerCache = self.state.answers
        return Edge(
            inner, self.state.runtime, routes, direct, unexpected, answers.version, answers.reader
        )
