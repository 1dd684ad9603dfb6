"""A runner stopped while a parent's slot thread is about to claim its depend children (session
6's hand-off) claims nothing more: the child stays Ready for the next start, rather than being
claimed by a stopping runner and recorded Failed ("shut down while this batch was running;
rerun the batch") though it never ran. Real runner, worker processes and SQLite; the slot
thread's pass is held at the lock that serialises passes until the stop has begun."""

from __future__ import annotations

import json
import threading
import time
from types import TracebackType

from fastapi.testclient import TestClient

from tests.api.test_batches import ROWS, make_datasource, make_depend_job, make_job, write_lines
from tests.support import Client
from tidemill.api.app import create_app
from tidemill.config import RunnerSettings, Settings
from tidemill.core.batches import BatchStatus
from tidemill.runner.runner import Runner, Slot, start_forkserver
from tidemill.runtime import Runtime, build_runtime
from tidemill.store import batches as store


class Gate:
    """A lock (the runner's `_dispatching`) that the test can hold, and that tells when a slot
    thread waits on it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.slot_waits = threading.Event()

    def __enter__(self) -> None:
        if threading.current_thread().name.startswith("tidemill-slot"):
            self.slot_waits.set()
        self.lock.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.lock.release()


def status(runtime: Runtime, account: int, job: str) -> BatchStatus | None:
    with runtime.db.connect() as conn:
        batch = store.get_batch(conn, account, job, 1)
    return None if batch is None else batch.status


def test_a_stop_during_the_parents_hand_off_leaves_the_child_ready(settings: Settings) -> None:
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
        ((account, _),) = store.claimable(conn, 10)

    # No dispatcher thread: one pass by hand starts the parent on slot 0.
    start_forkserver()
    runner = Runner(runtime, slots=2)
    gate = Gate()
    runner._dispatching = gate  # type: ignore[assignment]
    runner._slots = [Slot(runner, i) for i in range(2)]
    closing = threading.Thread(target=runner.close, daemon=True)
    try:
        runner._dispatch()
        gate.lock.acquire()  # the parent's slot thread will wait here to claim the child
        try:
            assert gate.slot_waits.wait(30), "the parent's slot never passed its children on"
            assert status(runtime, account, "up") is BatchStatus.SUCCESSFUL
            closing.start()
            deadline = time.monotonic() + 10
            while not runner.stopping:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            gate.lock.release()
        closing.join(30)
        assert not closing.is_alive()
        assert status(runtime, account, "down") is BatchStatus.READY
    finally:
        if not closing.is_alive():
            runner.close()
        runtime.close()
