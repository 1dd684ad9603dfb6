"""Datasource endpoints (spec §4)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, read_body
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import datasources

router = APIRouter()
NAME = Failure.DS_NAME_INVALID


@router.post("/v2/datasources/{name}")
async def create(request: Request, name: str) -> Response:
    check_name(name, NAME, "datasource")
    return await answer(request, datasources.create, name, await read_body(request), write=True)


@router.put("/v2/datasources/{name}")
async def update(request: Request, name: str) -> Response:
    check_name(name, NAME, "datasource")
    return await answer(request, datasources.update, name, await read_body(request), write=True)


@router.get("/v2/datasources/{name}")
async def get(request: Request, name: str) -> Response:
    return await answer(request, datasources.get, name)


@router.get("/v2/datasources")
async def list_all(request: Request) -> Response:
    return await answer(request, datasources.list_all)


@router.delete("/v2/datasources/{name}")
async def delete(request: Request, name: str) -> Response:
    return await answer(request, datasources.delete, name, write=True)


@router.get("/v2/datasources/{name}/exists")
async def exists(request: Request, name: str) -> Response:
    return await answer(request, datasources.exists, name)
