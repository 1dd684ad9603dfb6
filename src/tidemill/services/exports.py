"""Job export use cases (spec §8.1): create, update, read, list, delete."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa

from tidemill.config import Settings
from tidemill.core.exports import ExportTarget, validate_export
from tidemill.core.hdfs_roots import check_roots
from tidemill.core.models import JSON, Export, Job
from tidemill.core.names import check_name
from tidemill.core.public import export_public
from tidemill.errors import (
    BackendError,
    ConflictError,
    Failure,
    InvalidInputError,
    NotFoundError,
)
from tidemill.exporters.hdfs_files import export_location, warehouse_problem
from tidemill.exporters.http import target_url
from tidemill.exporters.outbound import check_host
from tidemill.runtime import Runtime
from tidemill.services.guards import need_job, workflow_idle
from tidemill.store import repository as repo
from tidemill.store.accounts import scope_of

# D-23: these targets are other services; without a configured endpoint nothing could receive
# the rows, so the export is refused up front rather than failing every batch later.
_TARGET_SETTING = {"logdb": "TIDEMILL_LOGDB_URL", "tsdb": "TIDEMILL_TSDB_URL"}


def _check_target(settings: Settings, target: ExportTarget) -> None:
    configured = {"logdb": settings.logdb_url, "tsdb": settings.tsdb_url}
    if target.type in configured and not configured[target.type]:
        raise InvalidInputError(
            Failure.EXP_TYPE_DISABLED,
            f"{target.type} exports are disabled: no {target.type} target is configured; "
            f"set {_TARGET_SETTING[target.type]} on the Tidemill server",
        )
    # Kind 11 (SSRF): the address must be one exports may reach; checked again at connect time.
    policy = settings.outbound.policy
    if target.type == "http":
        parts = urlsplit(target_url(str(target.spec["host"]), str(target.spec["uri"])))
        check_host(policy, parts.hostname or "", parts.port, "spec.host")
    elif target.type in configured:
        parts = urlsplit(configured[target.type])
        check_host(policy, parts.hostname or "", parts.port, f"the {target.type} target")


def _check_bucket(rt: Runtime, conn: sa.Connection, account: int, target: ExportTarget) -> None:
    """Kind 7 / §8.2: a kodo export's bucket must exist (for this account) at create.

    A typo must not become a new bucket: EXP_BUCKET_NOT_FOUND unless the operator allows
    exports to create buckets (TIDEMILL_EXPORTS__CREATE_BUCKETS), and even then only a bucket
    the account may use (its own directory; on S3 a granted bucket).
    """
    if target.type != "kodo":
        return
    bucket = str(target.spec["bucket"])
    store = rt.store_for(conn, account)
    if store.bucket_exists(bucket):
        return
    if rt.settings.exports.create_buckets and store.can_use(bucket):
        return
    raise NotFoundError(
        Failure.EXP_BUCKET_NOT_FOUND,
        f"bucket {bucket!r} does not exist in this account (or, on S3, is not granted to it); "
        "create the bucket first or correct spec.bucket",
    )


def _check_hdfs(rt: Runtime, target: ExportTarget, tenant: str) -> None:
    """An hdfs export's path must lie under one of the account's TIDEMILL_HDFS__ROOTS
    (EXP_SPEC_INVALID; core.hdfs_roots), checked before any namenode is asked. §8.3: an hdfs
    export whose namenode cannot be reached now is refused at create (EXP_SUBMIT_FAILED,
    E18303) with the storage's reason, within the connect timeout. A path (rendered now) in
    the warehouse, when that is on HDFS, is EXP_SPEC_INVALID (exporters.hdfs_files)."""
    if target.type != "hdfs":
        return
    path = str(target.spec["path"])
    check_roots([path], rt.settings.hdfs.roots, tenant, Failure.EXP_SPEC_INVALID, "spec.path")
    _, base = export_location(str(target.spec["path"]), rt.clock.now().astimezone(rt.zone))
    warehouse = rt.settings.warehouse
    fences = (warehouse,) if warehouse.startswith("hdfs://") else ()
    if problem := warehouse_problem(base, fences):  # checked again at every run
        raise InvalidInputError(Failure.EXP_SPEC_INVALID, f"spec.path: {problem}")
    try:
        rt.storages.exists(base.rstrip("/") or base)
    except BackendError as exc:
        raise InvalidInputError(
            Failure.EXP_SUBMIT_FAILED, f"cannot use HDFS at spec.path: {exc.message}"
        ) from exc


def _names(job: str, name: str) -> None:
    check_name(job, Failure.JOB_NAME_INVALID, "job")
    check_name(name, Failure.EXP_NAME_INVALID, "export")


def _columns(job: Job) -> dict[str, str]:
    return {f.key: f.valtype for f in job.schema}


def _need_export(conn: sa.Connection, account: int, job_name: str, name: str) -> Export:
    export = repo.get_export(conn, account, job_name, name)
    if export is None:
        raise NotFoundError(Failure.EXP_NOT_FOUND, f"job {job_name!r} has no export {name!r}")
    return export


def _new_export(conn: sa.Connection, account: int, job_name: str, name: str) -> Job:
    """The job, which must exist and not have an export `name` yet."""
    job = need_job(conn, account, job_name)
    if repo.get_export(conn, account, job_name, name) is not None:
        raise ConflictError(Failure.EXP_EXISTS, f"job {job_name!r} already has an export {name!r}")
    return job


def create(rt: Runtime, account: int, job_name: str, name: str, body: JSON) -> None:
    _names(job_name, name)
    validate_export(body, output_columns=None)  # field checks come before existence checks
    with rt.db.connect() as conn:  # the namenode is probed after every check, outside the
        job = _new_export(conn, account, job_name, name)  # transaction: it may take seconds
        given = validate_export(body, output_columns=_columns(job))
        tenant = scope_of(conn, account).name
    _check_hdfs(rt, given, tenant)
    with rt.db.begin() as conn:
        job = _new_export(conn, account, job_name, name)
        target = validate_export(body, output_columns=_columns(job))
        _check_target(rt.settings, target)
        _check_bucket(rt, conn, account, target)
        workflow_idle(conn, account, job.workflow, f"add export {name!r}")
        export = Export(job_name, name, target.type, target.spec)
        repo.put_export(conn, account, export, rt.clock.now(), new=True)


def update(rt: Runtime, account: int, job_name: str, name: str, body: JSON) -> None:
    _names(job_name, name)
    with rt.db.connect() as conn:  # the namenode is probed after the checks, outside the
        job = need_job(conn, account, job_name)  # transaction: it may take seconds
        was = _need_export(conn, account, job_name, name).type
        given = validate_export(body, output_columns=_columns(job), stored_type=was)
        tenant = scope_of(conn, account).name
    _check_hdfs(rt, given, tenant)
    with rt.db.begin() as conn:
        job = need_job(conn, account, job_name)
        stored = _need_export(conn, account, job_name, name)
        target = validate_export(body, output_columns=_columns(job), stored_type=stored.type)
        _check_target(rt.settings, target)
        _check_bucket(rt, conn, account, target)
        workflow_idle(conn, account, job.workflow, f"update export {name!r}")
        export = Export(job_name, name, target.type, target.spec)
        repo.put_export(conn, account, export, rt.clock.now(), new=False)


def get(rt: Runtime, account: int, job_name: str, name: str) -> JSON:
    _names(job_name, name)
    with rt.db.connect() as conn:
        job = need_job(conn, account, job_name)
        return export_public(_need_export(conn, account, job_name, name), job.workflow)


def list_all(rt: Runtime, account: int, job_name: str) -> JSON:
    check_name(job_name, Failure.JOB_NAME_INVALID, "job")
    with rt.db.connect() as conn:
        need_job(conn, account, job_name)
        found = repo.list_exports(conn, account, job_name)
    return {"exports": [export_public(e, with_name=True) for e in found]}


def exists(rt: Runtime, account: int, job_name: str, name: str) -> JSON:
    _names(job_name, name)
    with rt.db.connect() as conn:
        need_job(conn, account, job_name)
        return {"exist": repo.get_export(conn, account, job_name, name) is not None}


def delete(rt: Runtime, account: int, job_name: str, name: str) -> None:
    _names(job_name, name)
    with rt.db.begin() as conn:
        job = need_job(conn, account, job_name)
        _need_export(conn, account, job_name, name)
        workflow_idle(conn, account, job.workflow, f"delete export {name!r}")
        repo.delete_export(conn, account, job_name, name)
