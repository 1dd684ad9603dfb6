"""Range backfill endpoints (issue 14, a Tidemill extension; docs/extensions.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import answer, read_body
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import backfills

router = APIRouter()


@router.post("/v2/jobs/{name}/actions/backfill")
async def create(request: Request, name: str) -> Response:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    body = await read_body(request)
    return await answer(request, backfills.create, name, body, write=True)


@router.get("/v2/backfills/{backfill}")
async def get(request: Request, backfill: str) -> Response:
    return await answer(request, backfills.get, backfill)


@router.post("/v2/backfills/{backfill}/cancel")
async def cancel(request: Request, backfill: str) -> Response:
    return await answer(request, backfills.cancel, backfill, write=True)
