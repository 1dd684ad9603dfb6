"""Variable endpoints (spec §9)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, read_body
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import variables

router = APIRouter()
NAME = Failure.VAR_NAME_INVALID


@router.post("/v2/variables/{name}")
async def create(request: Request, name: str) -> Response:
    check_name(name, NAME, "variable")
    return await answer(request, variables.create, name, await read_body(request), write=True)


@router.put("/v2/variables/{name}")
async def update(request: Request, name: str) -> Response:
    check_name(name, NAME, "variable")
    return await answer(request, variables.update, name, await read_body(request), write=True)


@router.get("/v2/variables/{name}")
async def get(request: Request, name: str) -> Response:
    return await answer(request, variables.get, name)


@router.get("/v2/variables")
async def list_all(request: Request) -> Response:
    return await answer(request, variables.list_all, request.query_params.get("type"))


@router.delete("/v2/variables/{name}")
async def delete(request: Request, name: str) -> Response:
    # The SDK sends {"name": ...} on DELETE; the body is ignored (§1.4 item 2).
    return await answer(request, variables.delete, name, write=True)
