"""Reads and writes of alert deliveries (`notify_deliveries`, migration 0008)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidemill.core.batches import BatchStatus
from tidemill.store.tables import batches, notify_deliveries

T = notify_deliveries
PENDING, DELIVERED, FAILED, DROPPED = "Pending", "Delivered", "Failed", "Dropped"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    account: int
    job: str
    url: str
    event: str
    run_id: int
    payload: dict[str, Any]
    status: str
    attempts: int
    last_at: datetime | None = None
    last_error: str = ""
    http_status: int | None = None


def _delivery(row: Any) -> Delivery:
    return Delivery(row.id, row.account_id, row.job_name, row.url, row.event, row.run_id,
                    dict(row.payload), row.status, row.attempts, row.last_at, row.last_error,
                    row.http_status)  # fmt: skip


def known(conn: sa.Connection, keys: Iterable[str]) -> set[str]:
    """Which of the dedupe `keys` are queued already."""
    wanted = list(keys)
    if not wanted:
        return set()
    rows = conn.execute(sa.select(T.c.dedupe).where(T.c.dedupe.in_(wanted)))
    return {r.dedupe for r in rows}


def add(
    conn: sa.Connection, dedupe: str, account: int, job: str, url: str, event: str, run_id: int,
    payload: dict[str, Any], now: datetime,
) -> None:  # fmt: skip
    """Queue one alert, due now."""
    conn.execute(sa.insert(T).values(
        dedupe=dedupe, account_id=account, job_name=job, url=url, event=event, run_id=run_id,
        payload=payload, status=PENDING, attempts=0, next_at=now, created_at=now, last_error="",
    ))  # fmt: skip


def due(conn: sa.Connection, now: datetime, limit: int = 50) -> list[Delivery]:
    """Up to `limit` alerts due at `now`, the accounts in turn (the one with the oldest due
    alert first): every account's oldest, then every account's second oldest... One account
    with thousands due (a failed backfill, a receiver that never answers) does not put
    another account's alert behind all of them. Per account one indexed read: a window over
    every due alert costs ~300 ms of CPU with 100,000 due, this ~35 ms (SQLite)."""
    is_due = (T.c.status == PENDING, T.c.next_at <= now)
    oldest = sa.func.min(T.c.next_at)
    accounts = conn.execute(
        sa.select(T.c.account_id).where(*is_due).group_by(T.c.account_id)
        .order_by(oldest, T.c.account_id).limit(limit)
    ).scalars().all()  # fmt: skip
    queues = [_due_of(conn, account, is_due, limit) for account in accounts]
    taken: list[Delivery] = []
    for turn in range(limit):
        for queue in queues:
            if turn < len(queue) and len(taken) < limit:
                taken.append(queue[turn])
    return taken


def _due_of(
    conn: sa.Connection, account: int, is_due: tuple[Any, ...], limit: int
) -> list[Delivery]:
    rows = conn.execute(
        sa.select(T).where(T.c.account_id == account, *is_due)
        .order_by(T.c.next_at, T.c.id).limit(limit)
    )  # fmt: skip
    return [_delivery(r) for r in rows]


def claim(conn: sa.Connection, delivery: Delivery, now: datetime, hold: timedelta) -> bool:
    """Take `delivery` for one attempt: it is not due again for `hold` (a node that dies while
    sending leaves it to be tried again then). Whether it was still ours to take."""
    result = conn.execute(
        sa.update(T)
        .where(T.c.id == delivery.id, T.c.status == PENDING, T.c.attempts == delivery.attempts,
               T.c.next_at <= now)
        .values(next_at=now + hold)
    )  # fmt: skip
    return bool(result.rowcount)


def record(
    conn: sa.Connection, delivery_id: int, *, status: str, attempts: int, now: datetime,
    next_at: datetime | None, error: str = "", http_status: int | None = None,
) -> None:  # fmt: skip
    conn.execute(
        sa.update(T).where(T.c.id == delivery_id).values(
            status=status, attempts=attempts, next_at=next_at, last_at=now, last_error=error,
            http_status=http_status,
        )
    )  # fmt: skip


def for_job(conn: sa.Connection, account: int, job: str, limit: int = 500) -> list[Delivery]:
    """The job's deliveries, the latest first."""
    rows = conn.execute(
        sa.select(T).where(T.c.account_id == account, T.c.job_name == job)
        .order_by(T.c.id.desc()).limit(limit)
    )  # fmt: skip
    return [_delivery(r) for r in rows]


def delete_job(conn: sa.Connection, account: int, job: str) -> None:
    conn.execute(sa.delete(T).where(T.c.account_id == account, T.c.job_name == job))


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A batch that has not succeeded (a candidate for a "late" alert)."""

    account: int
    job: str
    run_id: int
    uid: str
    batch_time: datetime
    status: str
    rerun_count: int


def unfinished_since(conn: sa.Connection, earliest: datetime, latest: datetime) -> list[Unfinished]:
    """Batches not Successful whose batchTime is in [earliest, latest], but a backfill's (a
    backfill runs past slots on purpose: they are late by design, not to be alerted on)."""
    rows = conn.execute(
        sa.select(batches.c.account_id, batches.c.job_name, batches.c.run_id, batches.c.uid,
                  batches.c.batch_time, batches.c.status, batches.c.rerun_count)
        .where(batches.c.status != BatchStatus.SUCCESSFUL.value,
               batches.c.batch_time >= earliest, batches.c.batch_time <= latest,
               batches.c.backfill_id.is_(None))
    )  # fmt: skip
    return [Unfinished(r.account_id, r.job_name, r.run_id, r.uid, r.batch_time, r.status,
                       r.rerun_count) for r in rows]  # fmt: skip
