"""Automatic retries (issue 14, item 2) through the real app on a FixedClock.

A batch fails for real: its http export's receiver (a real local server) answers 503, which
fails the batch with a retryable verdict (the result stands, the target may come back). The
clock is moved past the stored due time, and the same batch (same runId and batchTime, rerun
count + 1) runs again.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_batches import make_datasource, make_job, write_lines
from tests.conftest import OWN_BUCKETS
from tests.exporters.receivers import Receiver, http_receiver
from tests.support import Client, assert_error, wait_for
from tidemill.api.app import create_app
from tidemill.clock import FixedClock
from tidemill.config import ExportSettings, Settings
from tidemill.core.batches import Batch
from tidemill.runtime import Runtime, build_runtime
from tidemill.store import batches as batch_store

NOW = datetime(2025, 6, 1, 4, 0, tzinfo=UTC)
RETRY = {"attempts": 3, "backoff": "30s", "maxBackoff": "10m"}
DUE = re.compile(r"retrying at (\S+)$")


class World:
    """The app on a FixedClock over one data directory; `restart` builds it anew."""

    def __init__(self, settings: Settings, clock: FixedClock) -> None:
        self.settings, self.clock = settings, clock
        self.runtime: Runtime | None = None
        self._http: TestClient | None = None
        self.client: Client | None = None

    def open(self) -> Client:
        self.runtime = build_runtime(self.settings, self.clock)
        for bucket in OWN_BUCKETS:
            (self.settings.data_dir / "kodo" / "default" / bucket).mkdir(parents=True,
                                                                         exist_ok=True)  # fmt: skip
        self._http = TestClient(create_app(self.settings, self.runtime),
                                raise_server_exceptions=False)  # fmt: skip
        self._http.__enter__()
        self.client = Client(self._http, clock=self.clock)
        return self.client

    def close(self) -> None:
        if self._http is not None:
            self._http.__exit__(None, None, None)
            self._http = None

    def batch(self, job: str, run_id: int = 1) -> Batch:
        assert self.runtime is not None
        with self.runtime.db.connect() as conn:
            found = batch_store.get_batch(conn, 1, job, run_id)
        assert found is not None
        return found

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        assert self.runtime is not None
        self.runtime.notify_runner()


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    quick = settings.model_copy(update={"exports": ExportSettings(http_retries=0, http_timeout=5)})
    made = World(quick, FixedClock(NOW))
    made.open()
    yield made
    made.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as made:
        yield made


def retried_job(w: World, receiver: Receiver, retry: dict[str, Any] = RETRY) -> Client:
    client = w.client
    assert client is not None
    write_lines(w.settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    make_datasource(client)
    make_job(client, "r", "select url from logs", retry=retry)
    spec = {"host": receiver.url, "uri": "/in", "format": "json"}
    assert client.post("/v2/jobs/r/exports/h", {"type": "http", "spec": spec}).status_code == 200
    return client


def due_time(message: str) -> datetime:
    found = DUE.search(message)
    assert found, message
    return datetime.fromisoformat(found.group(1))


def test_a_failed_attempt_is_retried_as_the_same_batch(world: World, receiver: Receiver) -> None:
    receiver.fail_next = 1
    client = retried_job(world, receiver)
    client.post("/v2/jobs/r/actions/start", {})

    failed = wait_for(client, "r", {"Failed"})
    due = due_time(failed["message"])
    world.advance(due - NOW - timedelta(seconds=1))  # not yet due: nothing moves
    assert wait_for(client, "r", {"Failed"}, timeout=1.5)["message"] == failed["message"]
    world.advance(timedelta(seconds=1))
    done = wait_for(client, "r", {"Successful"})

    assert failed["message"].startswith("attempt 1 of 3 failed: ")
    assert "HTTP 503" in failed["message"] or "503" in failed["message"]
    assert timedelta(seconds=15) <= due - NOW <= timedelta(seconds=30)  # 30s, equal jitter
    assert due.utcoffset() == timedelta(hours=8)  # said in the configured zone
    assert done["message"] == "success (attempt 2 of 3)"
    assert (done["runId"], done["batchTime"]) == (failed["runId"], failed["batchTime"])
    assert client.get("/v2/jobs/r/history").json()["total"] == 1
    assert world.batch("r").rerun_count == 1
    assert [r.headers["x-tidemill-attempt"] for r in receiver.requests] == ["0", "1"]


def test_retries_end_when_attempts_are_used_up(world: World, receiver: Receiver) -> None:
    receiver.always_fail = True
    client = retried_job(world, receiver, {"attempts": 2, "backoff": "1m", "maxBackoff": "1m"})
    client.post("/v2/jobs/r/actions/start", {})

    first = wait_for(client, "r", {"Failed"})
    world.advance(due_time(first["message"]) - NOW)
    last = _wait_message(client, "r", "attempt 2 of 2")
    world.advance(timedelta(hours=1))

    assert last["message"].endswith("; no attempts left")
    assert world.batch("r").rerun_count == 1
    assert len(receiver.requests) == 2
    assert wait_for(client, "r", {"Failed"}, timeout=1.5)["message"] == last["message"]
    assert len(receiver.requests) == 2


def _wait_message(client: Client, job: str, text: str, timeout: float = 30.0) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        entry = wait_for(client, job, {"Failed", "Successful", "Canceled"}, timeout)
        if text in entry["message"]:
            return entry
        if time.monotonic() > deadline:
            pytest.fail(f"{job}: no message with {text!r}: {entry}")
        time.sleep(0.05)


def test_a_permanent_failure_is_not_retried(world: World, receiver: Receiver) -> None:
    client = retried_job(world, receiver)
    shutil.rmtree(world.settings.data_dir / "kodo" / "default" / "bkt1")  # the input's bucket
    client.post("/v2/jobs/r/actions/start", {})

    failed = wait_for(client, "r", {"Failed"})
    world.advance(timedelta(hours=1))

    assert failed["message"].startswith("attempt 1 of 3 failed: ")
    assert failed["message"].endswith("; not retried: the failure is permanent")
    assert wait_for(client, "r", {"Failed"}, timeout=1.5)["message"] == failed["message"]
    assert world.batch("r").rerun_count == 0


def test_stopping_a_batch_ends_its_retries(world: World, receiver: Receiver) -> None:
    receiver.always_fail = True
    client = retried_job(world, receiver)
    client.post("/v2/jobs/r/actions/start", {})
    wait_for(client, "r", {"Failed"})

    stopped = client.post("/v2/batch/actions/stop", {"jobName": "r", "runId": 1})
    world.advance(timedelta(hours=1))

    assert stopped.status_code == 200, stopped.text
    assert stopped.json() == {"preStatus": "Failed", "postStatus": "Failed"}
    entry = wait_for(client, "r", {"Failed"}, timeout=1.5)
    assert entry["message"].endswith("; retries stopped by user")
    assert len(receiver.requests) == 1
    again = client.post("/v2/batch/actions/stop", {"jobName": "r", "runId": 1})
    assert_error(again, 400, "E18645")  # nothing left to stop


def test_stopping_the_job_ends_its_retries(world: World, receiver: Receiver) -> None:
    receiver.always_fail = True
    client = retried_job(world, receiver)
    client.post("/v2/jobs/r/actions/start", {})
    wait_for(client, "r", {"Failed"})

    assert client.post("/v2/jobs/r/actions/stop").status_code == 200
    world.advance(timedelta(hours=1))

    assert wait_for(client, "r", {"Failed"}, timeout=1.5)["message"].endswith("stopped by user")
    assert len(receiver.requests) == 1
    assert_error(client.post("/v2/jobs/r/actions/stop"), 400, "E18645")


def test_a_retry_survives_a_restart(world: World, receiver: Receiver) -> None:
    receiver.fail_next = 1
    client = retried_job(world, receiver)
    client.post("/v2/jobs/r/actions/start", {})
    due = due_time(wait_for(client, "r", {"Failed"})["message"])
    world.close()

    world.clock.set(due + timedelta(seconds=1))
    client = world.open()
    done = wait_for(client, "r", {"Successful"})

    assert done["runId"] == 1 and done["message"] == "success (attempt 2 of 3)"
    assert len(receiver.requests) == 2


def test_a_manual_rerun_starts_the_attempts_over(world: World, receiver: Receiver) -> None:
    receiver.always_fail = True
    client = retried_job(world, receiver, {"attempts": 2, "backoff": "1m", "maxBackoff": "1m"})
    client.post("/v2/jobs/r/actions/start", {})
    wait_for(client, "r", {"Failed"})

    rerun = client.post("/v2/batch/actions/rerun", {"jobName": "r", "runId": 1})
    entry = _wait_message(client, "r", "attempt 1 of 2")

    assert rerun.json()["rerunCount"] == 1
    assert entry["message"].startswith("attempt 1 of 2 failed")  # counted afresh
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    ("retry", "words"),
    [
        ({"attempts": 0}, "retry.attempts must be an integer from 1 to 20"),
        ({"attempts": 21}, "from 1 to 20"),
        ({"attempts": "3"}, "retry.attempts"),
        ({"attempts": True}, "retry.attempts"),
        ({}, "retry.attempts"),
        ({"attempts": 2, "backoff": "soon"}, "retry.backoff 'soon' is not a duration"),
        ({"attempts": 2, "backoff": "500ms"}, "retry.backoff must be from 1s to 1h"),
        ({"attempts": 2, "backoff": "2h"}, "retry.backoff must be from 1s to 1h"),
        ({"attempts": 2, "backoff": "1m", "maxBackoff": "30s"}, "retry.maxBackoff must be from"),
        ({"attempts": 2, "maxBackoff": "25h"}, "retry.maxBackoff must be from"),
        ({"attempts": 2, "delay": "1s"}, "retry.delay is not a member"),
        ([3], "retry must be an object"),
    ],
)
def test_a_bad_retry_field_is_refused(client: Client, retry: Any, words: str) -> None:
    make_datasource(client)
    body = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs", "fileFilter": ""}],
        "computation": {"type": "sql", "code": "select url from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
        "retry": retry,
    }  # fmt: skip
    error = assert_error(client.post("/v2/jobs/j", body), 400, "E18207")
    assert words in error["error"]
    assert client.get("/v2/jobs/j/exists").json() == {"exist": False}


def test_the_retry_field_is_echoed_normalised(client: Client, tmp_path: Path) -> None:
    make_datasource(client)
    make_job(client, "j", "select url from logs", retry={"attempts": 4, "backoff": "90s"})
    make_job(client, "plain", "select url from logs")

    shown = client.get("/v2/jobs/j").json()
    listed = {j["name"]: j for j in client.get("/v2/jobs").json()["jobs"]}

    assert shown["retry"] == {"attempts": 4, "backoff": "90s", "maxBackoff": "10m"}
    assert listed["j"]["retry"] == shown["retry"]
    assert "retry" not in listed["plain"] and "retry" not in client.get("/v2/jobs/plain").json()
