"""The batch log extension: `GET /v2/jobs/{job}/history/{runId}/log` (issue 15, item 6).

200 with `text/plain; charset=utf-8`: what the batch did (services.batch_logs). Errors in the
Pandora envelope like the result extension: a bad job name E18207, a runId that is not a
positive integer E18007, an unknown job E18202, an unknown batch E18202 (seed codes, §1.6).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from tidemill.core.batches import run_id_text
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import batch_logs

router = APIRouter()
TEXT_TYPE = "text/plain; charset=utf-8"


@router.get("/v2/jobs/{name}/history/{run_id}/log")
async def batch_log(request: Request, name: str, run_id: str) -> Response:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    number = run_id_text(run_id, Failure.QUERY_INVALID)
    runtime = request.app.state.runtime
    account = int(request.state.account_id)
    text = await run_in_threadpool(batch_logs.batch_log, runtime, account, name, number)
    headers = {"Content-Type": TEXT_TYPE, "X-Reqid": str(request.state.reqid)}
    return Response(text.encode(), 200, headers=headers)
