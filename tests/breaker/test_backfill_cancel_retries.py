"""Canceling a backfill (issue 14, items 1 and 2) while one of its batches waits for an
automatic retry: the batch is Failed with a due time, so the backfill showed Done (its cancel
refused, BATCH_CANNOT_STOP) and the retry ran the batch again. Now the backfill is Running
until the retry, and a cancel ends the retry."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.api.test_retries import RETRY, World, due_time, receiver, world  # noqa: F401
from tests.exporters.receivers import Receiver
from tests.support import wait_for

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
SLOT = "2025-06-01T10:00:00+08:00"


def test_a_canceled_backfill_ends_the_retries_of_its_batches(
    world: World,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    client = world.client
    assert client is not None
    write_lines(world.settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "r", "select url from logs", retry=RETRY, scheduler=HOURLY)
    spec = {"host": receiver.url, "uri": "/in", "format": "json"}
    assert client.post("/v2/jobs/r/exports/h", {"type": "http", "spec": spec}).status_code == 200
    receiver.fail_next = 1
    made = client.post("/v2/jobs/r/actions/backfill", {"from": SLOT, "to": SLOT}).json()
    failed = wait_for(client, "r", {"Failed"})
    assert "retrying at" in failed["message"], failed
    shown = client.get(f"/v2/backfills/{made['backfillId']}").json()
    assert shown["state"] == "Running", shown  # its batch runs again: not Done

    canceled = client.post(f"/v2/backfills/{made['backfillId']}/cancel")

    assert canceled.status_code == 200, canceled.text
    assert canceled.json()["state"] == "Canceled"
    world.advance(due_time(failed["message"]) - world.clock.now() + timedelta(seconds=1))
    time.sleep(2)  # time for a due retry to be queued and run
    after = wait_for(client, "r", {"Failed", "Successful"}, timeout=5)
    assert after["status"] == "Failed" and "retries stopped" in after["message"], after
    assert len(receiver.requests) == 1  # the failed attempt's post only


def test_a_slot_waiting_for_its_retry_is_not_backfilled_again(
    world: World,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    """`missing` skips a slot being filled and `failed` takes a slot whose latest batch failed;
    a Failed batch with a retry to come is being filled: neither queues a second batch."""
    client = world.client
    assert client is not None
    write_lines(world.settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "r", "select url from logs", retry=RETRY, scheduler=HOURLY)
    spec = {"host": receiver.url, "uri": "/in", "format": "json"}
    assert client.post("/v2/jobs/r/exports/h", {"type": "http", "spec": spec}).status_code == 200
    receiver.fail_next = 1
    client.post("/v2/jobs/r/actions/backfill", {"from": SLOT, "to": SLOT})
    assert "retrying at" in wait_for(client, "r", {"Failed"})["message"]

    for reprocess in ("missing", "failed"):
        again = client.post("/v2/jobs/r/actions/backfill",
                            {"from": SLOT, "to": SLOT, "reprocess": reprocess})  # fmt: skip
        assert again.status_code == 200, again.text
        assert again.json()["slots"] == 0, (reprocess, again.json())
