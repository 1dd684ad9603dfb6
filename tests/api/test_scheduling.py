"""Scheduled jobs through the real app (spec §3.6, §6.5, §6.6, §10.6): the scheduler thread and
the runner started by the app's lifespan, on the system clock. Deterministic scheduling is
tested in tests/runner/test_scheduler.py; these check the wiring, with short real waits."""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client, assert_error
from tidemill.config import Settings

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}}
EVERY_SECOND = {"type": "crontab", "spec": {"crontab": "* * * * * *"}}
CODE = "select count(*) as n from logs"


def history(client: Client, job: str) -> list[dict[str, Any]]:
    response = client.get(f"/v2/jobs/{job}/history", params={"sortBy": "runId"})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["history"]
    return entries


def wait_until(client: Client, job: str, done: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        entries = history(client, job)
        if done(entries):
            return entries
        if time.monotonic() > deadline:
            pytest.fail(f"{job}: gave up waiting; history is {entries}")
        time.sleep(0.05)


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    return client


def test_started_crontab_job_shows_its_next_fire_times(data: Client) -> None:
    make_job(data, "hourly", CODE, scheduler=HOURLY)
    assert "nextFireTimes" not in data.get("/v2/jobs/hourly").json()

    assert data.post("/v2/jobs/hourly/actions/start", {}).status_code == 200
    shown = data.get("/v2/jobs/hourly").json()["nextFireTimes"]
    listed = data.get("/v2/jobs").json()["jobs"][0]["nextFireTimes"]

    times = [datetime.fromisoformat(t) for t in shown]
    assert listed == shown and len(times) == 3
    assert all(t.utcoffset() == timedelta(hours=8) for t in times)
    assert all((t.minute, t.second) == (0, 0) for t in times)
    assert [b - a for a, b in itertools.pairwise(times)] == [timedelta(hours=1)] * 2
    assert times[0] - datetime.now(times[0].tzinfo) <= timedelta(hours=1)


def test_start_twice_is_refused_and_stop_clears_the_schedule(data: Client) -> None:
    make_job(data, "hourly", CODE, scheduler=HOURLY)
    data.post("/v2/jobs/hourly/actions/start", {})

    assert_error(data.post("/v2/jobs/hourly/actions/start", {}), 400, "E18644")
    assert data.post("/v2/jobs/hourly/actions/stop").status_code == 200
    assert "nextFireTimes" not in data.get("/v2/jobs/hourly").json()
    assert_error(data.post("/v2/jobs/hourly/actions/stop"), 400, "E18645")


def test_crontab_job_runs_unattended_until_stopped(data: Client) -> None:
    make_job(data, "tick", CODE, scheduler=EVERY_SECOND)

    data.post("/v2/jobs/tick/actions/start", {})
    ran = wait_until(data, "tick", lambda h: any(b["status"] == "Successful" for b in h))
    data.post("/v2/jobs/tick/actions/stop")
    settled = wait_until(data, "tick", lambda h: all(b["status"] not in ("Ready", "Running",
                         "Cancelling") for b in h))  # fmt: skip
    time.sleep(1.2)

    times = [datetime.fromisoformat(b["batchTime"]) for b in ran]
    assert all(t.microsecond == 0 for t in times)
    assert len(set(times)) == len(times)
    assert history(data, "tick") == settled  # nothing fires after the stop


def test_back_to_back_loop_batches_follow_each_other_without_overlap(data: Client) -> None:
    make_job(data, "loop", CODE, scheduler={"type": "loop", "spec": {"loop": "0"}})

    data.post("/v2/jobs/loop/actions/start", {})
    ran = wait_until(data, "loop", lambda h: sum(b["status"] == "Successful" for b in h) >= 3)
    data.post("/v2/jobs/loop/actions/stop")

    done = [b for b in ran if b["status"] == "Successful"]
    assert [b["runId"] for b in done[:3]] == [1, 2, 3]
    for before, after in itertools.pairwise(done):
        assert datetime.fromisoformat(after["startTime"]) >= datetime.fromisoformat(
            before["endTime"]
        )


def test_workflow_start_and_stop_switch_its_crontab_jobs(data: Client) -> None:
    data.post("/v2/workflows/wf", {"region": "nb"})
    make_datasource_in(data, "wfds", "wf")
    source = {"name": "wfds", "type": "DataSource", "tableName": "w", "fileFilter": ""}
    make_job(data, "h", "select count(*) as n from w", scheduler=HOURLY, srcs=[source])
    spec = {"bucket": "bkt1", "keyPrefix": "out/", "format": "json", "fileCount": 1}
    created = data.post("/v2/jobs/h/exports/e", {"type": "kodo", "spec": spec})
    assert created.status_code == 200, created.text

    assert_error(data.post("/v2/jobs/h/actions/start", {}), 400, "E18644")  # the workflow rules
    assert data.post("/v2/workflows/wf/start", {"name": "wf"}).status_code == 200
    started = data.get("/v2/workflows/wf/status").json()
    node = data.get("/v2/workflows/wf").json()["nodes"]["h-job"]["data"]
    assert data.post("/v2/workflows/wf/stop", {"name": "wf"}).status_code == 200
    stopped = data.get("/v2/workflows/wf/status").json()

    assert started["status"] == "Started"
    assert len(data_times := node["nextFireTimes"]) == 3, data_times
    assert stopped["status"] == "Stopped"
    assert "nextFireTimes" not in data.get("/v2/jobs/h").json()
    assert_error(data.post("/v2/workflows/wf/stop", {"name": "wf"}), 400, "E18645")


def make_datasource_in(client: Client, name: str, workflow: str) -> None:
    body = {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "workflow": workflow,
        "schema": [{"key": "url", "valtype": "string"}],
        "spec": {"bucket": "bkt1", "keyPrefixes": ["wf/"], "fileType": "json"},
    }  # fmt: skip
    assert client.post(f"/v2/datasources/{name}", body).status_code == 200
