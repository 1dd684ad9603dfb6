"""The runner's side of automatic retries (issue 14, item 2; the rules are core.retries).

`apply` turns the verdict on a batch's attempt into what is stored: a Failed batch whose job
has a retry policy, a retryable failure and attempts left gets a due time (`batches.retry_at`),
and its message names the attempt. `requeue_due` (each pass of the runner's loop) queues the
batches whose time has come as reruns. Both read and write only the store, so a retry survives
a restart and any node may queue it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import Job
from tidemill.core.outcomes import Verdict
from tidemill.core.retries import decide, policy_of, success_message
from tidemill.store import retries as store

log = logging.getLogger("tidemill.retries")
S = BatchStatus


def apply(
    conn: sa.Connection, account: int, batch: Batch, verdict: Verdict, now: datetime,
    job: Job | None,
) -> tuple[Verdict, datetime | None]:  # fmt: skip
    """(the verdict to store, its message naming the attempt; when to retry, or None).
    `job`: the batch's job as it is now (its retry policy), None if it is gone."""
    if verdict.status not in (S.FAILED, S.SUCCESSFUL):
        return verdict, None
    if job is None:
        return verdict, None
    policy = policy_of(job.definition)
    if policy.attempts <= 1:
        return verdict, None
    retries = store.retries_of(conn, account, batch.job_name, batch.run_id)
    if verdict.succeeded:
        return replace(verdict, message=success_message(verdict.message, policy, retries)), None
    decision = decide(policy, retries, verdict.message, verdict.retryable, now)
    return replace(verdict, message=decision.message), decision.retry_at


def requeue_due(db: sa.Engine, now: datetime) -> int:
    """Queue every batch whose retry is due at `now`; how many were queued."""
    with db.connect() as conn:
        due = store.due(conn, now)
    queued = 0
    for batch in due:
        with db.begin() as conn:
            if store.requeue(conn, batch, now):
                queued += 1
    if queued:
        log.info("queued %d retried batch(es)", queued)
    return queued
