"""Range backfill use cases (issue 14, item 1): create, show progress, cancel.

`create` checks the body and the job, works out the job's slots in the range and which of them
to fill (core.backfills), then queues one Ready batch per slot in one insert, each marked with
the backfill's id; the runner claims them after fresh work, at most `concurrency` at once
(core.caps). Every read and write names the caller's account: another account's backfill id is
BATCH_NOT_FOUND, as a missing one is.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from tidemill.core import backfills as rules
from tidemill.core.models import JSON
from tidemill.core.names import check_name
from tidemill.core.schedules import schedule_of
from tidemill.errors import Failure, NotFoundError, StateError, malformed
from tidemill.runtime import Runtime
from tidemill.services.guards import need_job
from tidemill.store import backfills as store
from tidemill.store.tables import job_states

_ID_LENGTH = 32  # hex digits of a backfill id


def create(rt: Runtime, account: int, name: str, body: JSON) -> JSON:
    """`POST /v2/jobs/{name}/actions/backfill` → {"backfillId", "slots", "batches":
    [{"runId", "batchTime"}...]} (with dryRun: the batches it would queue, runIds null, and
    backfillId ""). Slots after now are left to the schedule (`to` is taken as now at the
    most). Errors: JOB_NAME_INVALID, REQ_MALFORMED (body, `from` after now, or more slots than
    `backfill.max_slots`), JOB_NOT_FOUND, JOB_START_REFUSED (manual, depend or back-to-back
    loop job, or more than `backfill.max_waiting` batches of the account's backfills would
    wait)."""
    check_name(name, Failure.JOB_NAME_INVALID, "job")
    request = rules.parse_request(body)
    limit = rt.settings.backfill.max_slots
    with rt.db.begin() as conn:
        if not request.dry_run:  # overlapping backfills: one reads and queues at a time
            store.lock_job(conn, account, name)
        job = need_job(conn, account, name)
        spec = rules.check_backfillable(name, job.mode, schedule_of(job.mode, job.definition))
        now = rt.clock.now()
        if request.start > now:
            raise malformed(
                f"from {body['from']} is after now ({rt.timestamp(now)}): a backfill fills"
                " slots that have come; the job's schedule fires the later ones"
            )
        end = min(request.end, now)  # slots after now are the schedule's
        slots = rules.slots_between(spec, request.start, end, rt.zone, limit)
        history = store.slot_history(conn, account, name, request.start, end)
        chosen = rules.plan_slots(slots, rules.summarise(history), request)
        if request.dry_run:
            shown = [{"runId": None, "batchTime": rt.timestamp(s)} for s in chosen]
            return {"backfillId": "", "slots": len(chosen), "batches": shown}
        _check_backlog(conn, account, len(chosen), rt.settings.backfill.max_waiting)
        backfill = uuid.uuid4().hex
        store.insert(
            conn,
            store.BackfillRow(
                backfill, account, name, request.start, request.end, request.reprocess.value,
                request.concurrency, request.order.value, len(chosen), store.RUNNING_STATE,
                now, None,
            ),
        )  # fmt: skip
        first = store.allocate_run_ids(conn, account, name, len(chosen)) if chosen else 0
        params = _start_params(conn, account, name)
        store.queue(conn, account, name, backfill, chosen, first, params, now)
    rt.notify_runner()
    batches = [
        {"runId": first + i, "batchTime": rt.timestamp(slot)} for i, slot in enumerate(chosen)
    ]
    return {"backfillId": backfill, "slots": len(chosen), "batches": batches}


def _check_backlog(conn: sa.Connection, account: int, adding: int, limit: int) -> None:
    """JOB_START_REFUSED when the account's backfills would have more than `limit` batches
    waiting with `adding` more (TIDEMILL_BACKFILL__MAX_WAITING): each backfill is held to
    max_slots, and this holds the account's backlog in the store."""
    if not adding:
        return
    waiting = store.waiting_in_account(conn, account)
    if waiting + adding > limit:
        raise StateError(
            Failure.JOB_START_REFUSED,
            f"this backfill would queue {adding} batches where this account's backfills have"
            f" {waiting} waiting already; at most {limit} may wait: let them run, cancel a"
            " backfill (POST /v2/backfills/<id>/cancel) or narrow from/to",
        )


def _start_params(conn: sa.Connection, account: int, job: str) -> dict[str, str]:
    """The values the job's schedule was started with (its batches get them), else none: the
    job's defaults apply."""
    row = conn.execute(
        sa.select(job_states.c.start_params).where(
            job_states.c.account_id == account, job_states.c.job_name == job
        )
    ).first()
    return dict(row[0] or {}) if row is not None else {}


def _need(conn: sa.Connection, account: int, backfill: str) -> store.BackfillRow:
    found = None
    if len(backfill) == _ID_LENGTH and all(c in "0123456789abcdef" for c in backfill):
        found = store.get(conn, account, backfill)
    if found is None:
        raise NotFoundError(Failure.BATCH_NOT_FOUND, f"there is no backfill {backfill!r}")
    return found


def _public(rt: Runtime, row: store.BackfillRow, counts: dict[str, int], retrying: int) -> JSON:
    state = rules.state_of(row.state == store.CANCELED_STATE, counts, retrying)
    return {
        "backfillId": row.id,
        "job": row.job,
        "from": rt.timestamp(row.start),
        "to": rt.timestamp(row.end),
        "reprocess": row.reprocess,
        "concurrency": row.concurrency,
        "order": row.order,
        "slots": row.slots,
        "state": state.value,
        "createTime": rt.timestamp(row.created_at),
        "counts": counts,
        "total": sum(counts.values()),
    }


def get(rt: Runtime, account: int, backfill: str) -> JSON:
    """`GET /v2/backfills/{id}`: the request, its state and its batches' counts by status
    (depend children included; `total` counts them all). Errors: BATCH_NOT_FOUND."""
    with rt.db.connect() as conn:
        row = _need(conn, account, backfill)
        counts = store.counts(conn, account, backfill)
        retrying = store.retrying(conn, account, backfill)
    return _public(rt, row, counts, retrying)


def cancel(rt: Runtime, account: int, backfill: str) -> JSON:
    """`POST /v2/backfills/{id}/cancel`: waiting batches become Canceled, running ones are
    stopped (Cancelling, then Canceled). Canceling a canceled backfill changes nothing; a Done
    one is BATCH_CANNOT_STOP. Answers what GET answers after it. Errors: BATCH_NOT_FOUND,
    BATCH_CANNOT_STOP."""
    with rt.db.begin() as conn:
        row = _need(conn, account, backfill)
        counts = store.counts(conn, account, backfill)
        retrying = store.retrying(conn, account, backfill)
        state = rules.state_of(row.state == store.CANCELED_STATE, counts, retrying)
        if state is rules.BackfillState.DONE:
            raise StateError(
                Failure.BATCH_CANNOT_STOP,
                f"backfill {backfill} is Done: none of its batches is left to stop",
            )
        to_end = store.cancel(conn, account, backfill, rt.clock.now())
    for job, run_id in to_end:
        rt.cancel_batch(account, job, run_id)
    return get(rt, account, backfill)
