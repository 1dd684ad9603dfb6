"""A real `tidemill serve` killed with -9 mid-batch: the restarted service settles the batch,
the orphaned worker does not linger, and the next batches run normally (issue: isolation and
recovery)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import Served
from tidemill.core.models import AccountScope
from tidemill.engines.base import KEPT_PREFIX
from tidemill.storage.local_buckets import LocalKodo

SLOW = "select sum((a.id * b.id) % 7) as n from range(1000000) a cross join range(1000000) b"
FAST = "select count(*) as n from logs"
SLOW_READ = (  # as SLOW, with the kodo input held (pinned) all along
    "select sum((a.id * b.id) % 7) as n from logs l cross join range(1000000) a"
    " cross join range(1000000) b"
)


def latest(server: Served, job: str) -> dict[str, Any]:
    response = server.request("GET", f"/v2/jobs/{job}/history?runId=-1")
    assert response.status_code == 200, response.text
    history = response.json()["history"]
    entry: dict[str, Any] = history[0] if history else {}
    return entry


def wait_status(server: Served, job: str, wanted: set[str], timeout: float = 120) -> dict[str, Any]:
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
    for name, code in [("slow", SLOW), ("fast", FAST), ("slowread", SLOW_READ)]:
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
    deadline = time.monotonic() + 2  # issue 9: every process of the service ends within 2 s
    while alive(spawned) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(spawned), "workers outlived the killed service by 2 s"

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


def scratch_dirs(data_dir: Path) -> set[str]:
    """The names under <data>/scratch but the engines' kept directories (`kept_dirs`)."""
    root = data_dir / "scratch"
    names = {p.name for p in root.iterdir()} if root.exists() else set()
    return {name for name in names if not name.startswith(KEPT_PREFIX)}


def kept_dirs(data_dir: Path) -> set[str]:
    """The directories workers' engines keep between runs (engines.base.keep_area)."""
    return {p.name for p in (data_dir / "scratch").glob(f"{KEPT_PREFIX}*")}


def wait_dirs(data_dir: Path, done: Callable[[set[str]], bool], timeout: float = 60) -> set[str]:
    """The names under <data>/scratch once `done` holds of them (or `timeout` s passed)."""
    deadline = time.monotonic() + timeout
    while not done(found := scratch_dirs(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_the_scratch_of_a_run_killed_with_its_service_is_removed_on_restart(
    data_dir: Path, servers: list[Served]
) -> None:
    first = Served(data_dir).start()
    servers.append(first)
    setup_jobs(first)
    stranger = data_dir / "scratch" / "not-an-attempt"  # not named as a run's: never touched
    stranger.mkdir(parents=True)
    assert first.request("POST", "/v2/jobs/slowread/actions/start", {}).status_code == 200
    wait_status(first, "slowread", {"Running"})
    left = wait_dirs(data_dir, lambda names: len(names) == 2) - {"not-an-attempt"}
    deadline = time.monotonic() + 30
    while not (pinned := pins(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.05)  # the run's kodo input, pinned while the engine reads it
    kept = kept_dirs(data_dir)  # its worker's engine's, made when the run started
    first.kill()

    second = Served(data_dir).start()
    servers.append(second)
    after = wait_dirs(data_dir, lambda names: names == {"not-an-attempt"}, timeout=15)

    assert len(left) == 1 and next(iter(left)).endswith("-0"), left  # the run's own scratch
    assert after == {"not-an-attempt"}
    assert len(pinned) == 1 and pins(data_dir) == set(), pinned  # swept with the scratch
    assert len(kept) == 1 and not kept & kept_dirs(data_dir), kept  # so is the kept directory


def pins(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "kodo").glob(".tidemill-tmp.read-*")}


@pytest.mark.postgres
def test_a_dead_nodes_scratch_goes_and_a_live_nodes_stays_in_a_shared_data_dir(
    data_dir: Path, servers: list[Served], postgres_url: str
) -> None:
    """Two nodes, one data dir, one PostgreSQL. Each holds a batch Running without using a core
    (an http export to a listener that never answers). B is killed with -9 and started again:
    once B's batch is settled (its lease lapses), its scratch goes; A's batch still runs, and
    its scratch stays."""
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        env = {
            "TIDEMILL_DATABASE_URL": postgres_url,
            "TIDEMILL_RUNNER__SLOTS": "1",
            "TIDEMILL_EXPORTS__HTTP_TIMEOUT": "600",
            "TIDEMILL_EXPORTS__HTTP_RETRIES": "0",
        }
        a = Served(data_dir, env).start()
        servers.append(a)
        setup_jobs(a)
        spec = {"host": f"127.0.0.1:{silent.getsockname()[1]}", "uri": "/in", "format": "json"}
        for job in ("live", "dead"):
            response = a.request("POST", f"/v2/jobs/{job}", {
                "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
                "computation": {"type": "sql", "code": FAST},
                "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
            })  # fmt: skip
            assert response.status_code == 200, response.text
            exported = a.request(
                "POST", f"/v2/jobs/{job}/exports/h", {"type": "http", "spec": spec}
            )
            assert exported.status_code == 200, exported.text
        assert a.request("POST", "/v2/jobs/live/actions/start", {}).status_code == 200
        wait_status(a, "live", {"Running"})
        live = wait_dirs(data_dir, lambda names: len(names) == 1)
        b = Served(data_dir, env).start()  # A's one slot is busy: B runs "dead"
        servers.append(b)
        assert b.request("POST", "/v2/jobs/dead/actions/start", {}).status_code == 200
        wait_status(b, "dead", {"Running"})
        both = wait_dirs(data_dir, lambda names: len(names) == 2)
        deadline = time.monotonic() + 30
        while len(kept_both := kept_dirs(data_dir)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # each node's worker keeps one, made as its engine's run starts
        b.kill()
        again = Served(data_dir, env).start()
        servers.append(again)
        at_restart = scratch_dirs(data_dir)  # B's lease has not lapsed yet: not known dead
        settled = wait_status(again, "dead", {"Failed"}, timeout=90)
        after = wait_dirs(data_dir, lambda names: names == live, timeout=30)
        kept_after = kept_dirs(data_dir)
        still = latest(again, "live")["status"]
        a.request("POST", "/v2/jobs/live/actions/stop", {})

    assert len(live) == 1 and len(both) == 2 and at_restart == both
    assert "rerun" in settled["message"]
    assert after == live and still == "Running"
    assert len(kept_both) == 2 and len(kept_both & kept_after) == 1  # B's went, A's stays


PIN = """
import sys, time
from pathlib import Path
from tidemill.core.models import AccountScope
from tidemill.storage.local_buckets import LocalKodo
kodo = LocalKodo(Path(sys.argv[1]))
with kodo.for_account(AccountScope("default")).local_path("bkt1", "cdn/a.json") as path:
    print(path, flush=True)
    time.sleep(600)
"""


def test_input_pins_of_a_process_killed_with_9_are_removed_on_restart_and_live_ones_stay(
    data_dir: Path, servers: list[Served]
) -> None:
    """A local bucket's read pins its input in `<kodo>/.tidemill-tmp.read-*` (local_path); a
    reader killed with -9 leaves it. The next service start removes it, but not a pin still
    held (here by this test's process), nor other names."""
    kodo = data_dir / "kodo"
    reader = subprocess.Popen(
        [sys.executable, "-c", PIN, str(kodo)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None
        dead = Path(reader.stdout.readline().strip()).parent
        assert dead.is_dir() and dead.name.startswith(".tidemill-tmp.read-")
    finally:
        reader.kill()  # SIGKILL: its pin stays behind
        reader.communicate()
    stranger = kodo / ".tidemill-tmp.other"
    stranger.mkdir()
    held = LocalKodo(kodo).for_account(AccountScope("default"))
    with held.local_path("bkt1", "cdn/a.json") as live:
        assert dead.is_dir()
        server = Served(data_dir).start()
        servers.append(server)
        deadline = time.monotonic() + 15
        while dead.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not dead.exists(), "the killed reader's pin is still there"
        assert live.read_text().startswith('{"url"') and stranger.is_dir()
    assert not live.parent.exists()  # removed by its holder on exit
