"""Schedule state of crontab/loop jobs in job_states: activate, deactivate, and the claims the
scheduler makes when slots come due.

A claim is exclusive: on PostgreSQL the due rows are locked with `FOR UPDATE SKIP LOCKED` (a row
another node is firing is skipped, and once that node commits its next_fire is in the future);
on SQLite the transaction takes the write lock first (`BEGIN IMMEDIATE`). Every update is also a
compare-and-set on next_fire, and the batches are inserted in the same transaction, so one slot
of one job is fired at most once however many processes share the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidemill.core.batches import ACTIVE, BORN
from tidemill.core.models import SchedulerMode
from tidemill.core.schedules import LastBatch, ScheduleSpec
from tidemill.store.batches import new_uid
from tidemill.store.tables import UTCDateTime, batches, job_states

_ACTIVE = [s.value for s in ACTIVE]


def _key(account: int, job: str) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    return job_states.c.account_id == account, job_states.c.job_name == job


def _upsert(conn: sa.Connection, account: int, job: str, values: dict[str, Any]) -> None:
    if conn.execute(sa.update(job_states).where(*_key(account, job)).values(**values)).rowcount:
        return
    defaults = {"next_run_id": 1, "active": False, "start_params": {}, "waiting": False}
    conn.execute(
        sa.insert(job_states).values(account_id=account, job_name=job, **{**defaults, **values})
    )


def activate(
    conn: sa.Connection,
    account: int,
    job: str,
    spec: ScheduleSpec,
    params: dict[str, str],
    next_fire: datetime,
) -> None:
    """Start the schedule: it fires first at `next_fire`, with `params` for every batch."""
    _upsert(conn, account, job, {
        "active": True, "start_params": params, "schedule_kind": spec.kind.value,
        "schedule_expr": spec.expression, "next_fire": next_fire, "waiting": False,
        "last_run": None, "last_fire": None,
    })  # fmt: skip


def deactivate(conn: sa.Connection, account: int, job: str) -> None:
    conn.execute(
        sa.update(job_states)
        .where(*_key(account, job))
        .values(active=False, start_params={}, next_fire=None, waiting=False)
    )


def replace_schedule(
    conn: sa.Connection, account: int, job: str, spec: ScheduleSpec, next_fire: datetime
) -> None:
    """A started job's definition changed: the new schedule applies from `next_fire`."""
    conn.execute(
        sa.update(job_states)
        .where(*_key(account, job), job_states.c.active.is_(True))
        .values(schedule_kind=spec.kind.value, schedule_expr=spec.expression,
                next_fire=next_fire, waiting=False)
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScheduleState:
    spec: ScheduleSpec
    next_fire: datetime | None  # None while a loop waits for its running batch
    last_fire: datetime | None


def state_from_row(row: Any) -> ScheduleState | None:
    """The started schedule of a row holding `job_states` columns (active, schedule_kind,
    schedule_expr, next_fire, last_fire); None when it is not started."""
    if not row.active or row.schedule_kind is None:
        return None
    spec = ScheduleSpec(SchedulerMode(row.schedule_kind), row.schedule_expr or "")
    return ScheduleState(spec, row.next_fire, row.last_fire)


_STATE_COLUMNS = (
    job_states.c.job_name, job_states.c.active, job_states.c.schedule_kind,
    job_states.c.schedule_expr, job_states.c.next_fire, job_states.c.last_fire,
)  # fmt: skip


# Built once: building and cache-keying the statement cost more than running it (GetJob reads
# it on every request; docs/performance.md).
_ONE_STATE = sa.select(*_STATE_COLUMNS).where(
    job_states.c.account_id == sa.bindparam("account"),
    job_states.c.job_name == sa.bindparam("job"),
)


def active_schedule(conn: sa.Connection, account: int, job: str) -> ScheduleState | None:
    """The schedule of `job` if it is started."""
    row = conn.execute(_ONE_STATE, {"account": account, "job": job}).first()
    return None if row is None else state_from_row(row)


def active_schedules(conn: sa.Connection, account: int) -> dict[str, ScheduleState]:
    """Every started schedule of the account, by job name."""
    rows = conn.execute(
        sa.select(*_STATE_COLUMNS).where(
            job_states.c.account_id == account, job_states.c.active.is_(True)
        )
    )
    return {row.job_name: state for row in rows if (state := state_from_row(row)) is not None}


# --- the scheduler's side --------------------------------------------------------------------


def lock_for_firing(conn: sa.Connection) -> None:
    """Make this transaction the only writer before reading due rows (SQLite: BEGIN IMMEDIATE;
    PostgreSQL locks the rows themselves in `due`). Call first in a fresh transaction."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True, slots=True)
class Due:
    """A job whose next_fire has come, with what firing it needs."""

    account: int
    job: str
    spec: ScheduleSpec
    next_fire: datetime
    next_run_id: int
    params: dict[str, str]
    last: LastBatch | None  # the batch it fired last, if it still exists


def due(conn: sa.Connection, now: datetime, limit: int) -> list[Due]:
    """Up to `limit` jobs due at `now`, earliest first, locked for this transaction."""
    last = batches.alias("last")
    query = (
        sa.select(job_states, last.c.status, last.c.batch_time, last.c.end_time)
        .select_from(job_states.outerjoin(last, sa.and_(
            last.c.account_id == job_states.c.account_id,
            last.c.job_name == job_states.c.job_name,
            last.c.run_id == job_states.c.last_run,
        )))
        .where(job_states.c.next_fire <= now, job_states.c.active.is_(True))
        .order_by(job_states.c.next_fire)
        .limit(limit)
    )  # fmt: skip
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=job_states)
    found = []
    for row in conn.execute(query):
        previous = None
        if row.status is not None:
            previous = LastBatch(
                start=row.batch_time,
                end=row.end_time,
                active=row.status in _ACTIVE,
            )
        found.append(
            Due(row.account_id, row.job_name,
                ScheduleSpec(SchedulerMode(row.schedule_kind), row.schedule_expr or ""),
                row.next_fire, row.next_run_id, dict(row.start_params or {}), previous)
        )  # fmt: skip
    return found


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to write back for one due job: its new next_fire, and the slot fired, if any."""

    due: Due
    next_fire: datetime | None
    waiting: bool = False
    slot: datetime | None = None


class LostClaimError(RuntimeError):
    """A due row changed under a claim that should have been exclusive (a bug, not a race)."""


def settle(conn: sa.Connection, outcomes: Sequence[Outcome], now: datetime) -> int:
    """Write the outcomes of one claim and insert a Ready batch per slot fired; the count."""
    fired = [o for o in outcomes if o.slot is not None]
    moved = [o for o in outcomes if o.slot is None]
    key = sa.and_(
        job_states.c.account_id == sa.bindparam("k_account"),
        job_states.c.job_name == sa.bindparam("k_job"),
        job_states.c.next_fire == sa.bindparam("k_old"),
        job_states.c.active.is_(True),
    )
    changed = 0
    if moved:
        result = conn.execute(
            sa.update(job_states).where(key).values(
                next_fire=sa.bindparam("v_next"), waiting=sa.bindparam("v_waiting")),
            [{"k_account": o.due.account, "k_job": o.due.job, "k_old": o.due.next_fire,
              "v_next": o.next_fire, "v_waiting": o.waiting} for o in moved],
        )  # fmt: skip
        changed += result.rowcount
    if fired:
        result = conn.execute(
            sa.update(job_states).where(key).values(
                next_fire=sa.bindparam("v_next"), waiting=sa.bindparam("v_waiting"),
                last_run=sa.bindparam("v_run"), last_fire=sa.bindparam("v_slot"),
                next_run_id=sa.bindparam("v_run", type_=sa.Integer) + 1),
            [{"k_account": o.due.account, "k_job": o.due.job, "k_old": o.due.next_fire,
              "v_next": o.next_fire, "v_waiting": o.waiting, "v_run": o.due.next_run_id,
              "v_slot": o.slot} for o in fired],
        )  # fmt: skip
        changed += result.rowcount
    if conn.dialect.supports_sane_multi_rowcount and changed != len(outcomes):
        raise LostClaimError(f"claimed {len(outcomes)} due schedules but updated {changed}")
    if fired:
        conn.execute(
            sa.insert(batches),
            [{"account_id": o.due.account, "job_name": o.due.job, "run_id": o.due.next_run_id,
              "batch_time": o.slot, "status": BORN.value, "params": o.due.params,
              "start_time": None, "end_time": None, "message": "", "rerun_count": 0,
              "queued_at": now, "uid": new_uid()} for o in fired],
        )  # fmt: skip
    return len(fired)


# --- crontabs, fired by group -----------------------------------------------------------------
#
# Every crontab job due at one moment with one expression fires the same slot and moves to the
# same next fire time (`core.schedules.crontab_fire` reads nothing else), so the scheduler decides
# once per (expression, next_fire) group and fires the group with set-based statements: no row
# travels to Python and back (docs/performance.md, "Scheduler").


@dataclass(frozen=True, slots=True)
class DueGroup:
    """Crontab jobs due now that share an expression and a next fire time."""

    expression: str
    next_fire: datetime
    count: int


def due_crontabs(conn: sa.Connection, now: datetime) -> list[DueGroup]:
    """The started crontab schedules due at `now`, by (expression, next_fire), earliest first."""
    expr, next_fire = job_states.c.schedule_expr, job_states.c.next_fire
    rows = conn.execute(
        sa.select(expr, next_fire, sa.func.count())
        .where(*_crontab_due(now))
        .group_by(expr, next_fire)
        .order_by(next_fire)
    )
    return [DueGroup(e or "", when, n) for e, when, n in rows]


def crontabs_due_at(conn: sa.Connection, moment: datetime) -> int:
    """How many started crontab schedules fire next at `moment` (the next_fire index)."""
    query = sa.select(sa.func.count()).where(
        job_states.c.next_fire == moment,
        job_states.c.active.is_(True),
        job_states.c.schedule_kind == SchedulerMode.CRONTAB.value,
    )
    return int(conn.execute(query).scalar() or 0)


def _crontab_due(now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        job_states.c.next_fire <= now,
        job_states.c.active.is_(True),
        job_states.c.schedule_kind == SchedulerMode.CRONTAB.value,
    )


def _in_group(group: DueGroup) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        job_states.c.next_fire == group.next_fire,
        job_states.c.active.is_(True),
        job_states.c.schedule_kind == SchedulerMode.CRONTAB.value,
        sa.func.coalesce(job_states.c.schedule_expr, "") == group.expression,
    )


def _uid(conn: sa.Connection) -> sa.ColumnElement[str]:
    """A new batch uid computed by the database: 128 random bits in 32 hex digits, as `new_uid`."""
    if conn.dialect.name == "postgresql":
        return sa.func.replace(sa.cast(sa.func.gen_random_uuid(), sa.String), "-", "")
    return sa.func.lower(sa.func.hex(sa.func.randomblob(16)))


_BATCH_COLUMNS = (
    "account_id", "job_name", "run_id", "batch_time", "status", "params", "start_time",
    "end_time", "message", "rerun_count", "queued_at", "uid", "retries",
)  # fmt: skip


def fire_crontabs(
    conn: sa.Connection,
    group: DueGroup,
    slot: datetime,
    next_fire: datetime,
    now: datetime,
    limit: int,
) -> int:
    """Fire `slot` for up to `limit` jobs of `group`: queue one Ready batch each (queued_at
    `now`) and move their next fire to `next_fire` (> the group's), in this transaction; the
    count. SQLite: call `lock_for_firing` first. Jobs another node holds (PostgreSQL) or that
    changed since `due_crontabs` are left alone: whoever holds them fires them."""
    ids = (job_states.c.account_id, job_states.c.job_name)
    fired_values = {
        "next_fire": next_fire, "waiting": False, "last_fire": slot,
        "last_run": job_states.c.next_run_id, "next_run_id": job_states.c.next_run_id + 1,
    }  # fmt: skip

    def batch(*columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        """The batch row from (account_id, job_name, run_id, params) of a fired job."""
        account, job, run, params = columns
        return sa.select(
            account, job, run, sa.literal(slot, UTCDateTime), sa.literal(BORN.value), params,
            sa.null(), sa.null(), sa.literal(""), sa.literal(0), sa.literal(now, UTCDateTime),
            _uid(conn), sa.literal(0),
        )  # fmt: skip

    if conn.dialect.name == "postgresql":
        # One statement: lock the claim (rows another node holds are skipped), move them (the
        # compare-and-set on next_fire is checked again on the locked row), and queue a batch
        # for each row actually moved, from what the update returns.
        held = (
            sa.select(*ids)
            .where(*_in_group(group))
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("claimed")
        )
        moved = (
            sa.update(job_states)
            .where(*(c == held.c[c.name] for c in ids), *_in_group(group))
            .values(**fired_values)
            .returning(*ids, job_states.c.last_run, job_states.c.start_params)
            .cte("moved")
        )
        rows = batch(moved.c.account_id, moved.c.job_name, moved.c.last_run, moved.c.start_params)
        queue = sa.insert(batches).from_select(_BATCH_COLUMNS, rows).returning(batches.c.run_id)
        return len(conn.execute(queue).all())  # (psycopg reports no rowcount for this form)
    # SQLite: this transaction holds the write lock, so the claim cannot change between queueing
    # the batches and moving the rows; ordered by rowid (the order of the next_fire index within
    # one next_fire, so no sort), it names the same rows in both statements.
    rowid: sa.ColumnClause[int] = sa.column("rowid", sa.Integer)
    claimed = sa.select(rowid).select_from(job_states).where(*_in_group(group))
    mine = rowid.in_(claimed.order_by(rowid).limit(limit))
    rows = batch(*ids, job_states.c.next_run_id, job_states.c.start_params).where(mine)
    queued = conn.execute(sa.insert(batches).from_select(_BATCH_COLUMNS, rows)).rowcount
    moved_count = conn.execute(sa.update(job_states).where(mine).values(**fired_values)).rowcount
    if queued != moved_count:
        raise LostClaimError(f"queued {queued} batches but moved {moved_count} schedules")
    return int(queued)


def park_crontabs(conn: sa.Connection, group: DueGroup) -> list[tuple[int, str]]:
    """Stop firing `group` (its expression no longer parses): next_fire NULL; the jobs."""
    ids = (job_states.c.account_id, job_states.c.job_name)
    rows = conn.execute(
        sa.update(job_states)
        .where(*_in_group(group))
        .values(next_fire=None, waiting=False)
        .returning(*ids)
    )
    return [(account, job) for account, job in rows]


def release_waiting(conn: sa.Connection, now: datetime) -> int:
    """Loops waiting for a batch that has since ended become due now; how many."""
    still_active = sa.exists().where(
        batches.c.account_id == job_states.c.account_id,
        batches.c.job_name == job_states.c.job_name,
        batches.c.run_id == job_states.c.last_run,
        batches.c.status.in_(_ACTIVE),
    )
    result = conn.execute(
        sa.update(job_states)
        .where(job_states.c.waiting.is_(True), job_states.c.active.is_(True), ~still_active)
        .values(waiting=False, next_fire=now)
    )
    return int(result.rowcount)


def earliest_fire(conn: sa.Connection) -> datetime | None:
    """The earliest next_fire of any active schedule."""
    value = conn.execute(sa.select(sa.func.min(job_states.c.next_fire))).scalar()
    return value if isinstance(value, datetime) else None


def any_waiting(conn: sa.Connection) -> bool:
    return conn.execute(_ANY_WAITING).first() is not None


# Built once: the runner asks at every batch's end (`Runner.wake_waiting_loops`).
_ANY_WAITING = sa.select(job_states.c.job_name).where(job_states.c.waiting.is_(True)).limit(1)
