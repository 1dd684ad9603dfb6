"""Per-(batch, export, attempt) export outcomes: recording them, what earlier attempts wrote,
and the written objects whose retention has run out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidemill.store.tables import export_outcomes as t


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
class Expired:
    account: int
    job: str
    run_id: int
    export_name: str
    attempt: int
    written: dict[str, Any]


def record(
    conn: sa.Connection,
    account: int,
    job: str,
    run_id: int,
    outcomes: Iterable[OutcomeRecord],
    now: datetime,
) -> None:
    """Store the outcomes of one attempt (replacing a row of the same attempt, if any)."""
    for o in outcomes:
        key = (
            t.c.account_id == account,
            t.c.job_name == job,
            t.c.run_id == run_id,
            t.c.export_name == o.export_name,
            t.c.attempt == o.attempt,
        )
        conn.execute(sa.delete(t).where(*key))
        days = int(o.written.get("retention") or 0)
        conn.execute(
            sa.insert(t).values(
                account_id=account,
                job_name=job,
                run_id=run_id,
                export_name=o.export_name,
                attempt=o.attempt,
                type=o.type,
                status=o.status,
                message=o.message,
                rows=o.rows,
                written=o.written,
                finished_at=now,
                expires_at=now + timedelta(days=days)
                if days > 0 and o.written.get("keys")
                else None,
            )
        )


def for_batch(conn: sa.Connection, account: int, job: str, run_id: int) -> list[OutcomeRecord]:
    """Every attempt's outcomes of a batch, oldest attempt first."""
    rows = conn.execute(
        sa.select(t)
        .where(t.c.account_id == account, t.c.job_name == job, t.c.run_id == run_id)
        .order_by(t.c.attempt, t.c.export_name)
    )
    return [
        OutcomeRecord(
            r.export_name, r.type, r.status, r.message, r.rows, dict(r.written or {}), r.attempt
        )
        for r in rows
    ]


def expired(conn: sa.Connection, now: datetime, limit: int = 500) -> list[Expired]:
    rows = conn.execute(
        sa.select(t)
        .where(t.c.expires_at <= now, t.c.purged_at.is_(None))
        .order_by(t.c.expires_at)
        .limit(limit)
    )
    return [
        Expired(r.account_id, r.job_name, r.run_id, r.export_name, r.attempt, dict(r.written or {}))
        for r in rows
    ]


def mark_purged(conn: sa.Connection, item: Expired, now: datetime) -> None:
    conn.execute(
        sa.update(t)
        .where(
            t.c.account_id == item.account,
            t.c.job_name == item.job,
            t.c.run_id == item.run_id,
            t.c.export_name == item.export_name,
            t.c.attempt == item.attempt,
        )
        .values(purged_at=now)
    )
