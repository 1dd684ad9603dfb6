"""Batch endpoints (spec §5, §6.5, §6.6, §7): not served until execution lands."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tidemill.core.names import check_name
from tidemill.errors import Failure, TidemillError

router = APIRouter()


def _not_yet(what: str) -> TidemillError:
    return TidemillError(Failure.NOT_IMPLEMENTED, f"{what} is not implemented by this Tidemill yet")


@router.post("/v2/jobs/{name}/actions/start")
async def start(name: str) -> Response:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    raise _not_yet("starting a job")


@router.post("/v2/jobs/{name}/actions/stop")
async def stop(name: str) -> Response:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    raise _not_yet("stopping a job")


@router.get("/v2/jobs/{name}/history")
async def history(name: str) -> Response:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    raise _not_yet("job history")


@router.post("/v2/batch/actions/stop")
async def stop_batch() -> Response:
    raise _not_yet("stopping a batch")


@router.post("/v2/batch/actions/rerun")
async def rerun_batch() -> Response:
    raise _not_yet("rerunning a batch")


@router.post("/v2/schemas")
async def retrieve_schema() -> Response:
    raise _not_yet("schema inference")
