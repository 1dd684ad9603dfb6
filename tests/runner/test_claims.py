"""Queue order and concurrency caps of the runner's claim (issue 14, items 1 and 3), on a real
metadata store: fresh work before backfills, a backfill's concurrency, a job's maxConcurrent,
the account's quota of container units, and what waits staying Ready in order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tidemill.core.batches import Batch, BatchStatus
from tidemill.core.models import Job, SchedulerMode
from tidemill.runner.claims import Claimed, Pass, claim_pass
from tidemill.store import accounts
from tidemill.store import backfills as backfill_store
from tidemill.store import batches as store
from tidemill.store import repository as repo
from tidemill.store.db import open_database

T0 = datetime(2026, 11, 1, tzinfo=UTC)
S = BatchStatus


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    url = (
        f"sqlite:///{tmp_path / 'meta.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    db = open_database(url)
    yield db
    db.dispose()


def account(engine: sa.Engine, name: str = "acme") -> int:
    with engine.begin() as conn:
        return accounts.ensure_account(conn, name, T0)


def job(
    engine: sa.Engine, acct: int, name: str, *, units: str = "1U2G", count: int = 1,
    max_concurrent: int | None = None,
) -> None:  # fmt: skip
    definition: dict[str, Any] = {"container": {"type": units, "count": count}}
    if max_concurrent is not None:
        definition["maxConcurrent"] = max_concurrent
    with engine.begin() as conn:
        repo.insert_job(conn, acct, Job(name, definition, SchedulerMode.CRONTAB, ()), T0)


def fresh(engine: sa.Engine, acct: int, name: str, queued: datetime = T0) -> int:
    with engine.begin() as conn:
        run_id = store.allocate_run_id(conn, acct, name)
        store.insert_batch(conn, acct, Batch(name, run_id, queued, S.READY), queued)
    return run_id


def backfill(
    engine: sa.Engine, acct: int, name: str, slots: int, concurrency: int,
    created: datetime = T0, backfill_id: str = "b" * 32,
) -> str:  # fmt: skip
    times = [T0 + timedelta(hours=i) for i in range(slots)]
    with engine.begin() as conn:
        backfill_store.insert(
            conn,
            backfill_store.BackfillRow(
                backfill_id, acct, name, times[0], times[-1], "all", concurrency, "asc", slots,
                backfill_store.RUNNING_STATE, created, None,
            ),
        )  # fmt: skip
        first = backfill_store.allocate_run_ids(conn, acct, name, slots)
        backfill_store.queue(conn, acct, name, backfill_id, times, first, {}, created)
    return backfill_id


def take(
    engine: sa.Engine, free: int, quota: int = 100, room: int | None = None
) -> list[tuple[str, int]]:
    """Claim as the runner does (moving each to Running); (job, runId) of those claimed."""
    return [(c.batch.job_name, c.batch.run_id) for c in take_pass(engine, free, quota, room)[0]]


def take_pass(
    engine: sa.Engine, free: int, quota: int = 100, room: int | None = None
) -> tuple[list[Claimed], bool]:
    """`take` as the runner's pass does: what was claimed, and whether nothing is left waiting."""
    now = datetime.now(UTC)
    with engine.begin() as conn:

        def move(acct: int, batch: Batch, units: int) -> bool:
            return store.move(
                conn, acct, batch.job_name, batch.run_id, [batch.status], status=S.RUNNING,
                start_time=now, owner="test", lease_until=now + timedelta(minutes=1),
                units=units,
            )  # fmt: skip

        done: Pass = claim_pass(conn, free, quota, room, move)
        assert claim_pass(conn, 0, quota, room, move).claimed == []  # no free slot: none taken
    return done.claimed, done.drained


def finish(engine: sa.Engine, acct: int, name: str, run_id: int) -> None:
    with engine.begin() as conn:
        assert store.move(conn, acct, name, run_id, [S.RUNNING], status=S.SUCCESSFUL,
                          end_time=T0, owner=None, lease_until=None)  # fmt: skip


def test_fresh_work_is_claimed_before_an_older_backfill(engine: sa.Engine) -> None:
    acct = account(engine)
    job(engine, acct, "old", max_concurrent=10)
    job(engine, acct, "tick")
    backfill(engine, acct, "old", slots=10, concurrency=10)
    fresh(engine, acct, "tick", queued=T0 + timedelta(days=1))  # queued long after

    assert take(engine, free=1) == [("tick", 1)]
    assert take(engine, free=2) == [("old", 1), ("old", 2)]


def test_a_backfill_runs_at_most_its_concurrency_in_run_id_order(engine: sa.Engine) -> None:
    acct = account(engine)
    job(engine, acct, "j", max_concurrent=100)
    backfill(engine, acct, "j", slots=10, concurrency=3)

    assert take(engine, free=10) == [("j", 1), ("j", 2), ("j", 3)]
    assert take(engine, free=10) == []
    finish(engine, acct, "j", 2)
    assert take(engine, free=10) == [("j", 4)]


def test_the_job_cap_bounds_a_backfill_too(engine: sa.Engine) -> None:
    acct = account(engine)
    job(engine, acct, "j", max_concurrent=2)
    backfill(engine, acct, "j", slots=10, concurrency=4)

    assert take(engine, free=10) == [("j", 1), ("j", 2)]


def test_one_batch_of_a_job_at_a_time_by_default_more_with_max_concurrent(
    engine: sa.Engine,
) -> None:
    acct = account(engine)
    job(engine, acct, "one")
    job(engine, acct, "two", max_concurrent=2)
    for name in ("one", "one", "two", "two", "two"):
        fresh(engine, acct, name)

    assert take(engine, free=10) == [("one", 1), ("two", 1), ("two", 2)]


def test_the_quota_holds_an_account_back_in_order(engine: sa.Engine) -> None:
    acct, other = account(engine), account(engine, "other")
    job(engine, acct, "a", units="2U4G")
    job(engine, acct, "b", units="2U4G")
    job(engine, acct, "c", units="4U8G")
    job(engine, acct, "small")
    job(engine, other, "theirs", units="4U8G")
    for name in ("a", "b", "c", "small"):
        fresh(engine, acct, name)
    fresh(engine, other, "theirs")

    # 2 + 2 fill the quota of 4; c waits, and small (1U, it would fit) does not overtake it.
    assert take(engine, free=10, quota=4) == [("a", 1), ("b", 1), ("theirs", 1)]
    finish(engine, acct, "a", 1)
    finish(engine, acct, "b", 1)
    assert take(engine, free=10, quota=4) == [("c", 1)]


def test_a_batch_larger_than_the_quota_runs_when_its_account_runs_nothing(
    engine: sa.Engine,
) -> None:
    acct = account(engine)
    job(engine, acct, "big", units="8U16G", count=2)
    job(engine, acct, "small")
    fresh(engine, acct, "small")
    fresh(engine, acct, "big", queued=T0 + timedelta(seconds=1))

    assert take(engine, free=10, quota=4) == [("small", 1)]
    finish(engine, acct, "small", 1)
    assert take(engine, free=10, quota=4) == [("big", 1)]


def test_backfills_leave_room_for_fresh_work_and_share_it_oldest_first(
    engine: sa.Engine,
) -> None:
    acct = account(engine)
    job(engine, acct, "x", max_concurrent=10)
    job(engine, acct, "y", max_concurrent=10)
    backfill(engine, acct, "x", slots=5, concurrency=2, backfill_id="1" * 32)
    backfill(engine, acct, "y", slots=5, concurrency=2, backfill_id="2" * 32,
             created=T0 + timedelta(seconds=1))  # fmt: skip

    assert take(engine, free=10, room=3) == [("x", 1), ("x", 2), ("y", 1)]
    assert take(engine, free=10, room=1) == [("y", 2)]


def test_depend_children_of_a_backfill_come_before_its_further_slots(engine: sa.Engine) -> None:
    acct = account(engine)
    job(engine, acct, "up", max_concurrent=10)
    job(engine, acct, "child", max_concurrent=10)
    bf = backfill(engine, acct, "up", slots=5, concurrency=1)
    assert take(engine, free=1) == [("up", 1)]
    finish(engine, acct, "up", 1)
    with engine.begin() as conn:  # as the runner triggers a child of a backfilled batch
        store.insert_batch(conn, acct, Batch("child", 1, T0, S.READY, backfill_id=bf), T0)

    assert take(engine, free=1) == [("child", 1)]


def test_the_executing_batches_and_lanes_read_at_once_are_what_each_read_gives(
    engine: sa.Engine,
) -> None:
    # The claim reads both in one statement when fresh work waits (executing_and_lanes).
    acct, other = account(engine), account(engine, "other")
    job(engine, acct, "old", max_concurrent=10)
    job(engine, other, "new", max_concurrent=10)
    job(engine, acct, "tick")
    backfill(engine, other, "new", slots=3, concurrency=2, created=T0 + timedelta(hours=1),
             backfill_id="n" * 32)  # fmt: skip
    backfill(engine, acct, "old", slots=3, concurrency=1, backfill_id="o" * 32)
    fresh(engine, acct, "tick")
    assert take(engine, free=3) == [("tick", 1), ("old", 1), ("new", 1)]
    fresh(engine, acct, "tick")

    with engine.connect() as conn:
        running, lanes = backfill_store.executing_and_lanes(conn)
        assert lanes == backfill_store.lanes(conn)
        assert [lane.id for lane in lanes] == ["o" * 32, "n" * 32]  # oldest first
        assert sorted(running, key=repr) == sorted(backfill_store.executing(conn), key=repr)
        assert len(running) == 3


def test_a_pass_is_drained_only_when_it_leaves_nothing_waiting(engine: sa.Engine) -> None:
    acct = account(engine)
    job(engine, acct, "one")
    job(engine, acct, "j", max_concurrent=100)
    assert take_pass(engine, free=2) == ([], True)  # nothing queued

    fresh(engine, acct, "one")
    claimed, drained = take_pass(engine, free=2)
    assert [c.batch.run_id for c in claimed] == [1] and drained  # all it read, it claimed

    fresh(engine, acct, "one")  # the job's cap (one at a time) keeps it Ready
    assert take_pass(engine, free=2) == ([], False)
    finish(engine, acct, "one", 1)
    claimed, drained = take_pass(engine, free=1)
    assert [c.batch.run_id for c in claimed] == [2] and drained

    fresh(engine, acct, "j")
    fresh(engine, acct, "j")
    claimed, drained = take_pass(engine, free=1)  # one slot for two
    assert [c.batch.run_id for c in claimed] == [1] and not drained

    backfill(engine, acct, "j", slots=2, concurrency=1)  # a backfill's lane waits
    claimed, drained = take_pass(engine, free=1)
    assert [c.batch.run_id for c in claimed] == [2] and not drained
    claimed, drained = take_pass(engine, free=5)
    assert len(claimed) == 1 and not drained  # its second slot waits for the first
