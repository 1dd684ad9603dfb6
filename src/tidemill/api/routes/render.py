"""The dry-run endpoint (issue 14, item 4): `POST /v2/jobs/{job}/actions/render`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import read_body
from tidemill.api.listing_gate import answer_listing
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.runner.render import render_batch

router = APIRouter()


@router.post("/v2/jobs/{name}/actions/render")
async def render(request: Request, name: str) -> Response:
    """`{"batchTime"?, "params"?}` -> what a batch would read, run and write (runner.render).
    In the threadpool, like a write: planning lists the sources' files (a few per account at
    once: api.listing_gate)."""
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    body = await read_body(request, required=False)  # empty counts as {} as for start
    return await answer_listing(request, render_batch, name, body)
