"""Two nodes, two data dirs, one PostgreSQL, the warehouse on S3 (issue 11, acceptance).

Two real `tidemill serve` processes share the metadata store and an S3 endpoint (SeaweedFS),
which holds the kodo buckets and the warehouse (TIDEMILL_WAREHOUSE_URL=s3://...). Only one
node runs batches at a time (TIDEMILL_RUNNER__ENABLED=false on the other; they swap by
restarting), so a three-job depend chain runs across both: j1 on A, j2 on B (reading j1's
result, which A wrote), j3 on A again (reading j2's result, which B wrote).

A user variable makes a job's query spin (a large cross join) or not, so a batch can be held
Running on one node while the other node stops it; the stop must end it within 5 s.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import sqlalchemy as sa

from tests.conftest import make_settings
from tests.served import Served
from tests.support import Client, wait_for
from tidemill.config import S3Settings
from tidemill.runtime import build_runtime
from tidemill.storage.s3 import S3Store
from tidemill.store import accounts

pytestmark = [pytest.mark.postgres, pytest.mark.s3]

SCHEMA = [
    {"key": "url", "valtype": "string", "required": True},
    {"key": "bytes", "valtype": "long"},
]
ROWS = [{"url": "/a", "bytes": 10}, {"url": "/b", "bytes": 5}, {"url": "/a", "bytes": 7}]
# Spins for ~forever with $(spinN) = 1000000, returns at once with 1.
SPIN = "(select sum((r.id * s.id) % 7) as n from range($({v})) r cross join range($({v})) s) k"
SLOW, FAST = "1000000", "1"


class Nodes:
    """Nodes A and B over the same store and S3; `use(runner)` restarts them so that only
    the node named runs batches (the other is stopped first, so never two at once)."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.dirs = {"a": tmp_path / "node-a" / "data", "b": tmp_path / "node-b" / "data"}
        self.env = env
        self.served: dict[str, Served] = {}
        self.runner = ""

    def use(self, runner: str) -> None:
        for name in sorted(self.served, key=lambda n: n != self.runner):  # the runner first
            self.served.pop(name).stop()
        for name in (runner, *(n for n in self.dirs if n != runner)):
            self.dirs[name].mkdir(parents=True, exist_ok=True)
            enabled = {"TIDEMILL_RUNNER__ENABLED": "true" if name == runner else "false"}
            self.served[name] = served = Served(self.dirs[name], {**self.env, **enabled})
            served.start(timeout=120)  # a loaded machine starts Python slowly
        self.runner = runner
        for name in self.dirs:
            wait_ready(self.client(name))

    def client(self, name: str) -> Client:
        return Client(self.served[name].http)  # type: ignore[arg-type]

    def close(self) -> None:
        for served in self.served.values():
            served.stop()


def wait_ready(client: Client) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if client.get("/v2/jobs").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            pytest.fail("a node never answered")
        time.sleep(0.1)


@pytest.fixture
def s3(s3_settings: S3Settings) -> S3Store:
    return S3Store(
        s3_settings.endpoint,
        s3_settings.access_key,
        s3_settings.secret_key.get_secret_value(),
        s3_settings.region,
    )


@pytest.fixture
def buckets(s3: S3Store) -> dict[str, str]:
    names = {role: f"t-{role}-{uuid.uuid4().hex[:10]}" for role in ("in", "out", "wh")}
    for name in names.values():
        s3.create_bucket(name)
    s3.write(
        names["in"], "cdn/2026-11-23.json", "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    )
    return names


@pytest.fixture
def nodes(
    tmp_path: Path, postgres_url: str, s3_settings: S3Settings, buckets: dict[str, str]
) -> Iterator[Nodes]:
    env = {
        "TIDEMILL_DATABASE_URL": postgres_url,
        "TIDEMILL_S3__ENDPOINT": s3_settings.endpoint,
        "TIDEMILL_S3__ACCESS_KEY": s3_settings.access_key,
        "TIDEMILL_S3__SECRET_KEY": s3_settings.secret_key.get_secret_value(),
        "TIDEMILL_S3__REGION": s3_settings.region,
        "TIDEMILL_WAREHOUSE_URL": f"s3://{buckets['wh']}/warehouse",
    }
    # The schema, the test keys and the account's bucket grants, before either node starts.
    rt = build_runtime(make_settings(tmp_path / "setup", postgres_url))
    try:
        with rt.db.begin() as conn:
            account = accounts.ensure_account(conn, rt.settings.account, rt.clock.now())
            for role in ("in", "out"):
                accounts.grant_bucket(conn, account, buckets[role], rt.clock.now())
    finally:
        rt.close()
    running = Nodes(tmp_path, env)
    try:
        yield running
    finally:
        running.close()


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def owner(postgres_url: str, job: str) -> str:
    """The runner (node) holding `job`'s batch 1 while it runs."""
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("select owner from batches where job_name = :j and run_id = 1"), {"j": job}
            ).scalar_one()
    finally:
        engine.dispose()
    assert found, f"{job} has no owner"
    return str(found)


def stop_within(stopper: Client, watcher: Client, job: str, seconds: float) -> float:
    """Stop `job`'s batch 1 through `stopper`; how long until it was Canceled."""
    started = time.monotonic()
    ok(stopper.post("/v2/batch/actions/stop", {"jobName": job, "runId": 1}))
    done = wait_for(watcher, job, {"Canceled", "Failed", "Successful"}, timeout=30)
    took = time.monotonic() - started
    assert done["status"] == "Canceled", done
    assert took < seconds, f"the stop took {took:.1f} s"
    print(f"stop of {job} took {took:.2f} s")  # shown with -s: the figure in docs/decisions.md
    return took


def result(client: Client, job: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(client.get(f"/v2/jobs/{job}/history/1/result"))
    return found


def test_a_depend_chain_runs_across_two_nodes_with_the_warehouse_on_s3(
    nodes: Nodes, s3: S3Store, buckets: dict[str, str], postgres_url: str
) -> None:
    nodes.use("a")
    a, b = nodes.client("a"), nodes.client("b")
    ok(b.post("/v2/datasources/logs", {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": buckets["in"], "keyPrefixes": ["cdn/"], "fileType": "json"},
    }))  # fmt: skip
    for variable, value in (("spin2", SLOW), ("spin3", FAST)):
        ok(b.post(f"/v2/variables/{variable}", {"type": "string", "value": value}))
    ok(b.post("/v2/jobs/j1", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select url, bytes from logs"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(b.post("/v2/jobs/j2", {
        "srcs": [{"name": "j1", "type": "Job", "tableName": "one"}],
        "computation": {"type": "sql", "code": "select t.url, sum(t.bytes) as total from one t "
                        f"cross join {SPIN.format(v='spin2')} where k.n >= 0 group by t.url"},
        "scheduler": {"type": "depend"},
    }))  # fmt: skip
    ok(b.post("/v2/jobs/j2/exports/files", {"type": "kodo", "spec": {
        "bucket": buckets["out"], "keyPrefix": "two/totals.json", "format": "json",
        "fileCount": 1,
    }}))  # fmt: skip
    ok(b.post("/v2/jobs/j3", {
        "srcs": [{"name": "j2", "type": "Job", "tableName": "two"}],
        "computation": {"type": "sql", "code": "select t.url, t.total * 2 as doubled from two t "
                        f"cross join {SPIN.format(v='spin3')} where k.n >= 0"},
        "scheduler": {"type": "depend"},
    }))  # fmt: skip

    # A runs j1, then j2, which spins; a stop issued on B ends it on A.
    ok(b.post("/v2/jobs/j1/actions/start", {}))
    assert wait_for(b, "j1", {"Successful", "Failed"}, timeout=60)["status"] == "Successful"
    wait_for(b, "j2", {"Running"}, timeout=60)
    on_a = owner(postgres_url, "j2")
    stop_within(b, a, "j2", 5.0)

    # B runs now: a rerun issued on A runs j2 on B (reading j1's result, written by A), and
    # j3 after it, which spins; a stop issued on A ends it on B within 5 s.
    nodes.use("b")
    a, b = nodes.client("a"), nodes.client("b")
    ok(a.put("/v2/variables/spin2", {"type": "string", "value": FAST}))
    ok(a.put("/v2/variables/spin3", {"type": "string", "value": SLOW}))
    ok(a.post("/v2/batch/actions/rerun", {"jobName": "j2", "runId": 1}))
    assert wait_for(a, "j2", {"Successful", "Failed"}, timeout=60)["status"] == "Successful"
    wait_for(a, "j3", {"Running"}, timeout=60)
    assert owner(postgres_url, "j3") != on_a  # B's runner (the only one) claimed it
    stop_within(a, b, "j3", 5.0)

    # A runs again: a rerun issued on B runs j3 on A, reading j2's result, written by B.
    nodes.use("a")
    a, b = nodes.client("a"), nodes.client("b")
    ok(b.put("/v2/variables/spin3", {"type": "string", "value": FAST}))
    ok(b.post("/v2/batch/actions/rerun", {"jobName": "j3", "runId": 1}))
    assert wait_for(b, "j3", {"Successful", "Failed"}, timeout=60)["status"] == "Successful"

    # Every batch succeeded, and every result answers the same on both nodes.
    for job in ("j1", "j2", "j3"):
        history = ok(a.get(f"/v2/jobs/{job}/history"))["history"]
        assert [h["status"] for h in history] == ["Successful"], (job, history)
        assert result(a, job) == result(b, job)
    assert sorted(result(a, "j1")["rows"]) == sorted([r["url"], r["bytes"]] for r in ROWS)
    assert sorted(result(b, "j2")["rows"]) == [["/a", 17], ["/b", 5]]
    assert sorted(result(a, "j3")["rows"]) == [["/a", 34], ["/b", 10]]

    # The kodo export B wrote reads back from the shared store.
    # (a depend job's file is named with its upload time, spec §8.3: keyPrefix is a prefix)
    exported = [o.key for o in s3.list(buckets["out"])]
    assert len(exported) == 1 and exported[0].startswith("two/totals.json"), exported
    lines = s3.read(buckets["out"], exported[0]).decode().splitlines()
    assert sorted(json.loads(line)["total"] for line in lines) == [5, 17]

    # Results live in the warehouse on S3, and never on a node's disk.
    stored = [o.key for o in s3.list(buckets["wh"], "warehouse/")]
    expected = [f"warehouse/1/{j}/1/{name}" for j in ("j1", "j2", "j3")
                for name in ("batch.log", "result.parquet")]  # fmt: skip
    assert sorted(stored) == expected, stored
    # A worker removes its last run's directory (inputs linked into its kept database's
    # directory, the result before upload) before it takes the next plan, after the answer.
    deadline = time.monotonic() + 10
    while True:
        local = [str(p) for d in nodes.dirs.values() for p in d.rglob("*.parquet")]
        if not local or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert local == [], f"results on a node's disk: {local}"
