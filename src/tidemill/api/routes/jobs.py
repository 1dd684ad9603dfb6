"""Job endpoints (spec §6) and job export endpoints (§8.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, cached_answer, read_body
from tidemill.core.names import check_name
from tidemill.errors import Failure, InvalidInputError
from tidemill.services import exports, jobs

router = APIRouter()
JOB = Failure.JOB_NAME_INVALID


@router.post("/v2/jobs/{name}")
async def create(request: Request, name: str) -> Response:
    check_name(name, JOB, "job")
    return await answer(request, jobs.create, name, await read_body(request), write=True)


@router.put("/v2/jobs/{name}")
async def update(request: Request, name: str) -> Response:
    check_name(name, JOB, "job")
    return await answer(request, jobs.update, name, await read_body(request), write=True)


@router.get("/v2/jobs/{name}")
async def get(request: Request, name: str) -> Response:
    return await cached_answer(request, jobs.get, name)


@router.get("/v2/jobs")
async def list_all(request: Request) -> Response:
    query = request.query_params
    # O-3: the doc's note spells it srcDataSource; the SDK sends srcDatasource.
    src_datasource = query.get("srcDatasource", query.get("srcDataSource"))
    src_job = query.get("srcJob")
    if src_datasource is not None and src_job is not None:
        raise InvalidInputError(
            Failure.QUERY_INVALID, "srcDatasource and srcJob may not be given together"
        )
    return await answer(request, jobs.list_all, src_datasource, src_job)


@router.delete("/v2/jobs/{name}")
async def delete(request: Request, name: str) -> Response:
    return await answer(request, jobs.delete, name, write=True)


@router.get("/v2/jobs/{name}/exists")
async def exists(request: Request, name: str) -> Response:
    return await answer(request, jobs.exists, name)


def _names(job: str, export: str) -> None:
    check_name(job, JOB, "job")
    check_name(export, Failure.EXP_NAME_INVALID, "export")


@router.post("/v2/jobs/{job}/exports/{name}")
async def create_export(request: Request, job: str, name: str) -> Response:
    _names(job, name)
    body = await read_body(request)
    return await answer(request, exports.create, job, name, body, write=True)


@router.put("/v2/jobs/{job}/exports/{name}")
async def update_export(request: Request, job: str, name: str) -> Response:
    _names(job, name)
    body = await read_body(request)
    return await answer(request, exports.update, job, name, body, write=True)


@router.get("/v2/jobs/{job}/exports/{name}")
async def get_export(request: Request, job: str, name: str) -> Response:
    return await answer(request, exports.get, job, name)


@router.get("/v2/jobs/{job}/exports")
async def list_exports(request: Request, job: str) -> Response:
    return await answer(request, exports.list_all, job)


@router.delete("/v2/jobs/{job}/exports/{name}")
async def delete_export(request: Request, job: str, name: str) -> Response:
    return await answer(request, exports.delete, job, name, write=True)


@router.get("/v2/jobs/{job}/exports/{name}/exists")
async def export_exists(request: Request, job: str, name: str) -> Response:
    return await answer(request, exports.exists, job, name)
