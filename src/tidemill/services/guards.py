"""Checks several use cases share: lookups that must succeed and workflow state."""

from __future__ import annotations

import sqlalchemy as sa

from tidemill.core.batches import Batch
from tidemill.core.models import BUSY_WORKFLOW_STATES, Datasource, Job
from tidemill.errors import Failure, NotFoundError, StateError
from tidemill.store import batches as batch_store
from tidemill.store import job_reads
from tidemill.store import repository as repo
from tidemill.store.schedules import ScheduleState


def _no_job(name: str) -> NotFoundError:
    return NotFoundError(Failure.JOB_NOT_FOUND, f"job {name!r} does not exist")


def need_job(conn: sa.Connection, account: int, name: str) -> Job:
    job = repo.get_job(conn, account, name)
    if job is None:
        raise _no_job(name)
    return job


def need_job_and_schedule(
    conn: sa.Connection, account: int, name: str
) -> tuple[Job, ScheduleState | None]:
    """`need_job` and the job's started schedule, in one read (store.job_reads)."""
    found = job_reads.job_and_schedule(conn, account, name)
    if found is None:
        raise _no_job(name)
    return found


def need_batch(conn: sa.Connection, account: int, job: str, run_id: int) -> Batch:
    batch = batch_store.get_batch(conn, account, job, run_id)
    if batch is None:
        raise NotFoundError(Failure.BATCH_NOT_FOUND, f"job {job!r} has no batch {run_id}")
    return batch


def need_datasource(conn: sa.Connection, account: int, name: str) -> Datasource:
    ds = repo.get_datasource(conn, account, name)
    if ds is None:
        raise NotFoundError(Failure.DS_NOT_FOUND, f"datasource {name!r} does not exist")
    return ds


def workflow_idle(conn: sa.Connection, account: int, workflow: str, action: str) -> None:
    """WF_STATE if `workflow` is starting, started or stopping (§10.8)."""
    if not workflow:
        return
    wf = repo.get_workflow(conn, account, workflow)
    if wf is not None and wf.status in BUSY_WORKFLOW_STATES:
        raise StateError(
            Failure.WF_STATE,
            f"cannot {action}: workflow {workflow!r} is {wf.status.value}; stop it first",
        )
