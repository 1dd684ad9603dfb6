"""Variable endpoints (spec §9)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import AccountDep, BodyDep, ReqIdDep, RuntimeDep, body_of
from tidemill.api.wire import empty_response, json_response
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import variables

router = APIRouter()
NAME = Failure.VAR_NAME_INVALID


@router.post("/v2/variables/{name}")
def create(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "variable")
    variables.create(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.put("/v2/variables/{name}")
def update(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "variable")
    variables.update(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.get("/v2/variables/{name}")
def get(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(variables.get(rt, account, name), reqid)


@router.get("/v2/variables")
def list_all(request: Request, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(variables.list_all(rt, account, request.query_params.get("type")), reqid)


@router.delete("/v2/variables/{name}")
def delete(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    # The SDK sends {"name": ...} on DELETE; the body is ignored (§1.4 item 2).
    variables.delete(rt, account, name)
    return empty_response(reqid)
