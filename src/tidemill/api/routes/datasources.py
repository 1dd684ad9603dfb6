"""Datasource endpoints (spec §4) and schema inference (§5)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from tidemill.api.deps import AccountDep, BodyDep, ReqIdDep, RuntimeDep, body_of
from tidemill.api.wire import empty_response, json_response
from tidemill.core.names import check_name
from tidemill.errors import Failure
from tidemill.services import datasources

router = APIRouter()
NAME = Failure.DS_NAME_INVALID


@router.post("/v2/datasources/{name}")
def create(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "datasource")
    datasources.create(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.put("/v2/datasources/{name}")
def update(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, NAME, "datasource")
    datasources.update(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.get("/v2/datasources/{name}")
def get(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(datasources.get(rt, account, name), reqid)


@router.get("/v2/datasources")
def list_all(rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(datasources.list_all(rt, account), reqid)


@router.delete("/v2/datasources/{name}")
def delete(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    datasources.delete(rt, account, name)
    return empty_response(reqid)


@router.get("/v2/datasources/{name}/exists")
def exists(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(datasources.exists(rt, account, name), reqid)
