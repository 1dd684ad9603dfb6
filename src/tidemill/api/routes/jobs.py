"""Job endpoints (spec §6) and job export endpoints (§8.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tidemill.api.deps import AccountDep, BodyDep, ReqIdDep, RuntimeDep, body_of
from tidemill.api.wire import empty_response, json_response
from tidemill.core.names import check_name
from tidemill.errors import Failure, InvalidInputError
from tidemill.services import exports, jobs

router = APIRouter()
JOB = Failure.JOB_NAME_INVALID


@router.post("/v2/jobs/{name}")
def create(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, JOB, "job")
    jobs.create(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.put("/v2/jobs/{name}")
def update(
    name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    check_name(name, JOB, "job")
    jobs.update(rt, account, name, body_of(raw))
    return empty_response(reqid)


@router.get("/v2/jobs/{name}")
def get(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(jobs.get(rt, account, name), reqid)


@router.get("/v2/jobs")
def list_all(request: Request, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    query = request.query_params
    # O-3: the doc's note spells it srcDataSource; the SDK sends srcDatasource.
    src_datasource = query.get("srcDatasource", query.get("srcDataSource"))
    src_job = query.get("srcJob")
    if src_datasource is not None and src_job is not None:
        raise InvalidInputError(
            Failure.QUERY_INVALID, "srcDatasource and srcJob may not be given together"
        )
    return json_response(jobs.list_all(rt, account, src_datasource, src_job), reqid)


@router.delete("/v2/jobs/{name}")
def delete(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    jobs.delete(rt, account, name)
    return empty_response(reqid)


@router.get("/v2/jobs/{name}/exists")
def exists(name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(jobs.exists(rt, account, name), reqid)


def _names(job: str, export: str) -> None:
    check_name(job, JOB, "job")
    check_name(export, Failure.EXP_NAME_INVALID, "export")


@router.post("/v2/jobs/{job}/exports/{name}")
def create_export(
    job: str, name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    _names(job, name)
    exports.create(rt, account, job, name, body_of(raw))
    return empty_response(reqid)


@router.put("/v2/jobs/{job}/exports/{name}")
def update_export(
    job: str, name: str, raw: BodyDep, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    _names(job, name)
    exports.update(rt, account, job, name, body_of(raw))
    return empty_response(reqid)


@router.get("/v2/jobs/{job}/exports/{name}")
def get_export(
    job: str, name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    return json_response(exports.get(rt, account, job, name), reqid)


@router.get("/v2/jobs/{job}/exports")
def list_exports(job: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep) -> Response:
    return json_response(exports.list_all(rt, account, job), reqid)


@router.delete("/v2/jobs/{job}/exports/{name}")
def delete_export(
    job: str, name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    exports.delete(rt, account, job, name)
    return empty_response(reqid)


@router.get("/v2/jobs/{job}/exports/{name}/exists")
def export_exists(
    job: str, name: str, rt: RuntimeDep, account: AccountDep, reqid: ReqIdDep
) -> Response:
    return json_response(exports.exists(rt, account, job, name), reqid)
