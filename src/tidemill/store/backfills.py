"""Reads and writes of range backfills and their batches (issue 14), scoped to an account.

Every read a tenant can cause names its account: a backfill id of another account is simply
not found. The runner's reads (`executing`, `lanes`, `claimable_in`) span accounts, as its
claim of fresh batches does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from tidemill.core.batches import BORN, EXECUTING, WAITING, Batch, BatchStatus
from tidemill.store import batches as batch_store
from tidemill.store import retries as retry_store
from tidemill.store.batches import _batch
from tidemill.store.tables import backfills, batches, jobs

S = BatchStatus
_CHUNK = 500  # run ids per statement (SQLite's limit on bound values is far above)
RUNNING_STATE = "Running"
CANCELED_STATE = "Canceled"


@dataclass(frozen=True, slots=True)
class BackfillRow:
    id: str
    account: int
    job: str
    start: datetime
    end: datetime
    reprocess: str
    concurrency: int
    order: str
    slots: int
    state: str  # Running | Canceled (Done is worked out from the batches)
    created_at: datetime
    ended_at: datetime | None


def _row(r: sa.Row[tuple[object, ...]]) -> BackfillRow:
    m = r._mapping
    return BackfillRow(
        m["id"], m["account_id"], m["job_name"], m["from_time"], m["to_time"], m["reprocess"],
        m["concurrency"], m["slot_order"], m["slots"], m["state"], m["created_at"],
        m["ended_at"],
    )  # fmt: skip


def _waiting() -> list[str]:
    return sorted(s.value for s in WAITING)


def _executing() -> list[str]:
    return sorted(s.value for s in EXECUTING)


def insert(conn: sa.Connection, row: BackfillRow) -> None:
    conn.execute(
        sa.insert(backfills).values(
            id=row.id, account_id=row.account, job_name=row.job, from_time=row.start,
            to_time=row.end, reprocess=row.reprocess, concurrency=row.concurrency,
            slot_order=row.order, slots=row.slots, state=row.state, created_at=row.created_at,
            ended_at=row.ended_at,
        )
    )  # fmt: skip


def get(conn: sa.Connection, account: int, backfill: str) -> BackfillRow | None:
    """The backfill `backfill` of `account` (None for another account's)."""
    row = conn.execute(
        sa.select(backfills).where(backfills.c.id == backfill, backfills.c.account_id == account)
    ).first()
    return None if row is None else _row(row)


def counts(conn: sa.Connection, account: int, backfill: str) -> dict[str, int]:
    """Its batches (and their depend children) by status."""
    rows = conn.execute(
        sa.select(batches.c.status, sa.func.count())
        .where(batches.c.account_id == account, batches.c.backfill_id == backfill)
        .group_by(batches.c.status)
    )
    return {status: int(n) for status, n in rows}


def slot_history(
    conn: sa.Connection, account: int, job: str, start: datetime, end: datetime
) -> list[tuple[datetime, int, BatchStatus]]:
    """(batchTime, runId, status) of the job's batches with a batchTime in [start, end]. A
    Failed batch waiting for an automatic retry is told as Restarting, the status its retry
    gives it: its slot is being filled (neither `missing` nor `failed` queues it again)."""
    # Read as stored and parsed here: the column type's own result processing costs ~40 us a
    # row, and a range backfilled before holds as many rows as slots.
    raw = sa.type_coerce(batches.c.batch_time, sa.String)
    retrying = batches.c.retry_at.is_not(None)
    rows = conn.execute(
        sa.select(raw, batches.c.run_id, batches.c.status, retrying).where(
            batches.c.account_id == account, batches.c.job_name == job,
            batches.c.batch_time >= start, batches.c.batch_time <= end,
        )
    )  # fmt: skip
    return [
        (_utc(t), r, S.RESTARTING if s == S.FAILED.value and again else BatchStatus(s))
        for t, r, s, again in rows
    ]


def _utc(value: object) -> datetime:
    """A stored UTC time: a datetime (PostgreSQL) or SQLite's 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def waiting_in_account(conn: sa.Connection, account: int) -> int:
    """How many batches wait (queued, not yet executing) in the account's backfills."""
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(batches.join(backfills, batches.c.backfill_id == backfills.c.id))
            .where(backfills.c.account_id == account, batches.c.status.in_(_waiting()))
        ).scalar_one()
    )


def lock_job(conn: sa.Connection, account: int, job: str) -> None:
    """Make this transaction the only one queueing a backfill of `job` until it ends, so what
    it reads of the slots' batches is still true when it queues (SQLite: the write lock,
    BEGIN IMMEDIATE; PostgreSQL: the job's row). Call first in a fresh transaction."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    conn.execute(
        sa.select(jobs.c.name)
        .where(jobs.c.account_id == account, jobs.c.name == job)
        .with_for_update()
    )


def allocate_run_ids(conn: sa.Connection, account: int, job: str, count: int) -> int:
    """Reserve `count` consecutive run ids of `job` (never reused); the first of them
    (`store.batches.allocate_run_ids`: the counter other writers of the job advance too)."""
    return batch_store.allocate_run_ids(conn, account, job, count)


def queue(
    conn: sa.Connection, account: int, job: str, backfill: str, slots: Sequence[datetime],
    first_run_id: int, params: dict[str, str], now: datetime,
) -> None:  # fmt: skip
    """Insert one Ready batch per slot (run ids from `first_run_id`, in the order given), in
    one statement: a 10,000-slot backfill is queued in well under a second."""
    if not slots:
        return
    # SQLAlchemy's executemany costs ~60 us a row in parameter handling; here each value is
    # converted once by its column type's own bind processor (the UTC datetimes and JSON
    # stored exactly as any other write stores them) and the driver's executemany gets the
    # rows: ~10x less. What every row shares is converted once.
    dialect = conn.dialect
    columns = ("account_id", "job_name", "run_id", "batch_time", "status", "params", "message",
               "rerun_count", "queued_at", "uid", "backfill_id", "retries")  # fmt: skip
    statement = sa.insert(batches).values(
        {c: sa.bindparam(c, type_=batches.c[c].type) for c in columns}
    )
    compiled = statement.compile(dialect=dialect)

    def stored(column: str, value: object) -> object:
        convert = batches.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        return value if convert is None else convert(value)

    shared = {
        "account_id": account, "job_name": job, "status": BORN.value,
        "params": stored("params", params), "message": "", "rerun_count": 0,
        "queued_at": stored("queued_at", now), "backfill_id": backfill, "retries": 0,
    }  # fmt: skip
    when = batches.c.batch_time.type.dialect_impl(dialect).bind_processor(dialect) or _as_is
    uids = os.urandom(16 * len(slots)).hex()  # 128 random bits each, as store.batches.new_uid
    rows = [
        {**shared, "run_id": first_run_id + i, "batch_time": when(slot),
         "uid": uids[32 * i : 32 * i + 32]}
        for i, slot in enumerate(slots)
    ]  # fmt: skip
    if compiled.positional:
        order = compiled.positiontup or ()
        conn.exec_driver_sql(str(compiled), [tuple(r[k] for k in order) for r in rows])
    else:
        conn.exec_driver_sql(str(compiled), rows)


def cancel(
    conn: sa.Connection, account: int, backfill: str, now: datetime
) -> list[tuple[str, int]]:
    """Cancel the backfill: its waiting batches become Canceled, its running ones Cancelling
    (their runner ends them), through store.batches.move (§7.2); the (job, runId) to end."""
    conn.execute(
        sa.update(backfills)
        .where(backfills.c.id == backfill, backfills.c.account_id == account)
        .values(state=CANCELED_STATE, ended_at=now)
    )
    rows = conn.execute(
        sa.select(batches.c.job_name, batches.c.run_id, batches.c.status).where(
            batches.c.account_id == account, batches.c.backfill_id == backfill,
            batches.c.status.in_([*_waiting(), S.RUNNING.value]),
        )
    ).all()  # fmt: skip
    waiting: dict[str, list[int]] = {}
    running: list[tuple[str, int]] = []
    for job, run_id, status in rows:
        if status == S.RUNNING.value:
            running.append((job, run_id))
        else:
            waiting.setdefault(job, []).append(run_id)
    message = f"backfill {backfill} canceled"
    for job, run_ids in waiting.items():
        for i in range(0, len(run_ids), _CHUNK):
            batch_store.move(conn, account, job, run_ids[i : i + _CHUNK], sorted(WAITING),
                             status=S.CANCELED, end_time=now, message=message)  # fmt: skip
    moved = []
    for job, run_id in running:
        if batch_store.move(conn, account, job, run_id, [S.RUNNING], status=S.CANCELLING):
            moved.append((job, run_id))
    for job, run_id in _retrying(conn, account, backfill):  # a due retry would run it again
        retry_store.stop_pending(conn, account, job, run_id)
    return moved


def _retrying(conn: sa.Connection, account: int, backfill: str) -> list[tuple[str, int]]:
    """(job, runId) of the backfill's Failed batches waiting for an automatic retry."""
    rows = conn.execute(
        sa.select(batches.c.job_name, batches.c.run_id).where(
            batches.c.account_id == account, batches.c.backfill_id == backfill,
            batches.c.status == S.FAILED.value, batches.c.retry_at.is_not(None),
        )
    )  # fmt: skip
    return [(r.job_name, r.run_id) for r in rows]


def retrying(conn: sa.Connection, account: int, backfill: str) -> int:
    """How many of the backfill's Failed batches wait for an automatic retry."""
    return len(_retrying(conn, account, backfill))


def delete_job_backfills(conn: sa.Connection, account: int, job: str) -> None:
    """The job is deleted (its batches are): its backfills go too."""
    conn.execute(
        sa.delete(backfills).where(backfills.c.account_id == account, backfills.c.job_name == job)
    )


# --- the runner's reads --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Executing:
    """A batch executing now, as the caps count it."""

    account: int
    job: str
    backfill: str | None
    units: int


def executing(conn: sa.Connection) -> list[Executing]:
    """Every executing batch (Running or Cancelling) of every account."""
    rows = conn.execute(_executing_query())
    return [Executing(a, j, b, u or 1) for a, j, b, u in rows]


@cache
def _executing_query() -> sa.Select[Any]:
    """`executing`'s SELECT, built once: the claim runs it at every dispatcher pass."""
    return sa.select(
        batches.c.account_id, batches.c.job_name, batches.c.backfill_id, batches.c.units
    ).where(batch_store.status_in(_executing()))


def executing_and_lanes(conn: sa.Connection) -> tuple[list[Executing], list[Lane]]:
    """`executing` and `lanes` in one statement (a UNION ALL; the claim reads both whenever
    fresh batches wait: one statement less on a trigger's path, docs/performance.md,
    "session 7, planpath"). Each part as its own function gives it, lanes oldest first."""
    running: list[Executing] = []
    found: list[Lane] = []
    for kind, account, job, backfill, number, _ in conn.execute(_executing_and_lanes_query()):
        if kind == 0:
            running.append(Executing(account, job, backfill, number or 1))
        else:
            found.append(Lane(backfill, account, job, number))
    return running, found


@cache
def _executing_and_lanes_query() -> sa.Select[Any]:
    """`executing_and_lanes`' statement, built once: (kind: 0 executing, 1 lane; account;
    job; backfill id; units or concurrency; the backfill's created_at, for the lanes' order)."""
    running = sa.select(
        sa.literal(0, sa.Integer).label("kind"), batches.c.account_id, batches.c.job_name,
        batches.c.backfill_id, batches.c.units,
        sa.cast(sa.null(), backfills.c.created_at.type).label("created_at"),
    ).where(batch_store.status_in(_executing()))  # fmt: skip
    waiting = sa.select(
        sa.literal(1, sa.Integer), backfills.c.account_id, backfills.c.job_name,
        backfills.c.id, backfills.c.concurrency, backfills.c.created_at,
    ).where(_has_waiting())  # fmt: skip
    union = sa.union_all(running, waiting).subquery()
    return sa.select(union).order_by(union.c.kind, union.c.created_at, union.c.backfill_id)


@dataclass(frozen=True, slots=True)
class Lane:
    """A backfill with batches waiting: its id, job and concurrency."""

    id: str
    account: int
    job: str
    concurrency: int


def lanes(conn: sa.Connection) -> list[Lane]:
    """Backfills with waiting batches, oldest first (whatever their state: a batch of a
    finished backfill that was rerun waits in its backfill's queue)."""
    return [Lane(i, a, j, c) for i, a, j, c in conn.execute(_lanes_query())]


@cache
def _lanes_query() -> sa.Select[Any]:
    """`lanes`' SELECT, built once: the claim runs it at every dispatcher pass."""
    return (
        sa.select(backfills.c.id, backfills.c.account_id, backfills.c.job_name,
                  backfills.c.concurrency)
        .where(_has_waiting())
        .order_by(backfills.c.created_at, backfills.c.id)
    )  # fmt: skip


def _has_waiting() -> sa.Exists:
    """A backfill has a batch waiting (Ready or Restarting) in its queue."""
    return (
        sa.select(batches.c.run_id)
        .where(batches.c.backfill_id == backfills.c.id, batch_store.status_in(_waiting()))
        .exists()
    )


def claimable_in(conn: sa.Connection, lane: Lane, limit: int) -> list[tuple[int, Batch]]:
    """Up to `limit` waiting batches of the backfill, next first: depend children of its
    batches before its further slots (a slot's whole chain completes early), then by run id
    (the backfill's order). Locked for the caller's claim as `store.batches.claimable` is."""
    if limit <= 0:
        return []
    rows = conn.execute(
        sa.select(batches)
        .where(batches.c.backfill_id == lane.id, batches.c.status.in_(_waiting()))
        .order_by(sa.case((batches.c.job_name == lane.job, 1), else_=0), batches.c.queued_at,
                  batches.c.run_id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    return [(r.account_id, _batch(r)) for r in rows]


def _as_is(value: Any) -> Any:
    """The value unchanged: a column type that needs no bind processing."""
    return value
