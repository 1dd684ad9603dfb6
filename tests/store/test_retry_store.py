"""The stores of retries and alerts (migration 0008) on both backends: due retries are queued
as reruns once, a stop ends them, and an alert is claimed by one taker at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.store.test_batch_moves import NOW, S, batch_in
from tidemill.store import accounts
from tidemill.store import batches as batch_store
from tidemill.store import notify as notify_store
from tidemill.store import retries as store
from tidemill.store.db import open_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_database(url)
    yield db
    db.dispose()


def failed_waiting(conn: sa.Connection, account: int, run_id: int, due: timedelta) -> None:
    batch_in(conn, account, run_id, S.FAILED)
    batch_store.move(conn, account, "j", run_id, [S.FAILED], retry_at=NOW + due, message="boom")


def test_a_due_retry_is_queued_once_as_a_rerun(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        failed_waiting(conn, account, 1, timedelta(seconds=30))
        failed_waiting(conn, account, 2, timedelta(minutes=5))
    with engine.connect() as conn:
        early = store.due(conn, NOW)
        due = store.due(conn, NOW + timedelta(seconds=30))
    with engine.begin() as conn:
        first = store.requeue(conn, due[0], NOW + timedelta(seconds=30))
    with engine.begin() as conn:
        second = store.requeue(conn, due[0], NOW + timedelta(seconds=30))
        batch = batch_store.get_batch(conn, account, "j", 1)

    assert early == [] and [d.run_id for d in due] == [1]
    assert (first, second) == (True, False)
    assert batch is not None and batch.status is S.RESTARTING and batch.rerun_count == 1
    with engine.connect() as conn:
        assert store.retries_of(conn, account, "j", 1) == 1
        assert store.pending(conn, account, "j") == [2]


def test_a_stop_ends_waiting_retries(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        failed_waiting(conn, account, 1, timedelta(seconds=30))
        failed_waiting(conn, account, 2, timedelta(seconds=30))
    with engine.begin() as conn:
        one = store.stop_pending(conn, account, "j", 1)
        rest = store.stop_pending(conn, account, "j")
        again = store.stop_pending(conn, account, "j")
    with engine.connect() as conn:
        left = store.due(conn, NOW + timedelta(hours=1))
        batch = batch_store.get_batch(conn, account, "j", 1)

    assert (one, rest, again) == (1, 1, 0) and left == []
    assert batch is not None and batch.status is S.FAILED
    assert batch.message == "boom" + store.STOPPED


def test_an_alert_is_claimed_by_one_taker(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        notify_store.add(conn, "k1", 1, "j", "http://h/x", "failed", 1, {"a": 1}, NOW)
    with engine.begin() as conn:
        [due] = notify_store.due(conn, NOW)
        taken = notify_store.claim(conn, due, NOW, timedelta(minutes=2))
        again = notify_store.claim(conn, due, NOW, timedelta(minutes=2))
    with engine.begin() as conn:
        held = notify_store.due(conn, NOW + timedelta(minutes=1))
        with pytest.raises(sa.exc.IntegrityError):
            notify_store.add(conn, "k1", 1, "j", "http://h/x", "failed", 1, {"a": 1}, NOW)

    assert (taken, again) == (True, False) and held == []
