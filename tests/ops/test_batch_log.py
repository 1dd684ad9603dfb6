"""The batch log (issue 15, item 6) through the real app and a real worker: what it tells of
a successful batch with an export, of a failed one, its errors and its tenancy."""

from __future__ import annotations

import json
import time

import pytest

from tests.api.test_batches import ROWS, SLOW, make_datasource, make_job, write_lines
from tests.support import Client, assert_error, wait_for
from tidemill.config import Settings

KEY = "cdn/2026-11-23.json"


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", KEY, [json.dumps(r) for r in ROWS])
    make_datasource(client)
    return client


def run(client: Client, job: str) -> dict[str, object]:
    assert client.post(f"/v2/jobs/{job}/actions/start").status_code == 200
    return wait_for(client, job)


def log_of(client: Client, job: str, run_id: int | str = 1) -> str:
    response = client.get(f"/v2/jobs/{job}/history/{run_id}/log")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-reqid"]
    return response.text


def test_a_successful_batch_tells_sql_inputs_figures_and_exports(
    data: Client, settings: Settings
) -> None:
    make_job(data, "j", "select url, sum(bytes) as total from logs group by url order by url")
    export = {
        "type": "kodo",
        "spec": {"bucket": "outb", "keyPrefix": "out/", "format": "json", "fileCount": 1},
    }
    assert data.post("/v2/jobs/j/exports/e1", export).status_code == 200
    assert run(data, "j")["status"] == "Successful"

    text = log_of(data, "j")

    size = (settings.data_dir / "kodo" / "default" / "bkt1" / KEY).stat().st_size
    assert "status: Successful" in text
    assert "select url, sum(bytes) as total from logs group by url order by url" in text
    assert f"bkt1/{KEY}  {size:,} bytes" in text
    assert "table logs (json): 1 file(s)" in text
    assert "rows written: 2" in text
    assert "rows read: 3" in text  # the three lines of the one input file
    assert f"bytes read: {size:,} bytes" in text  # DuckDB read the input once
    assert "peak memory: " in text and "spill: 0 bytes" in text
    assert "cpu: " in text and "query: " in text  # the COPY's CPU and wall seconds
    assert "worker peak rss: " in text
    assert "e1 (kodo): Successful, 2 rows" in text
    assert "outcome: succeeded" in text
    assert str(settings.data_dir.resolve()) not in text  # no server path reaches the tenant


def test_a_failed_batch_tells_the_error_and_its_cause(data: Client, settings: Settings) -> None:
    write_lines(settings, "bkt1", "cdn/2026-11-24.json", ['{"url": "/c", "bytes": "many"}'])
    make_job(data, "bad", "select url, bytes from logs")

    batch = run(data, "bad")

    assert batch["status"] == "Failed"
    text = log_of(data, "bad")
    assert "== failure ==" in text
    assert f"error: {batch['message']}" in text
    assert "outcome: failed" in text
    assert "bkt1/cdn/2026-11-24.json" in text
    assert str(settings.data_dir.resolve()) not in text


def test_the_latest_batch_is_run_id_minus_one(data: Client) -> None:
    make_job(data, "j", "select 1 as one")
    run(data, "j")
    run(data, "j")

    assert "batch: 2 (attempt 0)" in log_of(data, "j", -1)
    assert "batch: 1 (attempt 0)" in log_of(data, "j", 1)


def test_a_rerun_replaces_the_log_with_the_new_attempt(data: Client) -> None:
    make_job(data, "j", "select 1 as one")
    run(data, "j")
    assert data.post("/v2/batch/actions/rerun", {"jobName": "j", "runId": 1}).status_code == 200
    wait_for(data, "j", {"Successful"})

    text = log_of(data, "j")
    assert "batch: 1 (attempt 1)" in text and "attempt: 1" in text


def test_unknown_job_batch_and_bad_run_ids_get_the_spec_codes(data: Client) -> None:
    make_job(data, "j", "select 1 as one")
    run(data, "j")

    assert_error(data.get("/v2/jobs/nojob/history/1/log"), 404, "E18202")
    assert_error(data.get("/v2/jobs/j/history/7/log"), 404, "E18202")
    assert_error(data.get("/v2/jobs/j/history/0/log"), 400, "E18007")
    assert_error(data.get("/v2/jobs/j/history/x/log"), 400, "E18007")
    assert_error(data.get("/v2/jobs/-bad-/history/1/log"), 400, "E18207")


def test_only_the_jobs_account_reads_its_log(data: Client, runtime) -> None:
    from tidemill.services.accounts import create_key

    make_job(data, "j", "select 1 as one")
    run(data, "j")
    pair = create_key(runtime, "other")
    other = data.as_account(pair.access_key, pair.secret_key)

    assert_error(other.get("/v2/jobs/j/history/1/log"), 404, "E18202")


def test_the_log_is_deleted_with_the_batch(data: Client, settings: Settings) -> None:
    make_job(data, "j", "select 1 as one")
    run(data, "j")
    logs = list((settings.data_dir / "warehouse").glob("*/j/1/batch.log"))
    assert len(logs) == 1

    assert data.delete("/v2/jobs/j").status_code == 200

    assert not logs[0].exists()
    make_job(data, "j", "select 2 as two")
    assert_error(data.get("/v2/jobs/j/history/1/log"), 404, "E18202")


def test_a_batch_no_worker_ran_says_so(data: Client, runtime, settings: Settings) -> None:
    from tidemill.core.batches import Batch, BatchStatus
    from tidemill.store import accounts
    from tidemill.store import batches as store

    make_job(data, "j", "select 1 as one")
    now = runtime.clock.now()
    with runtime.db.begin() as conn:  # as a batch stopped while queued is left
        account = accounts.account_id(conn, settings.account)
        run_id = store.allocate_run_id(conn, account, "j")
        store.insert_batch(conn, account, Batch("j", run_id, now, BatchStatus.READY), now)
        moved = [BatchStatus.READY]
        assert store.move(conn, account, "j", run_id, moved, status=BatchStatus.CANCELED)

    text = log_of(data, "j", run_id)

    assert "status: Canceled" in text
    assert "no worker log" in text


def test_a_log_left_by_a_deleted_job_is_not_shown_for_its_namesakes_batch(
    data: Client, runtime, settings: Settings
) -> None:
    """Job j deleted while another node's worker still finishes its batch 1 (that worker writes
    its log after the delete removed the files), then j recreated: the new batch 1 must not
    show the old batch's log (it carries the old batch's uid)."""
    from tidemill.core.batches import Batch, BatchStatus
    from tidemill.store import accounts
    from tidemill.store import batches as store

    make_job(data, "j", "select 'old job' as one")
    run(data, "j")
    old = next((settings.data_dir / "warehouse").glob("*/j/1/batch.log"))
    stale = old.read_bytes()
    assert data.delete("/v2/jobs/j").status_code == 200
    make_job(data, "j", "select 2 as two")
    now = runtime.clock.now()
    with runtime.db.begin() as conn:  # the new j's batch 1, stopped while queued
        account = accounts.account_id(conn, settings.account)
        run_id = store.allocate_run_id(conn, account, "j")
        store.insert_batch(conn, account, Batch("j", run_id, now, BatchStatus.READY), now)
        assert store.move(conn, account, "j", run_id, [BatchStatus.READY],
                          status=BatchStatus.CANCELED)  # fmt: skip
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(stale)  # the old worker's late write, at the same name

    text = log_of(data, "j", run_id)

    assert run_id == 1
    assert "old job" not in text
    assert "no worker log" in text


def test_a_batch_stopped_as_it_starts_tells_what_it_was_given(
    data: Client, settings: Settings
) -> None:
    """Its worker writes the first log only once the run has lasted 0.2 s; one ended sooner
    leaves it to the runner (session 6, worker2): either way the log is there."""
    make_job(data, "slow", SLOW)
    assert data.post("/v2/jobs/slow/actions/start").status_code == 200
    scratch = settings.data_dir / "scratch"
    deadline = time.monotonic() + 60
    # the worker has the plan: its attempt's directory (not a directory its engine keeps)
    while not (scratch.exists() and any(scratch.glob("[0-9a-f]*"))):
        assert time.monotonic() < deadline, "the worker never started the batch"
        time.sleep(0.002)
    assert data.post("/v2/jobs/slow/actions/stop").status_code == 200
    assert wait_for(data, "slow", {"Canceled"})["status"] == "Canceled"

    text = log_of(data, "slow")
    assert SLOW in text and "batch: 1 (attempt 0)" in text
