"""Batch use cases (spec §6.5, §6.6, §7): start and stop jobs, history, stop and rerun batches."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidemill.core import batches as rules
from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.jobs import parse_start_params
from tidemill.core.models import JSON, Job, SchedulerMode, WorkflowStatus
from tidemill.core.names import check_name
from tidemill.core.naming import result_uri
from tidemill.engines.duckdb.database import preview
from tidemill.errors import Failure, NotFoundError, StateError
from tidemill.runtime import Runtime
from tidemill.services import schedules
from tidemill.services.guards import need_batch, need_job
from tidemill.store import batches as store
from tidemill.store import repository as repo
from tidemill.store import retries as retry_store
from tidemill.store import schedules as schedule_store

log = logging.getLogger(__name__)

S = BatchStatus


def _job(conn: sa.Connection, account: int, name: str) -> Job:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    return need_job(conn, account, name)


def _workflow_status(conn: sa.Connection, account: int, job: Job) -> WorkflowStatus | None:
    if not job.workflow:
        return None
    wf = repo.get_workflow(conn, account, job.workflow)
    return None if wf is None else wf.status


def start_job(rt: Runtime, account: int, name: str, body: JSON) -> None:
    with rt.db.begin() as conn:
        job = _job(conn, account, name)
        values = parse_start_params(body, job.params)
        if job.mode is SchedulerMode.DEPEND:
            raise StateError(
                Failure.JOB_START_REFUSED,
                f"job {name!r} runs after each successful batch of its upstream; start that job",
            )
        in_workflow = _workflow_status(conn, account, job)
        if job.workflow and (
            job.mode is not SchedulerMode.MANUAL or in_workflow is not WorkflowStatus.STARTED
        ):
            raise StateError(
                Failure.JOB_START_IN_WORKFLOW,
                f"job {name!r} belongs to workflow {job.workflow!r}: start the workflow"
                + (" first" if job.mode is SchedulerMode.MANUAL else " instead"),
            )
        if job.mode is SchedulerMode.MANUAL:
            # Write first: the run id's row lock makes two starts at once take turns, so the
            # second sees the first's batch (a refused start rolls its run id back).
            run_id = store.allocate_run_id(conn, account, name)
            active = store.active_batches(conn, account, name)
            if active:
                raise StateError(
                    Failure.JOB_START_REFUSED,
                    f"job {name!r} already has batch {active[0].run_id} {active[0].status.value}; "
                    "wait for it or stop it",
                )
            now = rt.clock.now()
            batch_time = now.replace(microsecond=0)  # shown to the second (§7.3)
            store.insert_batch(conn, account, Batch(name, run_id, batch_time, S.READY, values), now)
        else:
            if schedule_store.active_schedule(conn, account, name) is not None:
                raise StateError(Failure.JOB_START_REFUSED, f"job {name!r} is already started")
            schedules.activate(rt, conn, account, job, values)
    rt.notify_runner()
    if job.mode is not SchedulerMode.MANUAL:  # a manual batch is no schedule's business
        rt.notify_scheduler()


def stop_job(rt: Runtime, account: int, name: str) -> None:
    with rt.db.begin() as conn:
        job = _job(conn, account, name)
        if job.workflow and job.mode is not SchedulerMode.MANUAL:
            raise StateError(
                Failure.JOB_STOP_IN_WORKFLOW,
                f"job {name!r} is controlled by workflow {job.workflow!r}: stop the workflow",
            )
        scheduled = schedule_store.active_schedule(conn, account, name) is not None
        active = store.active_batches(conn, account, name)
        retrying = retry_store.pending(conn, account, name)  # a failed batch due to retry
        if not scheduled and not active and not retrying:
            raise StateError(Failure.JOB_STOP_REFUSED, f"job {name!r} is not running")
        if scheduled:
            schedules.deactivate(conn, account, name)
        to_cancel = cancel_active(conn, account, name, active, rt.clock.now())
    rt.notify_scheduler()
    for run_id in to_cancel:
        rt.cancel_batch(account, name, run_id)


def cancel_active(
    conn: sa.Connection, account: int, name: str, active: list[Batch], now: datetime
) -> list[int]:
    """§6.6: queued batches become Canceled, running ones Cancelling; the run ids to end.
    Failed batches waiting for an automatic retry stay Failed, without it (issue 14)."""
    retry_store.stop_pending(conn, account, name)
    to_cancel: list[int] = []
    for batch in active:
        if batch.status in rules.WAITING:
            store.move(conn, account, name, batch.run_id, [batch.status],
                       status=S.CANCELED, end_time=now, message="stopped by user")  # fmt: skip
        elif batch.status is S.RUNNING:
            store.move(conn, account, name, batch.run_id, [S.RUNNING], status=S.CANCELLING)
            to_cancel.append(batch.run_id)
    return to_cancel


def history(rt: Runtime, account: int, name: str, query: dict[str, str]) -> JSON:
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    wanted = rules.parse_history_query(query)
    with rt.db.connect() as conn:
        need_job(conn, account, name)
        total, page = store.history(conn, account, name, wanted)
    now = rt.clock.now()
    return {"total": total, "history": [rules.batch_public(b, now, rt.timestamp) for b in page]}


def stop_batch(rt: Runtime, account: int, body: JSON) -> JSON:
    job_name, run_id = rules.parse_run_id(body)
    with rt.db.begin() as conn:
        _job(conn, account, job_name)
        batch = need_batch(conn, account, job_name, run_id)
        if batch.status is S.FAILED and retry_store.stop_pending(conn, account, job_name,
                                                                  batch.run_id):  # fmt: skip
            # issue 14: stopping a batch that waits for its automatic retry ends its retries
            return {"preStatus": batch.status.value, "postStatus": batch.status.value}
        if not rules.can_stop(batch.status):
            raise StateError(
                Failure.BATCH_CANNOT_STOP,
                f"batch {batch.run_id} of job {job_name!r} is {batch.status.value}; "
                "only a Running batch can be stopped",
            )
        store.move(conn, account, job_name, batch.run_id, [S.RUNNING], status=S.CANCELLING)
    rt.cancel_batch(account, job_name, batch.run_id)
    with rt.db.connect() as conn:
        after = need_batch(conn, account, job_name, batch.run_id)
    return {"preStatus": batch.status.value, "postStatus": after.status.value}


def rerun_batch(rt: Runtime, account: int, body: JSON) -> JSON:
    job_name, run_id = rules.parse_run_id(body)
    with rt.db.begin() as conn:
        _job(conn, account, job_name)
        batch = need_batch(conn, account, job_name, run_id)
        if not rules.can_rerun(batch.status):
            advice = "stop it first" if batch.status is S.RUNNING else "wait for it to finish"
            raise StateError(
                Failure.BATCH_CANNOT_RERUN,
                f"batch {batch.run_id} of job {job_name!r} is {batch.status.value}; {advice}",
            )
        count = batch.rerun_count + 1
        store.move(
            conn, account, job_name, batch.run_id, [batch.status], status=S.RESTARTING,
            start_time=None, end_time=None, message="", rerun_count=count, result_rows=None,
            queued_at=rt.clock.now(), retry_at=None, retries=0,  # a rerun starts retries over
        )  # fmt: skip
    rt.notify_runner()
    return {"preStatus": batch.status.value, "postStatus": S.RESTARTING.value, "rerunCount": count}


def result(rt: Runtime, account: int, name: str, run_id: int, limit: int) -> JSON:
    """Tidemill extension: the schema and first rows of a successful batch's result."""
    with rt.db.connect() as conn:
        job = _job(conn, account, name)
        batch = need_batch(conn, account, name, run_id)
    if batch.status is not S.SUCCESSFUL:
        raise NotFoundError(
            Failure.BATCH_NOT_FOUND,
            f"batch {batch.run_id} of job {name!r} is {batch.status.value}; only a Successful "
            "batch has a result",
        )
    uri = result_uri(rt.settings.warehouse, account, name, batch.run_id)
    try:
        with rt.storages.local_path(uri) as path:  # the file itself on a local warehouse
            columns, rows = preview(path, limit, rt.settings.timezone)
    except NotFoundError as exc:
        # The warehouse's path is the server's business: logged, not told to the tenant.
        log.warning("result of batch %d of job %r missing: %s", batch.run_id, name, exc.message)
        raise NotFoundError(
            Failure.BATCH_NOT_FOUND,
            f"the result of batch {batch.run_id} of job {name!r} is no longer kept; rerun "
            "the batch to make it again",
        ) from exc
    return {
        "runId": batch.run_id,
        "schema": [{"key": f.key, "valtype": f.valtype} for f in job.schema],
        "columns": columns,
        "total": batch.result_rows or 0,
        "rows": [[_plain(v) for v in row] for row in rows],
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):  # arrays (preview gives JSON-ready members)
        return [_plain(v) for v in value]
    if isinstance(value, dict):  # structs and maps
        return {
            k if isinstance(k, str) else json.dumps(_plain(k)): _plain(v) for k, v in value.items()
        }
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
