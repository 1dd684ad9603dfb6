"""`TIDEMILL_RUNNER__ENABLED=false` (issue 11): a node that serves the API and schedules but
claims no batches; a stop or rerun issued on it acts on the batch another node runs, through
the store (the owner's runner watches for Cancelling), within 5 s.

Two real apps in this process on one metadata database (SQLite, and PostgreSQL): node A with
its runner disabled, node B with one. The two-node acceptance test with separate data dirs and
the warehouse on S3 is tests/runner/test_two_nodes.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, SLOW, latest, make_datasource, make_job, write_lines
from tests.conftest import OWN_BUCKETS, make_settings
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.config import RunnerSettings, Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def node_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = "" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = make_settings(tmp_path, url)
    for bucket in OWN_BUCKETS:
        (settings.data_dir / "kodo" / settings.account / bucket).mkdir(parents=True, exist_ok=True)
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    return settings


def node(stack: ExitStack, settings: Settings, *, runner: bool) -> tuple[Client, TestClient]:
    configured = settings.model_copy(update={"runner": RunnerSettings(enabled=runner, slots=1)})
    http = stack.enter_context(TestClient(create_app(configured), raise_server_exceptions=False))
    return Client(http), http


@pytest.fixture
def api_only(node_settings: Settings) -> Iterator[tuple[Client, TestClient, Settings]]:
    with ExitStack() as stack:
        client, http = node(stack, node_settings, runner=False)
        yield client, http, node_settings


def test_a_node_without_a_runner_serves_the_api_but_claims_no_batch(
    api_only: tuple[Client, TestClient, Settings],
) -> None:
    a, http, settings = api_only
    assert http.app.state.runtime.runner is None  # type: ignore[attr-defined]
    make_datasource(a)
    make_job(a, "quick", "select url, sum(bytes) as total from logs group by url")
    assert a.post("/v2/jobs/quick/actions/start", {}).status_code == 200

    time.sleep(3 * settings.runner.poll_seconds)  # a runner would have claimed it by now
    assert latest(a, "quick")["status"] == "Ready"

    with ExitStack() as stack:
        b, _ = node(stack, settings, runner=True)
        assert wait_for(b, "quick", {"Successful", "Failed"})["status"] == "Successful"
    assert latest(a, "quick")["status"] == "Successful"
    assert a.get("/v2/jobs/quick/history/1/result").status_code == 200


def test_stop_and_rerun_on_a_node_without_a_runner_reach_the_batch_another_node_runs(
    api_only: tuple[Client, TestClient, Settings],
) -> None:
    a, _, settings = api_only
    make_datasource(a)
    make_job(a, "slow", SLOW)
    with ExitStack() as stack:
        b, _ = node(stack, settings, runner=True)
        assert a.post("/v2/jobs/slow/actions/start", {}).status_code == 200
        wait_for(a, "slow", {"Running"})

        asked = time.monotonic()
        stopped = a.post("/v2/batch/actions/stop", {"jobName": "slow", "runId": 1})
        assert stopped.status_code == 200, stopped.text
        # Node A has no worker to end: the stop is written, node B's runner acts on it.
        assert stopped.json() == {"preStatus": "Running", "postStatus": "Cancelling"}
        assert wait_for(a, "slow", {"Canceled"}, timeout=5)["status"] == "Canceled"
        took = time.monotonic() - asked
        print(f"stop on node A -> Canceled by node B in {took:.2f} s")
        assert took < 5

        rerun = a.post("/v2/batch/actions/rerun", {"jobName": "slow", "runId": 1})
        assert rerun.status_code == 200, rerun.text
        assert wait_for(a, "slow", {"Running"})["status"] == "Running"  # claimed by node B
        stopped = a.post("/v2/batch/actions/stop", {"jobName": "slow", "runId": 1})
        assert stopped.status_code == 200, stopped.text
        assert wait_for(b, "slow", {"Canceled"}, timeout=5)["status"] == "Canceled"
