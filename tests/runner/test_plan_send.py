"""A plan is sent to a live worker by the thread that assigns it when it fits in the pipe's
buffer, else by the slot thread (runner.Slot.assign): a batch whose plan is over PIPE_ROOM
runs all the same on the same worker, between two batches whose plans were sent at once."""

from __future__ import annotations

import json
import pickle

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.support import Client, wait_for
from tidemill.config import Settings
from tidemill.runner.runner import PIPE_ROOM

FILES = 240
NAME = "x" * 150  # each input file's key: the plan lists every one


def test_a_plan_over_the_pipe_room_runs_between_two_sent_at_once(
    client: Client, settings: Settings
) -> None:
    assert len(pickle.dumps([f"cdn/{NAME}-{i:04}.json" for i in range(FILES)])) > PIPE_ROOM
    make_datasource(client, "small", prefix="one/")
    write_lines(settings, "bkt1", "one/a.json", [json.dumps(r) for r in ROWS])
    make_datasource(client)
    for i in range(FILES):
        write_lines(settings, "bkt1", f"cdn/{NAME}-{i:04}.json", [json.dumps(ROWS[i % 3])])
    make_job(client, "many", "select count(*) as n, sum(bytes) as b from logs")
    small = {"srcs": [{"name": "small", "type": "DataSource", "tableName": "logs"}]}
    make_job(client, "few", "select count(*) as n, sum(bytes) as b from logs", **small)

    for job, run, rows in (("few", 1, [[3, 22]]), ("many", 1, [[FILES, 22 * FILES // 3]]),
                           ("few", 2, [[3, 22]])):  # fmt: skip
        assert client.post(f"/v2/jobs/{job}/actions/start", {}).status_code == 200
        assert wait_for(client, job)["status"] == "Successful"
        assert client.get(f"/v2/jobs/{job}/history/{run}/result").json()["rows"] == rows
