"""Workflow endpoints (spec §10)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tidemill.api.deps import AccountDep, BodyDep, ReqIdDep, RuntimeDep, body_of
from tidemill.api.wire import empty_response, json_response
from tidemill.core.names import check_name
from tidemill.errors import Failure, TidemillError
from tidemill.services import workflows

router = APIRouter()
NAME = Failure.WF_NAME_INVALID


@router.post("/v2/workflows/{name}")
def create(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "workflow")
    workflows.create(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.put("/v2/workflows/{name}")
def update(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "workflow")
    workflows.update(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.get("/v2/workflows/{name}")
def get(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(workflows.get(rt, account, name), reqid)


@router.get("/v2/workflows")
def list_all(rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(workflows.list_all(rt, account), reqid)  # a bare array (§10.3)


@router.delete("/v2/workflows/{name}")
def delete(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    workflows.delete(rt, account, name)
    return empty_response(reqid)


@router.get("/v2/workflows/{name}/status")
def status(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(workflows.status(rt, account, name), reqid)


# Start and stop ignore their body: the SDK sends {"name": ...}, Java an empty one (§10.6).
@router.post("/v2/workflows/{name}/start")
def start(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    workflows.start(rt, account, name)
    return empty_response(reqid)


@router.post("/v2/workflows/{name}/stop")
def stop(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    workflows.stop(rt, account, name)
    return empty_response(reqid)


@router.post("/v2/workflows/{name}/search")
def search(name: str) -> Response:
    check_name(name, NAME, "workflow")
    raise TidemillError(Failure.NOT_IMPLEMENTED, "workflow search is not implemented by Tidemill")
