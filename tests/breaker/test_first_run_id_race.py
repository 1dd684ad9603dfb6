"""A job's first run id, taken by two transactions at once (two batches of a never-run depend
child's parent ending together on two slots or nodes, in a backfill or under maxConcurrent; a
backfill queued while its job is started): both get a
run id, in turn, and neither transaction fails. On PostgreSQL the second used to find no row
to advance and insert one too: a unique violation, which failed the outcome transaction of a
parent batch that had succeeded (recorded Failed, its child never queued). Real SQLite and
PostgreSQL; the second transaction is seen waiting on the first before the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.store import accounts
from tidemill.store import backfills as backfill_store
from tidemill.store import batches as store
from tidemill.store.db import open_database

T0 = datetime(2026, 12, 1, tzinfo=UTC)
Allocate = Callable[[sa.Connection, int, str], int]


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


def one(conn: sa.Connection, account: int, job: str) -> int:
    return store.allocate_run_id(conn, account, job)


def three(conn: sa.Connection, account: int, job: str) -> int:
    return backfill_store.allocate_run_ids(conn, account, job, 3)


def waiting_on_a_lock(engine: sa.Engine) -> bool:
    """Whether another transaction waits on a lock (PostgreSQL; SQLite's second writer waits
    in its busy handler, which nothing shows: a short pause stands in)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return True
    with engine.connect() as conn:
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(conn.exec_driver_sql(query).scalar())


@pytest.mark.parametrize(("first", "second"), [(one, one), (three, one), (one, three)])
def test_two_transactions_take_a_jobs_first_run_ids_in_turn(
    engine: sa.Engine, first: Allocate, second: Allocate
) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", T0)
    taken: dict[str, int | BaseException] = {}

    def other() -> None:
        try:
            with engine.begin() as conn:
                taken["second"] = second(conn, account, "child")
        except BaseException as exc:  # reported by the assertion below
            taken["second"] = exc

    with engine.connect() as conn, conn.begin():
        taken["first"] = first(conn, account, "child")
        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not waiting_on_a_lock(engine):
            assert time.monotonic() < deadline and thread.is_alive(), taken
            time.sleep(0.02)
    thread.join(10)

    firsts: dict[Allocate, int] = {one: 1, three: 3}
    assert taken["first"] == 1
    assert taken["second"] == firsts[first] + 1, taken
    with engine.begin() as conn:  # the counter holds both: the next one follows them
        assert store.allocate_run_id(conn, account, "child") == firsts[first] + firsts[second] + 1
