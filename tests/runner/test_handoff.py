"""The depend hand-off (docs/performance.md, session 6): the slot thread that records a
parent's success starts its depend children itself, in the same pass the dispatcher would run
(the queue's order, the caps), without waiting for the dispatcher thread to wake."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, make_datasource, make_depend_job, make_job, write_lines
from tests.support import Client
from tidemill.api.app import create_app
from tidemill.config import RunnerSettings, Settings
from tidemill.core.batches import BatchStatus
from tidemill.runner.runner import Runner, Slot, start_forkserver
from tidemill.runtime import Runtime, build_runtime
from tidemill.store import batches as store


def status(runtime: Runtime, account: int, job: str) -> BatchStatus | None:
    with runtime.db.connect() as conn:
        batch = store.get_batch(conn, account, job, 1)
    return None if batch is None else batch.status


def parent_queued_with_a_depend_child(settings: Settings) -> tuple[Runtime, int]:
    """Job `up` started (its batch Ready: the API ran with no runner) and its depend child
    `down`; the runtime on `settings` and the account."""
    write_lines(settings, "bkt1", "cdn/a.json", [json.dumps(r) for r in ROWS])
    api_only = settings.model_copy(update={"runner": RunnerSettings(enabled=False)})
    with TestClient(create_app(api_only), raise_server_exceptions=False) as http:
        client = Client(http)
        make_datasource(client)
        make_job(client, "up", "select url, bytes from logs")
        make_depend_job(client, "down", "up", "u", "select count(*) as n from u")
        assert client.post("/v2/jobs/up/actions/start", {}).status_code == 200
    runtime = build_runtime(settings)
    with runtime.db.connect() as conn:
        waiting = [(a, b.job_name) for a, b in store.claimable(conn, 10)]
    assert [job for _, job in waiting] == ["up"]  # no runner ran it
    return runtime, waiting[0][0]


def test_the_parents_slot_starts_its_child_with_no_dispatcher_thread(settings: Settings) -> None:
    runtime, account = parent_queued_with_a_depend_child(settings)

    # A runner whose dispatcher thread never runs: one pass by hand claims the parent; only
    # the parent's slot thread can then claim the child.
    start_forkserver()
    runner = Runner(runtime, slots=2)
    runner._slots = [Slot(runner, i) for i in range(2)]
    try:
        runner._dispatch()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and status(runtime, account, "down") not in (
            BatchStatus.SUCCESSFUL, BatchStatus.FAILED,
        ):  # fmt: skip
            time.sleep(0.05)
        assert status(runtime, account, "up") is BatchStatus.SUCCESSFUL
        assert status(runtime, account, "down") is BatchStatus.SUCCESSFUL
    finally:
        runner.close()
        runtime.close()
