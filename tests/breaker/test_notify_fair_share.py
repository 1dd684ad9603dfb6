"""Alerts of every account go out through one delivery thread per node, 50 due alerts a pass,
oldest first, each POST up to 10 s. An account whose backfill of thousands of slots failed
(one `failed` alert each), or whose receiver does not answer, had thousands of alerts due
before anyone else's: another account's alert waited behind all of them (a day and more at
10 s each). A pass now takes the accounts' due alerts in turn: each account's oldest, then
each account's second oldest, and so on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.store import accounts
from tidemill.store import notify as store
from tidemill.store.db import open_database

T0 = datetime(2026, 11, 1, tzinfo=UTC)


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


def test_another_account_s_alert_is_not_behind_one_account_s_thousand(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        loud, quiet = (
            accounts.ensure_account(conn, "loud", T0),
            accounts.ensure_account(conn, "quiet", T0),
        )
        for i in range(1000):
            store.add(conn, f"l{i}", loud, "big", "http://hook/a", "failed", i + 1, {}, T0)
        store.add(conn, "q", quiet, "small", "http://hook/b", "failed", 1,
                  {}, T0 + timedelta(minutes=5))  # fmt: skip

    with engine.connect() as conn:
        due = store.due(conn, T0 + timedelta(hours=1))

    assert [d.account for d in due][:2] == [loud, quiet]  # each account's oldest first
    assert len(due) == 50
    assert [d.run_id for d in due if d.account == loud] == list(range(1, 50))


def test_one_account_alone_still_gets_a_whole_pass_in_order(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        only = accounts.ensure_account(conn, "only", T0)
        for i in range(30):
            store.add(conn, f"o{i}", only, "j", "http://hook/a", "failed", i + 1, {},
                      T0 + timedelta(seconds=i))  # fmt: skip
    with engine.connect() as conn:
        due = store.due(conn, T0 + timedelta(hours=1), limit=20)
    assert [d.run_id for d in due] == list(range(1, 21))
