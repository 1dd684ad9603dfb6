"""One account's large backfill kept every other account's backfill waiting until it ended:
the runner took backfills oldest first, each up to its concurrency, so with a backfill of
account A (concurrency 50, maxConcurrent 50) created first, every slot freed went to A again
and account B's backfill, created a minute later, started none of its batches — for as long as
A's 100,000 slots took. Backfills are now taken account by account: the account with the
fewest backfilled batches executing first (oldest backfill first among equals)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.runner.test_claims import T0, account, backfill, engine, finish, job, take

__all__ = ["engine"]  # the fixture, imported for these tests


def test_a_second_account_s_backfill_gets_slots_while_the_first_s_runs(
    engine: sa.Engine,
) -> None:
    a, b = account(engine, "a"), account(engine, "b")
    job(engine, a, "big", max_concurrent=50)
    job(engine, b, "small", max_concurrent=50)
    backfill(engine, a, "big", slots=200, concurrency=50, backfill_id="a" * 32)
    backfill(engine, b, "small", slots=20, concurrency=50, created=T0 + timedelta(minutes=1),
             backfill_id="b" * 32)  # fmt: skip

    assert take(engine, free=3) == [("big", 1), ("small", 1), ("big", 2)]
    # The runner frees one slot at a time; each goes to the account running fewer backfilled
    # batches (the older backfill among equals).
    finish(engine, a, "big", 1)
    assert take(engine, free=1) == [("big", 3)]  # a: 1 running, b: 1
    finish(engine, b, "small", 1)
    assert take(engine, free=1) == [("small", 2)]  # a: 2, b: 0
    finish(engine, b, "small", 2)
    finish(engine, a, "big", 2)
    assert take(engine, free=2) == [("small", 3), ("big", 4)]  # a: 1, b: 0 → b; then equal


def test_within_one_account_the_older_backfill_still_goes_first(engine: sa.Engine) -> None:
    a = account(engine, "a")
    job(engine, a, "one", max_concurrent=50)
    job(engine, a, "two", max_concurrent=50)
    backfill(engine, a, "one", slots=5, concurrency=50, backfill_id="1" * 32)
    backfill(engine, a, "two", slots=5, concurrency=50, created=T0 + timedelta(minutes=1),
             backfill_id="2" * 32)  # fmt: skip

    assert take(engine, free=3) == [("one", 1), ("one", 2), ("one", 3)]
