"""A real `tidemill serve` killed with -9 mid-batch: the restarted service settles the batch,
the orphaned worker does not linger, and the next batches run normally (issue: isolation and
recovery)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Served

SLOW = "select sum(hash(a.id * b.id)) as n from range(1000000) a cross join range(1000000) b"
FAST = "select count(*) as n from logs"


def latest(server: Served, job: str) -> dict[str, Any]:
    response = server.request("GET", f"/v2/jobs/{job}/history?runId=-1")
    assert response.status_code == 200, response.text
    history = response.json()["history"]
    entry: dict[str, Any] = history[0] if history else {}
    return entry


def wait_status(server: Served, job: str, wanted: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = latest(server, job)
        if entry.get("status") in wanted:
            return entry
        time.sleep(0.05)
    raise AssertionError(f"{job}: no batch reached {wanted}; last {latest(server, job)}")


def descendants(pid: int) -> set[int]:
    """The processes below `pid` (the forkserver and its workers, for a service)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie has ended; only its parent's reaping is due)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            running.add(pid)
    return running


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "kodo" / "default" / "bkt1" / "cdn"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text('{"url": "/a"}\n{"url": "/b"}\n')
    return tmp_path / "data"


@pytest.fixture
def servers(data_dir: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for server in started:
        server.stop()


def setup_jobs(server: Served) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/v2/datasources/logs", {
            "region": "nb", "type": "kodo", "noVerifySchema": True,
            "schema": [{"key": "url", "valtype": "string"}],
            "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"},
        }),
    ]  # fmt: skip
    for name, code in [("slow", SLOW), ("fast", FAST)]:
        calls.append((f"/v2/jobs/{name}", {
            "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
            "computation": {"type": "sql", "code": code},
            "container": {"type": "1U2G", "count": 1},
            "scheduler": {"type": "manual"},
        }))  # fmt: skip
    for path, body in calls:
        response = server.request("POST", path, body)
        assert response.status_code == 200, response.text


def test_a_batch_interrupted_by_kill_9_is_settled_on_restart(
    data_dir: Path, servers: list[Served]
) -> None:
    first = Served(data_dir).start()
    servers.append(first)
    setup_jobs(first)
    assert first.request("POST", "/v2/jobs/slow/actions/start", {}).status_code == 200
    wait_status(first, "slow", {"Running"})
    assert first.process is not None
    spawned = descendants(first.process.pid)
    assert spawned, "the batch should run in a worker process"

    first.kill()
    deadline = time.monotonic() + 10
    while alive(spawned) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(spawned), "workers outlived the killed service"

    second = Served(data_dir).start()
    servers.append(second)
    settled = wait_status(second, "slow", {"Failed"}, timeout=15)
    assert "rerun" in settled["message"]
    assert settled["endTime"]

    assert second.request("POST", "/v2/jobs/fast/actions/start", {}).status_code == 200
    done = wait_status(second, "fast", {"Successful", "Failed"})
    assert done["status"] == "Successful", done
    rerun = second.request("POST", "/v2/batch/actions/rerun", {"jobName": "slow", "runId": 1})
    assert rerun.status_code == 200, rerun.text
    assert wait_status(second, "slow", {"Running"})["runId"] == 1
