"""Per-(batch, export, attempt) export outcomes: what a worker is about to publish, what
happened, what earlier attempts wrote, undoing an attempt, and the written objects whose
retention has run out. Rows are keyed by the batch uid (unique for the installation's life)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidemill.core.batches import BatchStatus
from tidemill.errors import Failure, StateError
from tidemill.store.tables import batches
from tidemill.store.tables import export_outcomes as t

PUBLISHING = "Publishing"  # noted by a worker before it publishes; replaced by the outcome
SUCCESSFUL = "Successful"
UNDONE = "Undone"  # the attempt did not succeed and what it wrote was removed


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    export_name: str
    type: str
    status: str
    message: str
    rows: int
    written: dict[str, Any]
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class BatchKey:
    """The batch an outcome belongs to: its uid, and (account, job, runId) for people."""

    uid: str
    account: int
    job: str
    run_id: int


@dataclass(frozen=True, slots=True)
class Expired:
    batch_uid: str
    account: int
    export_name: str
    attempt: int
    written: dict[str, Any]


def _key(batch_uid: str, export: str, attempt: int) -> tuple[sa.ColumnElement[bool], ...]:
    return (t.c.batch_uid == batch_uid, t.c.export_name == export, t.c.attempt == attempt)


def expiry(now: datetime, days: int, export: str) -> datetime | None:
    """When objects kept `days` days from `now` are due for deletion (None: kept for good).

    Raises StateError when the date cannot be represented (after the year 9999).
    """
    if days <= 0:
        return None
    try:
        return now + timedelta(days=days)
    except OverflowError:
        raise StateError(
            Failure.INTERNAL,
            f"export {export}: retention of {days} days ends after the year 9999; "
            "use a smaller retention",
        ) from None


def _put(conn: sa.Connection, batch: BatchKey, o: OutcomeRecord, now: datetime) -> None:
    conn.execute(sa.delete(t).where(*_key(batch.uid, o.export_name, o.attempt)))
    expires = None
    if o.status != PUBLISHING and o.written.get("keys"):
        expires = expiry(now, int(o.written.get("retention") or 0), o.export_name)
    conn.execute(
        sa.insert(t).values(
            batch_uid=batch.uid,
            account_id=batch.account,
            job_name=batch.job,
            run_id=batch.run_id,
            export_name=o.export_name,
            attempt=o.attempt,
            type=o.type,
            status=o.status,
            message=o.message,
            rows=o.rows,
            written=o.written,
            finished_at=now,
            expires_at=expires,
        )
    )


def record(
    conn: sa.Connection, batch: BatchKey, outcomes: Iterable[OutcomeRecord], now: datetime
) -> None:
    """Store the outcomes of one attempt (replacing a row of the same attempt, if any).

    Raises StateError when a retention cannot be represented (see `expiry`).
    """
    for o in outcomes:
        _put(conn, batch, o, now)


def note(
    conn: sa.Connection,
    batch: BatchKey,
    attempt: int,
    export: str,
    type_: str,
    written: dict[str, Any],
    now: datetime,
) -> None:
    """Journal what attempt `attempt` is about to publish for `export` (status Publishing), so
    whoever settles an attempt that did not succeed can undo it and a rerun can replace it."""
    _put(conn, batch, OutcomeRecord(export, type_, PUBLISHING, "", 0, written, attempt), now)


def for_batch(conn: sa.Connection, batch_uid: str) -> list[OutcomeRecord]:
    """Every attempt's outcomes of a batch that may still be visible, oldest attempt first."""
    rows = conn.execute(_FOR_BATCH, {"uid": batch_uid})
    return [
        OutcomeRecord(
            r.export_name, r.type, r.status, r.message, r.rows, dict(r.written or {}), r.attempt
        )
        for r in rows
    ]


# Built once (bind parameters): planning reads it for every batch.
_FOR_BATCH = (
    sa.select(t)
    .where(t.c.batch_uid == sa.bindparam("uid"), t.c.status != UNDONE, t.c.purged_at.is_(None))
    .order_by(t.c.attempt, t.c.export_name)
)


def for_attempt(conn: sa.Connection, batch_uid: str, attempt: int) -> list[OutcomeRecord]:
    """The outcomes (or Publishing notes) of one attempt not undone yet."""
    return [o for o in for_batch(conn, batch_uid) if o.attempt == attempt]


def account_of(conn: sa.Connection, batch_uid: str) -> int | None:
    """The account whose batch `batch_uid` is, as its outcomes recorded it (None: no outcome)."""
    found = conn.execute(
        sa.select(t.c.account_id).where(t.c.batch_uid == batch_uid).limit(1)
    ).scalar()
    return None if found is None else int(found)


def unsettled(conn: sa.Connection, limit: int = 100) -> list[tuple[str, int]]:
    """(batch uid, attempt) of attempts that did not succeed but whose output may still be
    visible: the batch ended Failed or Canceled (or is gone) with that attempt its last, and a
    row of it is neither undone nor a failure. Found again if a crash cut the undo short."""
    ended = [BatchStatus.FAILED.value, BatchStatus.CANCELED.value]
    live = t.c.status.in_([PUBLISHING, SUCCESSFUL])
    rows = conn.execute(
        sa.select(t.c.batch_uid, t.c.attempt)
        .select_from(t.outerjoin(batches, batches.c.uid == t.c.batch_uid))
        .where(live, t.c.purged_at.is_(None))
        .where(sa.or_(
            batches.c.uid.is_(None),
            sa.and_(batches.c.status.in_(ended), batches.c.rerun_count == t.c.attempt),
        ))
        .distinct()
        .limit(limit)
    )  # fmt: skip
    return [(r.batch_uid, r.attempt) for r in rows]


def mark_undone(
    conn: sa.Connection, batch_uid: str, export: str, attempt: int, now: datetime, message: str
) -> None:
    conn.execute(
        sa.update(t)
        .where(*_key(batch_uid, export, attempt))
        .values(status=UNDONE, message=message, purged_at=now, expires_at=None)
    )


def retry_later(
    conn: sa.Connection, batch_uid: str, export: str, attempt: int, now: datetime
) -> None:
    """An undo that failed: the retention sweep deletes the objects from now on."""
    conn.execute(sa.update(t).where(*_key(batch_uid, export, attempt)).values(expires_at=now))


def expired(conn: sa.Connection, now: datetime, limit: int = 500) -> list[Expired]:
    rows = conn.execute(
        sa.select(t)
        .where(t.c.expires_at <= now, t.c.purged_at.is_(None))
        .order_by(t.c.expires_at)
        .limit(limit)
    )
    return [
        Expired(r.batch_uid, r.account_id, r.export_name, r.attempt, dict(r.written or {}))
        for r in rows
    ]


def mark_purged(conn: sa.Connection, item: Expired, now: datetime) -> None:
    conn.execute(
        sa.update(t)
        .where(*_key(item.batch_uid, item.export_name, item.attempt))
        .values(purged_at=now)
    )
