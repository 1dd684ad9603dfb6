"""No double fire: two real `tidemill serve` processes on one PostgreSQL (issue 4, item 5).

Both processes run a scheduler and a runner; crontabs fire every second for a few seconds of
real time (the one test here that cannot use a FixedClock), and every (job, batchTime) must
appear exactly once in the shared store.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa

from tests.api.test_batches import write_lines
from tests.conftest import free_port, make_settings
from tests.support import AK, Client
from tidemill.runtime import build_runtime
from tidemill.services import jobs
from tidemill.services.accounts import find_key

pytestmark = pytest.mark.postgres
JOBS = [f"j{i}" for i in range(100)]


def serve(data_dir: Path, database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIDEMILL_")},
        "TIDEMILL_DATABASE_URL": database_url,
        # Look at the store often, so both processes contend for every slot.
        "TIDEMILL_SCHEDULER__MAX_SLEEP_SECONDS": "0.3",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tidemill", "serve", "--data-dir", str(data_dir),
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def wait_ready(client: Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tidemill serve exited: {log.read_text()}")
        try:
            if client.get("/v2/jobs").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"tidemill serve never answered: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def two_nodes(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Client, Client]]:
    settings = make_settings(tmp_path, postgres_url)
    build_runtime(settings).close()  # schema and key in place before both nodes start
    write_lines(settings, "bkt1", "cdn/a.json", ['{"url": "/a", "bytes": 1, "hit": true}'])
    started: list[subprocess.Popen[bytes]] = []
    clients: list[Client] = []
    http: list[httpx.Client] = []
    try:
        for name in ("a", "b"):
            log = tmp_path / f"node-{name}.log"
            process, url = serve(settings.data_dir, postgres_url, log)
            started.append(process)
            http.append(httpx.Client(base_url=url, timeout=30))
            client = Client(http[-1])  # type: ignore[arg-type]
            wait_ready(client, process, log)
            clients.append(client)
        yield clients[0], clients[1]
    finally:
        for process in started:
            stop(process)
        for h in http:
            h.close()


def ok(response: Any) -> None:
    assert response.status_code == 200, response.text


def test_two_processes_never_fire_the_same_slot_twice(
    two_nodes: tuple[Client, Client], tmp_path: Path, postgres_url: str
) -> None:
    a, b = two_nodes
    ok(a.post("/v2/datasources/logs", {
        "region": "nb", "type": "kodo", "noVerifySchema": True,
        "schema": [{"key": "url", "valtype": "string"}],
        # No such bucket: each batch fails as soon as it is dispatched, which keeps two cores
        # free for the schedulers under test.
        "spec": {"bucket": "nobucket", "keyPrefixes": ["cdn/"], "fileType": "json"},
    }))  # fmt: skip
    # Many jobs on one slot make each claim take long enough for the two nodes to overlap.
    rt = build_runtime(make_settings(tmp_path, postgres_url))
    try:
        pair = find_key(rt, AK)
        assert pair is not None
        for job in JOBS:
            jobs.create(rt, pair.account_id, job, {
                "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
                "computation": {"type": "sql", "code": "select count(*) as n from logs"},
                "container": {"type": "1U2G", "count": 1},
                "scheduler": {"type": "crontab", "spec": {"crontab": "* * * * * *"}},
            })  # fmt: skip
    finally:
        rt.close()
    for i, job in enumerate(JOBS):
        ok((a if i % 2 else b).post(f"/v2/jobs/{job}/actions/start", {}))

    time.sleep(4)
    for i, job in enumerate(JOBS):
        ok((b if i % 2 else a).post(f"/v2/jobs/{job}/actions/stop"))

    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select job_name, batch_time from batches")).all()
    finally:
        engine.dispose()
    fired = [(job, when) for job, when in rows]
    assert len(fired) == len(set(fired)), len(fired) - len(set(fired))
    for job in JOBS:
        assert sum(1 for j, _ in fired if j == job) >= 2, sorted(fired)
    for log in tmp_path.glob("node-*.log"):  # neither node lost a claim to the other
        assert "Traceback" not in log.read_text(), log.read_text()
