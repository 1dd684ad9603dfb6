"""Unsigned operator endpoints (issue 15, items 4 and 5), served by `api.edge.Edge`
ahead of Pandora authentication:

* `GET /healthz`: 200 `{"status": "ok"}` while the process serves requests.
* `GET /readyz`: 200 `{"status": "ready", "checks": {...}}` when the metadata store answers and
  the runner and scheduler threads run (or are disabled by settings); else 503 with
  `{"status": "not ready", "checks": {name: "ok" | what is wrong}}`.
* `GET /metrics`: Prometheus' text format (observability.metrics) and the gauges read now.
* `GET /openapi.json`: the OpenAPI 3.1 document of the API (api.openapi).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import cache

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tidemill.api.openapi import document
from tidemill.observability.metrics import CONTENT_TYPE
from tidemill.runtime import Runtime
from tidemill.store import batches

JSON_TYPE = "application/json"
Handler = Callable[[Runtime], Awaitable[Response]]


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body).encode(), status, media_type=JSON_TYPE)


async def healthz(runtime: Runtime) -> Response:
    return _json({"status": "ok"})


def _store_check(runtime: Runtime) -> str:
    try:
        with runtime.db.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return f"the metadata store does not answer ({type(exc).__name__})"
    return "ok"


def _thread_check(part: object, enabled: bool, name: str) -> str:
    if not enabled:
        return "ok"  # disabled by settings: other nodes do this part
    if part is None or not getattr(part, "alive", False):
        return f"the {name} is not running"
    return "ok"


async def readyz(runtime: Runtime) -> Response:
    settings = runtime.settings
    checks = {
        "store": await run_in_threadpool(_store_check, runtime),
        "runner": _thread_check(runtime.runner, settings.runner.enabled, "runner"),
        "scheduler": _thread_check(runtime.scheduler, settings.scheduler.enabled, "scheduler"),
    }
    ready = all(value == "ok" for value in checks.values())
    return _json(
        {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


def _gauges(runtime: Runtime) -> dict[str, tuple[str, float]]:
    slots = getattr(runtime.runner, "slots", ())
    gauges = {
        "tidemill_batches_running": (
            "Batches this process's runner executes now",
            float(sum(1 for slot in slots if slot.current is not None)),
        ),
        "tidemill_runner_slots": ("Worker slots of this process's runner", float(len(slots))),
    }
    try:
        with runtime.db.connect() as conn:
            depth = batches.count_waiting(conn)
    except sa.exc.SQLAlchemyError:
        return gauges  # the store is down: /readyz says so; the other metrics still serve
    gauges["tidemill_batch_queue_depth"] = (
        "Batches of every account waiting for a runner (Ready, Restarting)",
        float(depth),
    )
    return gauges


async def metrics(runtime: Runtime) -> Response:
    gauges = await run_in_threadpool(_gauges, runtime)
    return Response(runtime.metrics.exposition(gauges), 200, media_type=CONTENT_TYPE)


@cache
def _openapi_body() -> bytes:
    return json.dumps(document(), ensure_ascii=False).encode()


async def openapi(runtime: Runtime) -> Response:
    return Response(_openapi_body(), 200, media_type=JSON_TYPE)


UNSIGNED: dict[str, Handler] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
    "/openapi.json": openapi,
}
