"""The backfill store's bulk insert stores a batch exactly as store.batches.insert_batch does,
on both backends (it converts values itself, past SQLAlchemy's per-row handling)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tidemill.core.batches import Batch, BatchStatus
from tidemill.store import accounts
from tidemill.store import backfills as backfill_store
from tidemill.store import batches as store
from tidemill.store.db import open_database
from tidemill.store.tables import batches

NOW = datetime(2026, 11, 30, 8, 30, 15, 123456, tzinfo=UTC)
SLOT = datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


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


def test_a_queued_batch_is_stored_as_a_single_insert_stores_it(engine: sa.Engine) -> None:
    params = {"p": 'it\'s \\ "quoted"'}
    with engine.begin() as conn:
        acct = accounts.ensure_account(conn, "acme", NOW)
        backfill_store.queue(conn, acct, "j", "f" * 32, [SLOT, SLOT + timedelta(hours=1)], 1,
                             params, NOW)  # fmt: skip
        one = Batch("j", 3, SLOT, BatchStatus.READY, params, backfill_id="f" * 32)
        store.insert_batch(conn, acct, one, NOW)
        raw = conn.exec_driver_sql(
            "SELECT run_id, batch_time, queued_at, params, status, message, rerun_count, "
            "backfill_id FROM batches ORDER BY run_id"
        ).all()
        history = backfill_store.slot_history(conn, acct, "j", SLOT, SLOT)
        read = store.get_batch(conn, acct, "j", 1)
        uids = conn.execute(sa.select(batches.c.uid)).scalars().all()

    assert raw[0][1:] == raw[2][1:], "bulk and single inserts differ in what they store"
    assert [r[0] for r in raw] == [1, 2, 3]
    assert sorted((t, r) for t, r, _ in history) == [(SLOT, 1), (SLOT, 3)]
    assert read is not None and read.batch_time == SLOT and read.params == params
    assert read.backfill_id == "f" * 32 and read.status is BatchStatus.READY
    assert len(set(uids)) == 3 and all(len(u) == 32 for u in uids)
