"""Request-scoped values the routes need: the runtime, the caller's account, the raw body."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from tidemill.api.wire import parse_body
from tidemill.errors import Failure, InvalidInputError
from tidemill.runtime import Runtime


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _account(request: Request) -> int:
    return int(request.state.account_id)


async def _reqid(request: Request) -> str:
    return str(request.state.reqid)


async def _raw_body(request: Request) -> bytes:
    """The body, refused past the size limit without reading it all (REQ_TOO_LARGE)."""
    limit = request.app.state.runtime.settings.api.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidInputError(Failure.REQ_BAD_LENGTH, "Content-Length is not a number")
        if int(declared) > limit:
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
    return b"".join(chunks)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
AccountDep = Annotated[int, Depends(_account)]
ReqIdDep = Annotated[str, Depends(_reqid)]
BodyDep = Annotated[bytes, Depends(_raw_body)]


def body_of(raw: bytes, *, required: bool = True) -> dict[str, Any]:
    return parse_body(raw, required=required)
