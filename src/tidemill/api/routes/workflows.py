"""Workflow endpoints (spec §10)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, read_body
from tidemill.core.names import check_name
from tidemill.errors import Failure, TidemillError
from tidemill.services import workflows

router = APIRouter()
NAME = Failure.WF_NAME_INVALID


@router.post("/v2/workflows/{name}")
async def create(request: Request, name: str) -> Response:
    check_name(name, NAME, "workflow")
    return await answer(request, workflows.create, name, await read_body(request), write=True)


@router.put("/v2/workflows/{name}")
async def update(request: Request, name: str) -> Response:
    check_name(name, NAME, "workflow")
    return await answer(request, workflows.update, name, await read_body(request), write=True)


@router.get("/v2/workflows/{name}")
async def get(request: Request, name: str) -> Response:
    return await answer(request, workflows.get, name)


@router.get("/v2/workflows")
async def list_all(request: Request) -> Response:
    return await answer(request, workflows.list_all)  # a bare array (§10.3)


@router.delete("/v2/workflows/{name}")
async def delete(request: Request, name: str) -> Response:
    return await answer(request, workflows.delete, name, write=True)


@router.get("/v2/workflows/{name}/status")
async def status(request: Request, name: str) -> Response:
    return await answer(request, workflows.status, name)


# Start and stop ignore their body: the SDK sends {"name": ...}, Java an empty one (§10.6).
@router.post("/v2/workflows/{name}/start")
async def start(request: Request, name: str) -> Response:
    return await answer(request, workflows.start, name, write=True)


@router.post("/v2/workflows/{name}/stop")
async def stop(request: Request, name: str) -> Response:
    return await answer(request, workflows.stop, name, write=True)


@router.post("/v2/workflows/{name}/search")
async def search(name: str) -> Response:
    check_name(name, NAME, "workflow")
    raise TidemillError(Failure.NOT_IMPLEMENTED, "workflow search is not implemented by Tidemill")
