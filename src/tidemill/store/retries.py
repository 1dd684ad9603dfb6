"""Reads and writes of batches' automatic retries (migration 0008): due times and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tidemill.core.batches import BatchStatus
from tidemill.store import batches as batch_store
from tidemill.store.tables import batches

S = BatchStatus
STOPPED = "; retries stopped by user"


@dataclass(frozen=True, slots=True)
class Due:
    account: int
    job: str
    run_id: int


def _key(account: int, job: str, run_id: int) -> list[sa.ColumnElement[bool]]:
    return [batches.c.account_id == account, batches.c.job_name == job, batches.c.run_id == run_id]


def retries_of(conn: sa.Connection, account: int, job: str, run_id: int) -> int:
    """The automatic retries the batch's current run of attempts made (0 when none)."""
    found = conn.execute(sa.select(batches.c.retries).where(*_key(account, job, run_id))).first()
    return int(found.retries or 0) if found is not None else 0


def due(conn: sa.Connection, now: datetime, limit: int = 100) -> list[Due]:
    """Failed batches whose retry is due at `now`, the longest waiting first."""
    rows = conn.execute(_DUE, {"now": now, "limit": limit})
    return [Due(r.account_id, r.job_name, r.run_id) for r in rows]


# Built once (bind parameters): the runner's loop runs it at every pass.
_DUE = (
    sa.select(batches.c.account_id, batches.c.job_name, batches.c.run_id)
    .where(batches.c.retry_at <= sa.bindparam("now"), batches.c.status == S.FAILED.value)
    .order_by(batches.c.retry_at)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


def requeue(conn: sa.Connection, batch: Due, now: datetime) -> bool:
    """Queue the due retry of `batch` as a rerun (§7.2 Failed -> Restarting: same runId and
    batchTime, rerun count + 1, retries + 1); whether it was still due (not stopped, rerun or
    deleted meanwhile). The row is locked first (PostgreSQL; SQLite has one writer)."""
    key = _key(batch.account, batch.job, batch.run_id)
    still = conn.execute(
        sa.select(batches.c.run_id)
        .where(*key, batches.c.status == S.FAILED.value, batches.c.retry_at <= now)
        .with_for_update()
    ).first()
    if still is None:
        return False
    return batch_store.move(
        conn, batch.account, batch.job, batch.run_id, [S.FAILED], status=S.RESTARTING,
        start_time=None, end_time=None, message="", result_rows=None, queued_at=now,
        retry_at=None, retries=batches.c.retries + 1, rerun_count=batches.c.rerun_count + 1,
    )  # fmt: skip


def pending(conn: sa.Connection, account: int, job: str) -> list[int]:
    """Run ids of the job's Failed batches waiting for a retry."""
    rows = conn.execute(
        sa.select(batches.c.run_id).where(
            batches.c.account_id == account, batches.c.job_name == job,
            batches.c.status == S.FAILED.value, batches.c.retry_at.is_not(None),
        )
    )  # fmt: skip
    return [r.run_id for r in rows]


def stop_pending(conn: sa.Connection, account: int, job: str, run_id: int | None = None) -> int:
    """End the waiting retries of the job (of one batch with `run_id`): the batch stays Failed,
    its message saying retries were stopped. How many were ended."""
    where = [batches.c.account_id == account, batches.c.job_name == job,
             batches.c.status == S.FAILED.value, batches.c.retry_at.is_not(None)]  # fmt: skip
    if run_id is not None:
        where.append(batches.c.run_id == run_id)
    waiting = [r.run_id for r in conn.execute(
        sa.select(batches.c.run_id).where(*where).with_for_update())]  # fmt: skip
    for number in waiting:  # the status stays Failed: move without a status
        batch_store.move(conn, account, job, number, [S.FAILED], retry_at=None,
                         message=batches.c.message + STOPPED)  # fmt: skip
    return len(waiting)
