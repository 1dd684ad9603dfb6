"""GET /metrics, /healthz and /readyz (issue 15, item 5) on the real app: unsigned, batch and
export outcomes counted by the runner, request latency by route template, no job names in
labels unless the setting allows them, and a scheduler's fire lag."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.conftest import make_settings
from tests.runner.test_scheduler import HOURLY, START, World
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.clock import FixedClock
from tidemill.config import Settings
from tidemill.runtime import Runtime
from tidemill.services import datasources


def unsigned(client: Client, path: str) -> Any:
    return client.http.get(path)  # no Authorization header


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the one sample `name` whose labels include `labels`."""
    found = []
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            found.append(float(match.group(3)))
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/2026-11-23.json", [json.dumps(r) for r in ROWS])
    make_datasource(client)
    return client


def test_healthz_and_readyz_answer_without_a_signature(client: Client) -> None:
    health = unsigned(client, "/healthz")
    ready = unsigned(client, "/readyz")

    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"store": "ok", "runner": "ok", "scheduler": "ok"},
    }


def test_readyz_is_503_when_the_store_does_not_answer(client: Client, runtime: Runtime) -> None:
    working = runtime.db
    runtime.db = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # refused
    try:
        ready = unsigned(client, "/readyz")
    finally:
        runtime.db.dispose()
        runtime.db = working

    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert "metadata store does not answer" in ready.json()["checks"]["store"]
    assert unsigned(client, "/metrics").status_code == 200  # metrics still serve


def test_readyz_is_503_when_the_runner_is_gone(client: Client, runtime: Runtime) -> None:
    from tidemill.runner.runner import Runner

    assert isinstance(runtime.runner, Runner)
    runtime.runner.close()

    ready = unsigned(client, "/readyz")

    assert ready.status_code == 503
    assert ready.json()["checks"]["runner"] == "the runner is not running"


def test_metrics_count_batches_exports_and_requests_by_route(data: Client) -> None:
    make_job(data, "secretjob", "select url, bytes from logs")
    export = {"type": "kodo", "spec": {"bucket": "outb", "keyPrefix": "o/", "format": "json",
                                       "fileCount": 1}}  # fmt: skip
    assert data.post("/v2/jobs/secretjob/exports/e1", export).status_code == 200
    data.post("/v2/jobs/secretjob/actions/start")
    wait_for(data, "secretjob", {"Successful"})
    refused_body = {"computation": {"type": "sql", "code": "select 1"}}  # no srcs: E18207
    assert data.post("/v2/jobs/badjob", refused_body).status_code == 400
    data.get("/v2/jobs/secretjob")

    response = unsigned(data, "/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert sample(text, "tidemill_batches_started_total", engine="duckdb") == 1
    finished = {"status": "Successful", "engine": "duckdb"}
    assert sample(text, "tidemill_batches_finished_total", **finished) == 1
    assert sample(text, "tidemill_batch_duration_seconds_count", **finished) == 1
    assert sample(text, "tidemill_batch_duration_seconds_sum", **finished) > 0
    assert sample(text, "tidemill_exports_total", type="kodo", status="Successful") == 1
    assert sample(text, "tidemill_batch_queue_depth") == 0
    assert sample(text, "tidemill_batches_running") == 0
    get_job = {"method": "GET", "route": "/v2/jobs/{name}", "status": "200"}
    assert sample(text, "tidemill_http_request_duration_seconds_count", **get_job) == 1
    refused = {"method": "POST", "route": "/v2/jobs/{name}", "status": "400"}
    assert sample(text, "tidemill_http_request_duration_seconds_count", **refused) == 1
    assert "secretjob" not in text and 'account="' not in text


def test_requests_no_route_matches_and_unsigned_ones_are_labelled_without_their_path(
    client: Client,
) -> None:
    client.get("/v2/no/such/thing/here")
    client.http.get("/v2/jobs/private-name")  # unsigned: 401 before any route runs

    text = unsigned(client, "/metrics").text

    assert sample(text, "tidemill_http_request_duration_seconds_count", route="<unmatched>",
                  status="404") == 1  # fmt: skip
    assert sample(text, "tidemill_http_request_duration_seconds_count", route="/v2/jobs/{name}",
                  status="401") == 1  # fmt: skip
    assert "private-name" not in text and "no/such" not in text


def test_job_labels_only_when_the_setting_allows(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(update={"metrics_job_labels": True})
    from tidemill.runtime import build_runtime

    runtime = build_runtime(settings)
    (settings.data_dir / "kodo" / settings.account / "bkt1").mkdir(parents=True, exist_ok=True)
    try:
        with TestClient(create_app(settings, runtime)) as http:
            client = Client(http)
            write_lines(settings, "bkt1", "cdn/x.json", [json.dumps(r) for r in ROWS])
            make_datasource(client)
            make_job(client, "named", "select url from logs")
            client.post("/v2/jobs/named/actions/start")
            wait_for(client, "named", {"Successful"})
            text = unsigned(client, "/metrics").text
    finally:
        runtime.close()

    assert sample(text, "tidemill_batches_finished_total", job="named", status="Successful") == 1


def test_the_scheduler_records_how_late_it_fires(tmp_path: Path) -> None:
    world = World(make_settings(tmp_path), FixedClock(START))
    try:
        datasources.create(world.rt, world.account, "logs", {
            "region": "nb", "type": "kodo", "noVerifySchema": True,
            "schema": [{"key": "url", "valtype": "string"}],
            "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"},
        })  # fmt: skip
        world.job("hourly", HOURLY)
        world.start("hourly")
        slot = START.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        assert world.at(slot + timedelta(seconds=90)) == 1  # fired 90 s after its slot

        text = world.rt.metrics.exposition().decode()
    finally:
        world.close()

    assert sample(text, "tidemill_scheduler_fire_lag_seconds_count") == 1
    assert sample(text, "tidemill_scheduler_fire_lag_seconds_sum") == 90.0
