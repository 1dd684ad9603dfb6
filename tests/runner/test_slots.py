"""A cancel meant for one batch never ends the worker once its slot runs the next one (worker
processes serve batch after batch). It did: a rerun written while the slot was recording the
first attempt made the stop watcher end the worker that then ran the rerun (Failed)."""

from __future__ import annotations

import json
import time

import pytest

from tests.api.test_batches import ROWS, SLOW, make_datasource, make_job, write_lines
from tests.support import Client, wait_for
from tidemill.config import Settings
from tidemill.runner.runner import Runner, Slot


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    make_datasource(client)
    return client


def busy_slot(runner: Runner, job: str) -> Slot:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for slot in runner.slots:
            if slot.current is not None and slot.current.batch.job_name == job:
                return slot
        time.sleep(0.02)
    raise AssertionError(f"no slot runs {job}")


def test_a_cancel_for_a_finished_batch_leaves_the_next_batch_running(data: Client) -> None:
    runner = data.http.app.state.runtime.runner  # type: ignore[attr-defined]
    assert isinstance(runner, Runner)
    make_job(data, "slow", SLOW)
    data.post("/v2/jobs/slow/actions/start", {})
    first = busy_slot(runner, "slow").current
    assert first is not None
    assert data.post("/v2/jobs/slow/actions/stop").status_code == 200
    wait_for(data, "slow", {"Canceled"})

    rerun = data.post("/v2/batch/actions/rerun", {"jobName": "slow", "runId": 1})
    assert rerun.status_code == 200, rerun.text
    slot = busy_slot(runner, "slow")
    assert slot.current is not None and slot.current is not first
    wait_for(data, "slow", {"Running"})

    for each in runner.slots:
        each.cancel(first)  # late: its batch ended
    time.sleep(1.5)

    assert slot.current is not None and not slot.cancelling
    assert wait_for(data, "slow", {"Running", "Failed", "Canceled"})["status"] == "Running"
    assert data.post("/v2/jobs/slow/actions/stop").status_code == 200
    assert wait_for(data, "slow", {"Canceled", "Failed"})["status"] == "Canceled"
