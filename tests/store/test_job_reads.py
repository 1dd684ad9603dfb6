"""GetJob's one read (store.job_reads): a job and its started schedule, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tidemill.core.models import Job, JobSource, SchedulerMode, SchemaField
from tidemill.core.schedules import ScheduleSpec
from tidemill.store import accounts, job_reads
from tidemill.store import repository as repo
from tidemill.store import schedules as store
from tidemill.store.db import open_database

NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
CRON = ScheduleSpec(SchedulerMode.CRONTAB, "0 0 0/1 * *")
JOB = Job(
    "j",
    {
        "srcs": [{"name": "ds", "type": "DataSource", "tableName": "t"}],
        "computation": {"code": "select a from t", "type": "sql"},
        "scheduler": {"type": "crontab", "spec": {"crontab": CRON.expression}},
    },
    SchedulerMode.CRONTAB,
    (JobSource("datasource", "ds", "t", ""),),
    (SchemaField("a", "long"),),
    "",
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    db = open_database(url)
    yield db
    db.dispose()


def read(engine: sa.Engine, account: int, name: str = "j") -> object:
    with engine.connect() as conn:
        return job_reads.job_and_schedule(conn, account, name)


def test_the_job_and_each_change_of_its_schedule_on_the_next_read(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        other = accounts.ensure_account(conn, "other", NOW)
        repo.insert_job(conn, account, JOB, NOW)
    assert read(engine, account) == (JOB, None)  # never started: no state row

    first = NOW + timedelta(hours=1)
    with engine.begin() as conn:
        store.activate(conn, account, "j", CRON, {}, first)
    assert read(engine, account) == (JOB, store.ScheduleState(CRON, first, None))

    later = NOW + timedelta(hours=5)
    with engine.begin() as conn:
        store.replace_schedule(conn, account, "j", CRON, later)
    assert read(engine, account) == (JOB, store.ScheduleState(CRON, later, None))

    with engine.begin() as conn:
        store.deactivate(conn, account, "j")
    assert read(engine, account) == (JOB, None)  # stopped: a state row, not started

    changed = replace(JOB, workflow="wf")
    with engine.begin() as conn:
        repo.update_job(conn, account, changed, NOW)
    assert read(engine, account) == (changed, None)

    assert read(engine, other) is None  # another account's job of the same name: none
    assert read(engine, account, "missing") is None


def test_a_state_row_of_another_account_is_not_joined(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        account = accounts.ensure_account(conn, "acme", NOW)
        other = accounts.ensure_account(conn, "other", NOW)
        repo.insert_job(conn, account, JOB, NOW)
        repo.insert_job(conn, other, JOB, NOW)
        store.activate(conn, other, "j", CRON, {}, NOW)

    assert read(engine, account) == (JOB, None)
    assert read(engine, other) == (JOB, store.ScheduleState(CRON, NOW, None))
