"""What every route does around its one service call: read the body, run, answer.

Routes are `async def` and call the synchronous services through `answer`. Reads against
SQLite run inline on the event loop (they take ~0.1 ms of CPU and a thread hop would cost more
than the query, measured in docs/decisions.md); writes, and every call against a networked
database, run in the threadpool so the loop never waits on I/O or on DuckDB planning.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tidemill.api.answers import AnswerCache
from tidemill.api.auth import DATA_VERSION
from tidemill.api.wire import (
    empty_response,
    encode_json,
    json_body_response,
    json_response,
    parse_body,
)
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime


async def read_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The JSON object in the body; refused past the size limit without reading it all."""
    limit = request.app.state.runtime.settings.api.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise InvalidInputError(Failure.REQ_BAD_LENGTH, "Content-Length is not a number")
        if len(declared) > 19 or int(declared) > limit:
            raise InvalidInputError(
                Failure.REQ_TOO_LARGE, f"the body is larger than the {limit}-byte limit"
            )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise InvalidInputError(
                Failure.REQ_TOO_LARGE, f"the body is larger than the {limit}-byte limit"
            )
        chunks.append(chunk)
    depth = request.app.state.runtime.settings.api.max_json_depth
    return parse_body(b"".join(chunks), required=required, max_depth=depth)


async def answer(
    request: Request, service: Callable[..., Any], *args: Any, write: bool = False
) -> Response:
    """Run `service(runtime, account, *args)`; JSON of its result, or an empty 200 for None."""
    runtime: Runtime = request.app.state.runtime
    account = int(request.state.account_id)
    if write:
        result = await run_in_threadpool(_write, service, runtime, account, *args)
    elif not runtime.inline_reads:
        result = await run_in_threadpool(service, runtime, account, *args)
    else:
        result = service(runtime, account, *args)
    reqid = str(request.state.reqid)
    return empty_response(reqid) if result is None else json_response(result, reqid)


async def cached_answer(request: Request, service: Callable[..., Any], name: str) -> Response:
    """`answer` for a read whose result depends on stored rows only: its encoded body is kept
    in the application's `AnswerCache` by (service, account, name) while the database is
    unchanged (api/answers.py), on an embedded SQLite; elsewhere it is `answer`."""
    runtime: Runtime = request.app.state.runtime
    if not runtime.inline_reads:
        return await answer(request, service, name)
    cache: AnswerCache = request.app.state.answers
    account = int(request.state.account_id)
    reqid = str(request.state.reqid)
    # Read by the authentication, before anything else the request read (api.auth).
    state = request.scope.get("state", {})
    version = state[DATA_VERSION] if DATA_VERSION in state else cache.version()
    key = (service, account, name)
    if version is not None:
        body = cache.get(version, key)
        if body is not None:
            return json_body_response(body, reqid)
    result = service(runtime, account, name)
    body = encode_json(result)
    if version is not None:
        cache.put(version, key, body)
    return json_body_response(body, reqid)


def _write(service: Callable[..., Any], runtime: Runtime, account: int, *args: Any) -> Any:
    """Run a writing service; again while a concurrent request wins a race to the same rows.

    Services check, then write, in one transaction. Two requests on one name at once (two
    creates, or a create and a delete) can both pass their checks, and the database then stops
    one of them: a unique or foreign key (IntegrityError), or a lock or serialization conflict
    (OperationalError). Running the loser again lets its checks see the winner and answer as
    they would have (409 exists, 404 not found). Each retry follows a committed winner, so a
    few attempts settle any burst; a persistent failure is a bug and surfaces as one.
    """
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return service(runtime, account, *args)
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
            if attempt == WRITE_ATTEMPTS - 1 or not _is_race(exc):
                raise
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
    raise AssertionError("unreachable")


WRITE_ATTEMPTS = 10
_RACE_WORDS = ("locked", "deadlock", "serializ", "could not obtain lock", "busy")


def _is_race(exc: sa.exc.DBAPIError) -> bool:
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    text = str(exc.orig).lower()
    return any(word in text for word in _RACE_WORDS)
