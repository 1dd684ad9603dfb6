"""Batch endpoints (spec §6.5, §6.6, §7) and the result extension."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, read_body
from tidemill.core.batches import run_id_text
from tidemill.core.fields import int_text
from tidemill.core.names import check_name
from tidemill.errors import Failure, InvalidInputError
from tidemill.services import batches, schemas

router = APIRouter()
JOB = Failure.JOB_NAME_INVALID
MAX_RESULT_ROWS = 10_000  # rows a result preview returns at most (`limit`, default 20)


@router.post("/v2/jobs/{name}/actions/start")
async def start(request: Request, name: str) -> Response:
    check_name(name, JOB, "job")
    body = await read_body(request, required=False)  # empty counts as {} (§1.4 item 3)
    return await answer(request, batches.start_job, name, body, write=True)


@router.post("/v2/jobs/{name}/actions/stop")
async def stop(request: Request, name: str) -> Response:
    return await answer(request, batches.stop_job, name, write=True)


@router.get("/v2/jobs/{name}/history")
async def history(request: Request, name: str) -> Response:
    return await answer(request, batches.history, name, dict(request.query_params))


@router.get("/v2/jobs/{name}/history/{run_id}/result")
async def result(request: Request, name: str, run_id: str) -> Response:
    check_name(name, JOB, "job")
    number = run_id_text(run_id, Failure.QUERY_INVALID)
    raw_limit = request.query_params.get("limit", "20")
    limit = int_text(raw_limit, 0, MAX_RESULT_ROWS)
    if limit is None:
        raise InvalidInputError(
            Failure.QUERY_INVALID, f"limit must be an integer from 0 to {MAX_RESULT_ROWS}"
        )
    return await answer(request, batches.result, name, number, limit)


@router.post("/v2/batch/actions/stop")
async def stop_batch(request: Request) -> Response:
    body = await read_body(request)
    return await answer(request, batches.stop_batch, body, write=True)


@router.post("/v2/batch/actions/rerun")
async def rerun_batch(request: Request) -> Response:
    body = await read_body(request)
    return await answer(request, batches.rerun_batch, body, write=True)


@router.post("/v2/schemas")
async def retrieve_schema(request: Request) -> Response:
    body = await read_body(request)
    return await answer(request, schemas.retrieve, body, write=True)
