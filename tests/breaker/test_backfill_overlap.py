"""Overlapping backfills (issue 14, item 1): several `reprocess: missing` backfills of one
range sent at once fill each slot once. `missing` skips a slot with an active batch; the
check and the queueing must be one step per job, or each request sees the range empty and
queues it again (SQLite's driver began the transaction only at the first write)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.support import Client
from tidemill.config import Settings

HOURLY = {"type": "crontab", "spec": {"crontab": "0 0 * * * *"}}
RANGE = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-02T23:00:00+08:00"}


def test_concurrent_missing_backfills_queue_each_slot_once(
    client: Client, settings: Settings
) -> None:
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "j", "select count(*) as n from logs", scheduler=HOURLY)
    answers: list[Any] = []
    gate = threading.Barrier(4)

    def send() -> None:
        gate.wait()
        answers.append(
            client.post("/v2/jobs/j/actions/backfill", {**RANGE, "reprocess": "missing"})
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert sorted(a.json()["slots"] for a in answers) == [0, 0, 0, 48]
    history = client.get("/v2/jobs/j/history", params={"size": "1000"}).json()["history"]
    per_slot = Counter(h["batchTime"] for h in history)
    assert len(per_slot) == 48 and set(per_slot.values()) == {1}, per_slot
