"""Reads and writes of batches and per-job run state, scoped to an account."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidemill.core.batches import (
    ACTIVE,
    BORN,
    EXECUTING,
    WAITING,
    Batch,
    BatchStatus,
    HistoryQuery,
    check_move,
    sort_key,
)
from tidemill.errors import Failure, StateError
from tidemill.store.tables import batches, job_states

_COLUMNS = {
    "runId": batches.c.run_id,
    "batchTime": batches.c.batch_time,
    "startTime": batches.c.start_time,
    "endTime": batches.c.end_time,
}


def _batch(row: Any) -> Batch:
    return Batch(
        job_name=row.job_name,
        run_id=row.run_id,
        batch_time=row.batch_time,
        status=BatchStatus(row.status),
        params=dict(row.params or {}),
        start_time=row.start_time,
        end_time=row.end_time,
        message=row.message,
        rerun_count=row.rerun_count,
        result_rows=row.result_rows,
        uid=row.uid,
        backfill_id=row.backfill_id,
    )


def _values(statuses: frozenset[BatchStatus]) -> list[str]:
    return sorted(s.value for s in statuses)


def status_in(statuses: Iterable[str]) -> sa.ColumnElement[bool]:
    """`batches.status IN (...)` of a fixed set, one bound value each: for statements built
    once. `in_` of a list binds it as one "expanding" parameter, whose SQL is rendered again
    at every execution (~12-20 us of CPU a statement on SQLite, docs/performance.md,
    "session 8, serverpath8")."""
    return batches.c.status.in_([sa.literal(s, batches.c.status.type) for s in sorted(statuses)])


def new_uid() -> str:
    """A batch identity unique for the life of the installation (128 random bits, hex)."""
    return uuid.uuid4().hex


def _job_filter(account: int, job: str) -> list[sa.ColumnElement[bool]]:
    return [batches.c.account_id == account, batches.c.job_name == job]


def allocate_run_id(conn: sa.Connection, account: int, job: str) -> int:
    """The next run id of `job` (1, 2, 3, ...; never reused)."""
    return allocate_run_ids(conn, account, job, 1)


def allocate_run_ids(conn: sa.Connection, account: int, job: str, count: int) -> int:
    """Reserve `count` consecutive run ids of `job` (never reused); the first of them.

    One statement, an upsert: the job's counter row is made (a job never run has none) or
    advanced, and read back. Two transactions taking a job's first run ids at once (two
    batches of a depend child's parent ending together, on two slots or two nodes) then take
    turns on the row: with an UPDATE and, finding no row, an INSERT, PostgreSQL let both insert and
    failed the second on the primary key (docs/decisions.md, "session 6, breaker2")."""
    statement = _next_run_ids(conn.dialect.name)
    key = {"s_account": account, "s_job": job, "s_count": count}
    return int(conn.execute(statement, key).scalar_one()) - count


@functools.cache
def _next_run_ids(dialect: str) -> sa.Insert:
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING (SQLite 3.35+, PostgreSQL) of the run id
    counter, with bind parameters; built once per dialect (a depend child's batch is allocated
    in its parent's outcome transaction, on the hand-off's path)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    count = sa.bindparam("s_count", type_=sa.Integer)
    return (
        insert(job_states)
        .values(account_id=sa.bindparam("s_account"), job_name=sa.bindparam("s_job"),
                next_run_id=count + 1, active=False, start_params={})
        .on_conflict_do_update(
            index_elements=[job_states.c.account_id, job_states.c.job_name],
            set_={"next_run_id": job_states.c.next_run_id + count},
        )
        .returning(job_states.c.next_run_id)
    )  # fmt: skip


def insert_batch(conn: sa.Connection, account: int, batch: Batch, now: datetime) -> None:
    """Store a new batch; it is born Ready (§7.2), else StateError (INTERNAL: a bug)."""
    if batch.status is not BORN:
        raise StateError(
            Failure.INTERNAL,
            f"batch {batch.run_id} of job {batch.job_name!r} cannot be created "
            f"{batch.status.value}: a new batch is {BORN.value} (spec §7.2)",
        )
    conn.execute(
        _INSERT_BATCH,
        {
            "account_id": account,
            "job_name": batch.job_name,
            "run_id": batch.run_id,
            "batch_time": batch.batch_time,
            "status": batch.status.value,
            "params": batch.params,
            "start_time": batch.start_time,
            "end_time": batch.end_time,
            "message": batch.message,
            "rerun_count": batch.rerun_count,
            "queued_at": now,
            "uid": batch.uid or new_uid(),
            "backfill_id": batch.backfill_id,
        },
    )


# Built once: the columns come with each execution's parameters (a start's POST, a depend
# child's insert in its parent's outcome transaction).
_INSERT_BATCH = sa.insert(batches)


# One batch by its key, built once (bind parameters): building and hashing the statement
# cost ~3x its execution on SQLite, and the runner reads a batch at every end and pass.
_ONE_BATCH = sa.select(batches).where(
    batches.c.account_id == sa.bindparam("account"),
    batches.c.job_name == sa.bindparam("job"),
    batches.c.run_id == sa.bindparam("run_id"),
)


def get_batch(conn: sa.Connection, account: int, job: str, run_id: int) -> Batch | None:
    """The batch `run_id` of `job`; -1 means the latest one."""
    if run_id == -1:
        query = sa.select(batches).where(*_job_filter(account, job))
        row = conn.execute(query.order_by(batches.c.run_id.desc()).limit(1)).first()
    else:
        key = {"account": account, "job": job, "run_id": run_id}
        row = conn.execute(_ONE_BATCH, key).first()
    return None if row is None else _batch(row)


def history(
    conn: sa.Connection, account: int, job: str, q: HistoryQuery
) -> tuple[int, list[Batch]]:
    """(total matching before paging, the page) of `job`'s batches."""
    where = _job_filter(account, job)
    if q.status is not None:
        where.append(batches.c.status == q.status.value)
    if q.run_id is not None:
        latest = get_batch(conn, account, job, q.run_id)
        if latest is None or (q.status is not None and latest.status is not q.status):
            return 0, []
        where.append(batches.c.run_id == latest.run_id)
    total = int(
        conn.execute(sa.select(sa.func.count()).select_from(batches).where(*where)).scalar_one()
    )
    query = sa.select(batches).where(*where)
    limits = q.limits
    column = _COLUMNS.get(q.sort_by)
    if column is None:  # duration: sorted here, it is not a column
        rows = sorted((_batch(r) for r in conn.execute(query)), key=sort_key(q.sort_by),
                      reverse=q.descending)  # fmt: skip
        return total, rows if limits is None else rows[limits[0] : limits[0] + limits[1]]
    order = column.desc() if q.descending else column.asc()
    query = query.order_by(order, batches.c.run_id.desc() if q.descending else batches.c.run_id)
    if limits is not None:
        query = query.offset(limits[0]).limit(limits[1])
    return total, [_batch(r) for r in conn.execute(query)]


def move(
    conn: sa.Connection,
    account: int,
    job: str,
    run_id: int | Sequence[int],
    expected: Sequence[BatchStatus],
    **values: Any,
) -> bool:
    """Update the batch if its status is still one of `expected`; whether it was.

    The one place a batch's status changes. With `status` in `values`, every move from an
    `expected` status to it must be in core.batches.MOVES (§7.2), else StateError (INTERNAL:
    a bug) before anything is written; as the update applies only while the status is one of
    `expected`, no stored move is ever outside the table. Without `status` the status stays.
    Several run ids of the job (a backfill's cancel) move together: whether any moved.
    """
    if not expected:
        raise ValueError("move: name the statuses the batch may be in")
    if "status" in values:
        target = BatchStatus(values["status"])
        for current in expected:
            check_move(current, target, f"batch {run_id} of job {job!r}")
        values["status"] = target.value
    several = not isinstance(run_id, int)
    if any(isinstance(v, sa.ClauseElement) for v in values.values()):  # a rerun's counters
        return bool(conn.execute(
            sa.update(batches)
            .where(*_job_filter(account, job),
                   batches.c.run_id == run_id if isinstance(run_id, int)
                   else batches.c.run_id.in_(list(run_id)),
                   batches.c.status.in_([s.value for s in expected]))
            .values(**values)
        ).rowcount)  # fmt: skip
    shape = (tuple(values), several, len(expected))
    statement = _MOVES.get(shape)
    if statement is None:  # built once per shape (two threads may both build it: no matter)
        run_ids: sa.BindParameter[Any] = sa.bindparam("m_run_id", expanding=several)
        # One parameter per expected status, not one expanding list (`status_in`).
        known: list[sa.BindParameter[Any]] = [
            sa.bindparam(f"m_expected_{i}") for i in range(len(expected))
        ]
        statement = _MOVES[shape] = (
            sa.update(batches)
            .where(batches.c.account_id == sa.bindparam("m_account"),
                   batches.c.job_name == sa.bindparam("m_job"),
                   batches.c.run_id.in_(run_ids) if several else batches.c.run_id == run_ids,
                   batches.c.status.in_(known))
            .values({batches.c[name]: sa.bindparam(f"v_{name}", type_=batches.c[name].type)
                     for name in values})
        )  # fmt: skip
    params = {f"v_{name}": value for name, value in values.items()}
    params.update(m_account=account, m_job=job,
                  m_run_id=run_id if isinstance(run_id, int) else list(run_id))  # fmt: skip
    params.update((f"m_expected_{i}", s.value) for i, s in enumerate(expected))
    return bool(conn.execute(statement, params).rowcount)


# `move`'s UPDATE by shape (the columns it sets, one run id or several, how many statuses it
# may be in), built with bind parameters once: building a statement costs several times its
# execution on SQLite, and every batch moves at least twice (claim, end) on the path from
# trigger to Successful.
_MOVES: dict[tuple[tuple[str, ...], bool, int], sa.Update] = {}


def active_batches(conn: sa.Connection, account: int, job: str) -> list[Batch]:
    rows = conn.execute(_ACTIVE_BATCHES, {"account": account, "job": job})
    return [_batch(r) for r in rows]


# Built once (bind parameters): a start's POST reads it before queuing its batch.
_ACTIVE_BATCHES = (
    sa.select(batches)
    .where(batches.c.account_id == sa.bindparam("account"),
           batches.c.job_name == sa.bindparam("job"),
           status_in(_values(ACTIVE)))
    .order_by(batches.c.run_id)
)  # fmt: skip


def running_jobs(conn: sa.Connection) -> set[tuple[int, str]]:
    """(account, job) pairs that have a batch executing (at most one each, §7.6)."""
    rows = conn.execute(
        sa.select(batches.c.account_id, batches.c.job_name)
        .where(batches.c.status.in_(_values(EXECUTING)))
        .distinct()
    )
    return {(r.account_id, r.job_name) for r in rows}


def orphans(conn: sa.Connection, now: datetime, *, every: bool = False) -> list[tuple[int, Batch]]:
    """Executing batches whose lease lapsed (or all of them: a single node just restarted)."""
    # A Restarting batch is queued for a rerun, not executing: it has no lease to lapse.
    query = sa.select(batches).where(batches.c.status.in_(_values(EXECUTING)))
    if not every:
        query = query.where(sa.or_(batches.c.lease_until.is_(None), batches.c.lease_until < now))
    rows = conn.execute(query)
    return [(r.account_id, _batch(r)) for r in rows]


def hold_lease(
    conn: sa.Connection,
    account: int,
    job: str,
    run_id: int,
    owner: str,
    attempt: int,
    uid: str,
    *,
    stopping: bool = False,
) -> bool:
    """Whether `owner` still runs attempt `attempt` of the batch `uid`, locking it if so (the
    uid: a job deleted and made again has a run 1 and an attempt 0 of its own, often on the
    same node).

    The fencing check of a worker's publish: a no-op write to the batch row, so from here to the
    end of the transaction nobody can take the batch over (PostgreSQL locks the row, SQLite the
    database); the reaper, a stop and a rerun all change the row and so wait for the publish.
    False once the batch was stopped, settled by another process or rerun. `stopping`: a
    batch being stopped (Cancelling, not yet recorded) is still held by this attempt, for the
    runner's batch log of a worker it ended (`runner.worker.write_given_log`).
    """
    key = lease_parameters(account, job, run_id, owner, attempt, uid)
    return bool(conn.execute(_HOLD_STOPPING if stopping else _HOLD_LEASE, key).rowcount)


# Built once (bind parameters): a worker runs it once or twice per batch, on its critical path.
_HOLD_LEASE = (
    sa.update(batches)
    .where(batches.c.account_id == sa.bindparam("b_account"),
           batches.c.job_name == sa.bindparam("b_job"),
           batches.c.run_id == sa.bindparam("b_run_id"),
           batches.c.status == BatchStatus.RUNNING.value,
           batches.c.owner == sa.bindparam("b_owner"),
           batches.c.rerun_count == sa.bindparam("b_attempt"),
           batches.c.uid == sa.bindparam("b_uid"))
    .values(owner=batches.c.owner)
)  # fmt: skip
_HOLD_STOPPING = (
    sa.update(batches)
    .where(batches.c.account_id == sa.bindparam("b_account"),
           batches.c.job_name == sa.bindparam("b_job"),
           batches.c.run_id == sa.bindparam("b_run_id"),
           batches.c.status.in_([BatchStatus.RUNNING.value, BatchStatus.CANCELLING.value]),
           batches.c.owner == sa.bindparam("b_owner"),
           batches.c.rerun_count == sa.bindparam("b_attempt"),
           batches.c.uid == sa.bindparam("b_uid"))
    .values(owner=batches.c.owner)
)  # fmt: skip


def lease_parameters(
    account: int, job: str, run_id: int, owner: str, attempt: int, uid: str
) -> dict[str, Any]:
    """The bind parameters of `hold_lease_statement` (and `hold_lease`'s)."""
    return {"b_account": account, "b_job": job, "b_run_id": run_id, "b_owner": owner,
            "b_attempt": attempt, "b_uid": uid}  # fmt: skip


def hold_lease_statement() -> sa.Update:
    """`hold_lease`'s statement (not `stopping`; parameters: `lease_parameters`), for a
    caller that runs it compiled on a DBAPI connection of its own (`runner.fence`, on every
    batch's path; no expanding parameters in it)."""
    return _HOLD_LEASE


def hold_execution(
    conn: sa.Connection, account: int, job: str, run_id: int, owner: str, attempt: int, uid: str
) -> bool:
    """Whether attempt `attempt` of the batch `uid` is still `owner`'s and executing (Running, or
    Cancelling: stopped, its end not yet recorded), locking the row as `hold_lease` does: while
    it holds, no other attempt of the batch can start."""
    result = conn.execute(
        sa.update(batches)
        .where(*_job_filter(account, job), batches.c.run_id == run_id,
               batches.c.status.in_([s.value for s in EXECUTING]), batches.c.owner == owner,
               batches.c.rerun_count == attempt, batches.c.uid == uid)
        .values(owner=batches.c.owner)
    )  # fmt: skip
    return bool(result.rowcount)


def renew_lease(
    conn: sa.Connection, account: int, job: str, run_id: int, owner: str, until: datetime
) -> None:
    """Extend `owner`'s lease of one executing batch to `until`."""
    conn.execute(
        sa.update(batches)
        .where(*_job_filter(account, job), batches.c.run_id == run_id, batches.c.owner == owner,
               batches.c.status.in_(_values(EXECUTING)))
        .values(lease_until=until)
    )  # fmt: skip


def delete_job_batches(conn: sa.Connection, account: int, job: str) -> None:
    conn.execute(sa.delete(batches).where(*_job_filter(account, job)))
    conn.execute(
        sa.delete(job_states).where(
            job_states.c.account_id == account, job_states.c.job_name == job
        )
    )


def successful_at(
    conn: sa.Connection, account: int, job: str, batch_time: datetime
) -> Batch | None:
    """The latest successful batch of `job` with this batch time."""
    key = {"account": account, "job": job, "batch_time": batch_time}
    row = conn.execute(_SUCCESSFUL_AT, key).first()
    return None if row is None else _batch(row)


# Built once: a depend child's planning reads it on the hand-off's path.
_SUCCESSFUL_AT = (
    sa.select(batches)
    .where(batches.c.account_id == sa.bindparam("account"),
           batches.c.job_name == sa.bindparam("job"),
           batches.c.batch_time == sa.bindparam("batch_time"),
           batches.c.status == BatchStatus.SUCCESSFUL.value)
    .order_by(batches.c.run_id.desc())
    .limit(1)
)  # fmt: skip


def claimable(conn: sa.Connection, limit: int) -> list[tuple[int, Batch]]:
    """Fresh batches waiting to execute (Ready, or Restarting for a rerun), oldest first,
    locked for the caller's claim. Backfilled ones are not here: each backfill's queue is
    `store.backfills.claimable_in`, claimed after these (fresh work first, issue 14).

    On PostgreSQL the rows are locked here (FOR UPDATE) and those another runner is claiming
    are skipped (SKIP LOCKED): two nodes' dispatchers never wait on each other, so never
    deadlock (they did, claiming in an order that ties on queued_at left to chance). SQLite
    has no row locks (one writer at a time); the claim's compare-and-set still holds.
    """
    rows = conn.execute(_CLAIMABLE, {"limit": limit})
    return [(r.account_id, _batch(r)) for r in rows]


# Built once: the dispatcher runs it at every pass (each start and each hand-off).
_CLAIMABLE = (
    sa.select(batches)
    .where(status_in(_values(WAITING)), batches.c.backfill_id.is_(None))
    .order_by(batches.c.queued_at, batches.c.account_id, batches.c.job_name, batches.c.run_id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)


def count_waiting(conn: sa.Connection) -> int:
    """Batches of every account queued for a runner (Ready, Restarting): the queue's depth."""
    query = sa.select(sa.func.count()).select_from(batches)
    return int(conn.execute(query.where(batches.c.status.in_(_values(WAITING)))).scalar_one())


def executing_attempts(conn: sa.Connection, uids: Iterable[str]) -> set[tuple[str, int]]:
    """(uid, attempt) of those batches among `uids` that execute now (Running, Cancelling;
    attempt = rerun count): their workers' scratch directories are in use."""
    wanted = list(uids)
    if not wanted:
        return set()
    rows = conn.execute(
        sa.select(batches.c.uid, batches.c.rerun_count).where(
            batches.c.uid.in_(wanted), batches.c.status.in_(_values(EXECUTING))
        )
    )
    return {(str(r.uid), int(r.rerun_count)) for r in rows}
