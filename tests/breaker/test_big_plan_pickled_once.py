"""A plan over PIPE_ROOM (session 7, serverpath: `Slot.assign` sends small plans itself) is
pickled once per batch, as before that change: the assigning thread — the dispatcher, holding
the dispatch lock every hand-off waits for — used to pickle it whole only to find it too big
and throw the bytes away, and the slot thread pickled it again (a 10,000-file plan: ~40 ms of
CPU each time here; 100,000 files: ~0.5 s)."""

from __future__ import annotations

import json
import pickle
import threading
from multiprocessing.reduction import ForkingPickler
from typing import Any

import pytest

from tests.api.test_batches import ROWS, make_datasource, make_job, write_lines
from tests.support import Client, wait_for
from tidemill.config import Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.runner.runner import FILE_BYTES_AT_LEAST, PIPE_ROOM, Runner, Slot
from tidemill.runtime import Runtime

FILES = 240
NAME = "x" * 150  # each input file's key: the plan lists every one


def test_a_plan_over_the_pipe_room_is_pickled_once(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(pickle.dumps([f"cdn/{NAME}-{i:04}.json" for i in range(FILES)])) > PIPE_ROOM
    make_datasource(client)
    for i in range(FILES):
        write_lines(settings, "bkt1", f"cdn/{NAME}-{i:04}.json", [json.dumps(ROWS[i % 3])])
    make_job(client, "many", "select count(*) as n from logs")

    real = ForkingPickler.dumps.__func__  # type: ignore[attr-defined]
    pickled: list[str] = []

    def dumps(cls: type, obj: Any, protocol: int | None = None) -> Any:
        if isinstance(obj, BatchPlan):
            pickled.append(threading.current_thread().name)
        return real(cls, obj, protocol)

    monkeypatch.setattr(ForkingPickler, "dumps", classmethod(dumps))
    assert client.post("/v2/jobs/many/actions/start", {}).status_code == 200
    assert wait_for(client, "many")["status"] == "Successful"
    assert client.get("/v2/jobs/many/history/1/result").json()["rows"] == [[FILES]]
    assert len(pickled) == 1, pickled


def test_a_plan_whose_files_alone_are_over_the_room_is_not_pickled_by_the_assigning_thread(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = PIPE_ROOM // FILE_BYTES_AT_LEAST + 1
    table = TablePlan("logs", files=tuple(InputFile("file:///k", 1, "json") for _ in range(files)))
    plan = BatchPlan(1, AccountScope("default"), "j", 1, "select 1", (table,), "file:///r",
                     Limits(1, "1GB"), "Asia/Shanghai")  # fmt: skip
    assert len(ForkingPickler.dumps(plan)) > PIPE_ROOM  # the bound holds for the shortest URI
    pickled: list[object] = []
    real = ForkingPickler.dumps.__func__  # type: ignore[attr-defined]

    def dumps(cls: type, obj: Any, protocol: int | None = None) -> Any:
        pickled.append(obj)
        return real(cls, obj, protocol)

    monkeypatch.setattr(ForkingPickler, "dumps", classmethod(dumps))
    slot = Slot(Runner(runtime, slots=1), 0)
    try:
        assert slot._send_now(plan) == (False, None)
        assert pickled == []
    finally:
        slot._queue.put(None)
