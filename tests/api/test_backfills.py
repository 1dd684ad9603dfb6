"""Range backfills through the real app (issue 14, item 1): the slots, what is reprocessed, the
batchTime rendered into each result, progress, cancel, depend children, refusals, tenancy."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_batches import SLOW, make_datasource, make_depend_job, make_job, write_lines
from tests.conftest import make_settings
from tests.support import Client, assert_error
from tidemill.config import BackfillSettings, RunnerSettings, Settings
from tidemill.services.accounts import create_key

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
STAMPED = "select '$(now)' as t, count(*) as n from logs"
DAY = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-01T04:00:00+08:00"}
ACTIVE = ("Ready", "Running", "Restarting", "Cancelling")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path).model_copy(
        update={
            "runner": RunnerSettings(slots=3),
            "backfill": BackfillSettings(max_slots=50),
        }
    )


@pytest.fixture
def data(client: Client, settings: Settings) -> Client:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    return client


def backfill(client: Client, job: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v2/jobs/{job}/actions/backfill", {**DAY, **body})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def progress(client: Client, backfill_id: str) -> dict[str, Any]:
    response = client.get(f"/v2/backfills/{backfill_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def wait_done(client: Client, backfill_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown = progress(client, backfill_id)
        if shown["state"] != "Running":
            return shown
        if time.monotonic() > deadline:
            pytest.fail(f"backfill {backfill_id} still running: {shown}")
        time.sleep(0.1)


def history(client: Client, job: str) -> list[dict[str, Any]]:
    response = client.get(f"/v2/jobs/{job}/history", params={"sortBy": "runId"})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["history"]
    return entries


def stamped(client: Client, job: str, run_id: int) -> str:
    response = client.get(f"/v2/jobs/{job}/history/{run_id}/result")
    assert response.status_code == 200, response.text
    value: str = response.json()["rows"][0][0]
    return value


def wall(batch_time: str) -> str:
    """`$(now)` of a batch: its batchTime as yyyy-MM-dd HH:mm:ss in the configured zone."""
    return datetime.fromisoformat(batch_time).strftime("%Y-%m-%d %H:%M:%S")


def test_backfill_runs_each_slot_once_with_its_batch_time_rendered(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)

    made = backfill(data, "h", concurrency=2)
    done = wait_done(data, made["backfillId"])

    times = [b["batchTime"] for b in made["batches"]]
    assert times == [f"2026-11-01T0{h}:00:00+08:00" for h in range(5)]
    assert made["slots"] == 5 and [b["runId"] for b in made["batches"]] == [1, 2, 3, 4, 5]
    assert done["state"] == "Done" and done["counts"] == {"Successful": 5}
    assert {k: done[k] for k in ("from", "to", "reprocess", "concurrency", "order")} == {
        **DAY, "reprocess": "missing", "concurrency": 2, "order": "asc",
    }  # fmt: skip
    ran = history(data, "h")
    assert [(b["runId"], b["batchTime"]) for b in ran] == [
        (b["runId"], b["batchTime"]) for b in made["batches"]
    ]
    assert all(stamped(data, "h", b["runId"]) == wall(b["batchTime"]) for b in ran)


def test_missing_skips_successful_slots_and_failed_takes_only_failed_ones(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    first = backfill(data, "h", to="2026-11-01T01:00:00+08:00")
    wait_done(data, first["backfillId"])

    again = backfill(data, "h")
    failed = backfill(data, "h", reprocess="failed", dryRun=True)
    everything = backfill(data, "h", reprocess="all", dryRun=True)

    assert [b["batchTime"][11:13] for b in again["batches"]] == ["02", "03", "04"]
    assert failed["slots"] == 0 and failed["batches"] == []
    assert everything["slots"] == 5


def test_failed_reprocesses_the_slots_whose_latest_batch_failed(data: Client) -> None:
    # Fails for the slot at 01:00 only (Spark's assert_true raises on false).
    code = "select assert_true(substr('$(now)', 12, 2) != '01') as x, count(*) as n from logs"
    make_job(data, "h", code, scheduler=HOURLY)
    made = backfill(data, "h", to="2026-11-01T02:00:00+08:00")
    wait_done(data, made["backfillId"])
    statuses = {b["batchTime"][11:13]: b["status"] for b in history(data, "h")}

    retried = backfill(data, "h", reprocess="failed", to="2026-11-01T02:00:00+08:00")

    assert statuses == {"00": "Successful", "01": "Failed", "02": "Successful"}
    assert [b["batchTime"][11:13] for b in retried["batches"]] == ["01"]


def test_dry_run_creates_nothing_and_desc_fills_newest_first(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)

    dry = backfill(data, "h", dryRun=True, order="desc")

    assert dry["backfillId"] == "" and dry["slots"] == 5
    assert [b["batchTime"][11:13] for b in dry["batches"]] == ["04", "03", "02", "01", "00"]
    assert history(data, "h") == []
    made = backfill(data, "h", order="desc")
    assert [(b["runId"], b["batchTime"][11:13]) for b in made["batches"]] == [
        (1, "04"), (2, "03"), (3, "02"), (4, "01"), (5, "00"),
    ]  # fmt: skip


def test_loop_job_slots_follow_its_interval_from_the_range_start(data: Client) -> None:
    make_job(data, "l", STAMPED, scheduler={"type": "loop", "spec": {"loop": "90m"}})

    dry = backfill(data, "l", dryRun=True, **{"from": "2026-11-01T00:00:00.5+08:00"})

    assert [b["batchTime"][11:19] for b in dry["batches"]] == ["00:00:01", "01:30:01", "03:00:01"]


def test_depend_children_run_for_each_backfilled_batch(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    make_depend_job(data, "child", "h", "up", "select t, n + 1 as m from up")

    made = backfill(data, "h", to="2026-11-01T02:00:00+08:00", concurrency=3)
    done = wait_done(data, made["backfillId"])

    children = history(data, "child")
    assert done["counts"] == {"Successful": 6} and done["total"] == 6
    assert sorted(b["batchTime"] for b in children) == [b["batchTime"] for b in made["batches"]]
    assert all(stamped(data, "child", b["runId"]) == wall(b["batchTime"]) for b in children)


def test_cancel_drops_waiting_batches_and_stops_running_ones(data: Client) -> None:
    make_job(data, "s", SLOW, scheduler=HOURLY)
    made = backfill(data, "s")
    deadline = time.monotonic() + 20
    while progress(data, made["backfillId"])["counts"].get("Running") != 1:
        assert time.monotonic() < deadline, progress(data, made["backfillId"])
        time.sleep(0.05)

    canceled = data.post(f"/v2/backfills/{made['backfillId']}/cancel")

    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["state"] == "Canceled"
    deadline = time.monotonic() + 30
    while any(b["status"] in ACTIVE for b in history(data, "s")):
        shown = [(b["runId"], b["status"], b["message"]) for b in history(data, "s")]
        assert time.monotonic() < deadline, shown
        time.sleep(0.05)
    assert [b["status"] for b in history(data, "s")] == ["Canceled"] * 5
    assert progress(data, made["backfillId"])["counts"] == {"Canceled": 5}
    again = data.post(f"/v2/backfills/{made['backfillId']}/cancel")
    assert again.status_code == 200 and again.json()["state"] == "Canceled"


def test_cancel_of_a_done_backfill_is_refused(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    made = backfill(data, "h", to="2026-11-01T00:00:00+08:00")
    wait_done(data, made["backfillId"])

    assert_error(data.post(f"/v2/backfills/{made['backfillId']}/cancel"), 400, "E18645")


def test_another_account_sees_no_backfill_of_ours(data: Client, runtime: Any) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    made = backfill(data, "h", dryRun=False, to="2026-11-01T00:00:00+08:00")
    pair = create_key(runtime, "other")
    other = data.as_account(pair.access_key, pair.secret_key)

    assert_error(other.get(f"/v2/backfills/{made['backfillId']}"), 404, "E18202")
    assert_error(other.post(f"/v2/backfills/{made['backfillId']}/cancel"), 404, "E18202")
    assert_error(other.post("/v2/jobs/h/actions/backfill", DAY), 404, "E18202")
    assert_error(data.get("/v2/backfills/nothing-here"), 404, "E18202")


def test_manual_and_depend_jobs_are_refused(data: Client) -> None:
    make_job(data, "m", STAMPED)
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    make_depend_job(data, "d", "h", "up", "select t from up")
    make_job(data, "b2b", STAMPED, scheduler={"type": "loop", "spec": {"loop": "0"}})

    manual = assert_error(data.post("/v2/jobs/m/actions/backfill", DAY), 400, "E18644")
    depend = assert_error(data.post("/v2/jobs/d/actions/backfill", DAY), 400, "E18644")
    back_to_back = assert_error(data.post("/v2/jobs/b2b/actions/backfill", DAY), 400, "E18644")

    assert "manual job" in manual["error"] and "backfill the upstream" in depend["error"]
    assert "no interval" in back_to_back["error"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"to": DAY["to"]}, "from is required"),
        ({**DAY, "from": "2026-11-01 00:00:00"}, "RFC 3339"),
        ({**DAY, "from": "2026-11-01T00:00:00"}, "zone offset"),
        ({**DAY, "to": "2026-10-31T00:00:00+08:00"}, "swap them"),
        ({**DAY, "reprocess": "some"}, "'missing', 'failed', 'all'"),
        ({**DAY, "order": "up"}, "'asc', 'desc'"),
        ({**DAY, "concurrency": 0}, "between 1 and 1000"),
        ({**DAY, "concurrency": "2"}, "must be an integer"),
        ({**DAY, "dryRun": "yes"}, "must be a boolean"),
        ({**DAY, "to": "2026-11-03T04:00:00+08:00"}, "holds more than 50 slots"),
    ],
)
def test_bad_bodies_are_refused_with_what_to_send(
    data: Client, body: dict[str, Any], says: str
) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)

    refused = assert_error(data.post("/v2/jobs/h/actions/backfill", body), 400, "E18007")

    assert says in refused["error"]
    assert history(data, "h") == []


def test_unknown_job_and_bad_name(data: Client) -> None:
    assert_error(data.post("/v2/jobs/nope/actions/backfill", DAY), 404, "E18202")
    assert_error(data.post("/v2/jobs/9bad/actions/backfill", DAY), 400, "E18207")


def test_deleting_the_job_deletes_its_backfills(data: Client) -> None:
    make_job(data, "h", STAMPED, scheduler=HOURLY)
    made = backfill(data, "h", to="2026-11-01T00:00:00+08:00")
    wait_done(data, made["backfillId"])

    assert data.delete("/v2/jobs/h").status_code == 200

    assert_error(data.get(f"/v2/backfills/{made['backfillId']}"), 404, "E18202")


def test_max_concurrent_is_checked_echoed_and_lets_batches_overlap(data: Client) -> None:
    make_job(data, "s", SLOW, scheduler=HOURLY, maxConcurrent=2)
    bad = {"scheduler": HOURLY, "maxConcurrent": 0}
    zero = data.post("/v2/jobs/z", {**data.get("/v2/jobs/s").json(), **bad})
    typed = data.post("/v2/jobs/z", {**data.get("/v2/jobs/s").json(), "maxConcurrent": "2"})

    assert_error(zero, 400, "E18207")
    assert "between 1 and 1000" in zero.json()["error"]
    assert_error(typed, 400, "E18007")
    assert data.get("/v2/jobs/s").json()["maxConcurrent"] == 2
    made = backfill(data, "s", concurrency=4)
    deadline = time.monotonic() + 30
    while progress(data, made["backfillId"])["counts"].get("Running", 0) < 2:
        assert time.monotonic() < deadline, progress(data, made["backfillId"])
        time.sleep(0.05)
    time.sleep(0.5)  # a third would start now if the cap let it
    assert progress(data, made["backfillId"])["counts"] == {"Running": 2, "Ready": 3}
    data.post(f"/v2/backfills/{made['backfillId']}/cancel")
    deadline = time.monotonic() + 20
    while progress(data, made["backfillId"])["counts"] != {"Canceled": 5}:
        assert time.monotonic() < deadline, progress(data, made["backfillId"])
        time.sleep(0.05)
