"""A depend child deleted while its parent's outcome transaction queues its batch (PostgreSQL,
two transactions at once): the child's delete takes everything of the job with it, the
queued batch too. It used to leave that batch behind — Ready, of a job that no longer existed:
claimed and refused, or, once a job was made again under the name, run as that job's, which
no longer started from run 1 with nothing left behind (§6.7). Real PostgreSQL; a third
transaction holds the child's run-id counter so that the parent's transaction is seen waiting
after it listed the child and before it queues the batch, and the delete starts then."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, make_datasource, make_depend_job, make_job, write_lines
from tests.conftest import make_settings
from tests.support import Client
from tidemill.api.app import create_app
from tidemill.config import RunnerSettings
from tidemill.core.batches import Batch, BatchStatus
from tidemill.runner.runner import Runner
from tidemill.runtime import build_runtime
from tidemill.services import jobs as job_service
from tidemill.store import batches as store
from tidemill.store.tables import batches, job_states

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def waiting(engine: sa.Engine) -> int:
    """Transactions of this database waiting on a lock."""
    with engine.connect() as conn:
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(conn.exec_driver_sql(query).scalar() or 0)


def until(engine: sa.Engine, count: int, *threads: threading.Thread) -> None:
    deadline = time.monotonic() + 10
    while waiting(engine) < count:
        assert time.monotonic() < deadline, f"fewer than {count} transactions wait"
        assert all(t.is_alive() for t in threads), "a transaction ended instead of waiting"
        time.sleep(0.02)


@pytest.mark.postgres
def test_a_child_deleted_while_its_batch_is_queued_leaves_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = make_settings(tmp_path, postgres_url)
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    api_only = settings.model_copy(update={"runner": RunnerSettings(enabled=False)})
    with TestClient(create_app(api_only), raise_server_exceptions=False) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "up", "select url, bytes from logs")
        make_depend_job(client, "down", "up", "u", "select count(*) as n from u")
    runtime = build_runtime(settings)
    engine = runtime.db
    account = 1
    with engine.begin() as conn:
        assert store.allocate_run_id(conn, account, "down") == 1  # it ran once before
    runner = Runner(runtime)  # not started: its parent's outcome step only
    parent = Batch("up", 1, NOW, BatchStatus.SUCCESSFUL, {}, uid="p1")
    errors: list[BaseException] = []

    def queue_child() -> None:
        try:
            with engine.begin() as conn:
                assert runner._trigger_children(conn, account, parent, NOW) == 1
        except BaseException as exc:
            errors.append(exc)

    def delete_child() -> None:
        try:
            job_service.delete(runtime, account, "down")
        except BaseException as exc:
            errors.append(exc)

    holder = engine.connect()
    try:
        with holder.begin():
            holder.execute(
                sa.select(job_states.c.next_run_id)
                .where(job_states.c.account_id == account, job_states.c.job_name == "down")
                .with_for_update()
            )
            queuing = threading.Thread(target=queue_child, daemon=True)
            queuing.start()
            until(engine, 1, queuing)  # the child is listed; its run id waits on the holder
            deleting = threading.Thread(target=delete_child, daemon=True)
            deleting.start()
            until(engine, 2, queuing, deleting)
        queuing.join(20)
        deleting.join(20)
    finally:
        holder.close()
    try:
        assert not errors, errors
        with engine.connect() as conn:
            left = conn.execute(
                sa.select(batches.c.run_id, batches.c.status).where(
                    batches.c.account_id == account, batches.c.job_name == "down"
                )
            ).all()
            counter = conn.execute(
                sa.select(job_states.c.next_run_id).where(
                    job_states.c.account_id == account, job_states.c.job_name == "down"
                )
            ).all()
        assert left == [] and counter == [], (left, counter)
    finally:
        runtime.close()
