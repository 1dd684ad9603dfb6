"""An account could queue backfilled batches without end: each backfill is held to
TIDEMILL_BACKFILL__MAX_SLOTS (100,000) slots, but `reprocess: all` over the same range again,
or over other jobs, queued 100,000 more rows per request — millions of batch rows in the
metadata store, every one of them the runner's and the history's to read. The batches an
account has waiting in its backfills are now held to TIDEMILL_BACKFILL__MAX_WAITING: a backfill
that would pass it is refused (JOB_START_REFUSED, E18644) saying how many wait and what to do;
a dry run still answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.conftest import make_settings
from tests.support import Client, assert_error
from tidemill.config import BackfillSettings, RunnerSettings, Settings

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
DAY = {"from": "2026-01-01T00:00:00+08:00", "to": "2026-01-01T23:00:00+08:00", "reprocess": "all"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No runner on this node: what is queued stays waiting.
    return make_settings(tmp_path).model_copy(update={
        "backfill": BackfillSettings(max_slots=100, max_waiting=60),
        "runner": RunnerSettings(enabled=False),
    })  # fmt: skip


@pytest.fixture
def jobs(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "a", "select count(*) as n from logs", scheduler=HOURLY)
    make_job(client, "b", "select count(*) as n from logs", scheduler=HOURLY)
    return client


def test_an_account_s_waiting_backfilled_batches_are_held_to_the_setting(jobs: Client) -> None:
    ids = []
    for job in ("a", "b"):  # 48 waiting
        response = jobs.post(f"/v2/jobs/{job}/actions/backfill", DAY)
        assert response.status_code == 200, response.text
        assert response.json()["slots"] == 24
        ids.append(response.json()["backfillId"])

    refused = jobs.post("/v2/jobs/a/actions/backfill", DAY)  # 48 + 24 > 60

    message = assert_error(refused, 400, "E18644")["error"]
    assert "48" in message and "60" in message and "cancel" in message, message
    dry = jobs.post("/v2/jobs/a/actions/backfill", {**DAY, "dryRun": True})
    assert dry.status_code == 200 and dry.json()["slots"] == 24, dry.text
    small = jobs.post("/v2/jobs/a/actions/backfill", {**DAY, "to": "2026-01-01T11:00:00+08:00"})
    assert small.status_code == 200 and small.json()["slots"] == 12, small.text  # 60: full
    assert_error(jobs.post("/v2/jobs/b/actions/backfill", DAY), 400, "E18644")
    # Canceled batches no longer wait: room again.
    assert jobs.post(f"/v2/backfills/{ids[0]}/cancel").status_code == 200
    again = jobs.post("/v2/jobs/b/actions/backfill", DAY)
    assert again.status_code == 200 and again.json()["slots"] == 24, again.text
