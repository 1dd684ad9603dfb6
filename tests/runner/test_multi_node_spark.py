"""The multi-node deployment of docs/deploy-multi-node.md, on loopback: two Tidemill nodes
(`tidemill serve`, both running batches) over one PostgreSQL, the kodo buckets and the warehouse
on S3 (SeaweedFS), every batch on one Spark standalone cluster (scripts/spark.sh), Spark reading
the inputs from S3 and writing the results there itself (hadoop-aws: scripts/spark-jars.sh).

Each node runs one batch at a time (TIDEMILL_RUNNER__SLOTS=1) and its Spark application takes
one of the cluster's two cores (TIDEMILL_SPARK__CORES_MAX=1). A spinning batch holds one node,
so the next batch must run on the other; a stop issued on either node ends the spinning one.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import free_port, make_settings
from tests.runner.test_two_nodes import ROWS, SCHEMA, SPIN, ok, owner, result, wait_ready
from tests.served import Served
from tests.support import Client, wait_for
from tidemill.config import S3Settings
from tidemill.runtime import build_runtime
from tidemill.storage.s3 import S3Store
from tidemill.store import accounts

# Minutes (3.3 to 11.7 measured, load average 6 to 15 on 2 cores): six JVMs and two nodes.
# Not part of `make test` (its budget); `make bench` runs it with the variable set.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.s3,
    pytest.mark.skipif(
        os.environ.get("TIDEMILL_TEST_MULTI_NODE_SPARK") != "1",
        reason="takes minutes: set TIDEMILL_TEST_MULTI_NODE_SPARK=1 (make bench does)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
SPARK = str(ROOT / "scripts" / "spark.sh")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A standalone master and one worker (2 cores, 2 GiB) on loopback; (URL, its directory)."""
    directory = tmp_path_factory.mktemp("spark-cluster")
    env = {**os.environ, "SPARK_WORKER_CORES": "2", "SPARK_WORKER_MEMORY": "2g"}
    started = subprocess.run(
        [SPARK, "start", str(directory), str(free_port())],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        yield started.stdout.strip().splitlines()[-1].split("=", 1)[1], directory
    finally:
        subprocess.run([SPARK, "stop", str(directory)], timeout=60, check=False)


@pytest.fixture(scope="module")
def jars() -> str:
    got = subprocess.run(
        [str(ROOT / "scripts" / "spark-jars.sh")], capture_output=True, text=True, check=False
    )
    assert got.returncode == 0, got.stderr[-2000:]
    return got.stdout.strip().splitlines()[-1]


@pytest.fixture
def buckets(s3_settings: S3Settings) -> tuple[S3Store, dict[str, str]]:
    s3 = S3Store(s3_settings.endpoint, s3_settings.access_key,
                 s3_settings.secret_key.get_secret_value(), s3_settings.region)  # fmt: skip
    names = {role: f"t-{role}-{uuid.uuid4().hex[:10]}" for role in ("in", "wh")}
    for name in names.values():
        s3.create_bucket(name)
    body = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    s3.write(names["in"], "cdn/2026-11-23.json", body)
    return s3, names


@pytest.fixture
def nodes(
    tmp_path: Path, postgres_url: str, s3_settings: S3Settings,
    buckets: tuple[S3Store, dict[str, str]], cluster: tuple[str, Path], jars: str,
) -> Iterator[dict[str, Served]]:  # fmt: skip
    """Nodes a and b, both running batches, with the settings docs/deploy-multi-node.md lists."""
    _, names = buckets
    env = {
        "TIDEMILL_DATABASE_URL": postgres_url,
        "TIDEMILL_S3__ENDPOINT": s3_settings.endpoint,
        "TIDEMILL_S3__ACCESS_KEY": s3_settings.access_key,
        "TIDEMILL_S3__SECRET_KEY": s3_settings.secret_key.get_secret_value(),
        "TIDEMILL_S3__REGION": s3_settings.region,
        "TIDEMILL_WAREHOUSE_URL": f"s3://{names['wh']}/warehouse",
        "TIDEMILL_ENGINE": "spark",
        "TIDEMILL_SPARK__URL": cluster[0],
        "TIDEMILL_SPARK__JARS": jars,
        "TIDEMILL_SPARK__DRIVER_MEMORY": "512m",
        "TIDEMILL_SPARK__EXECUTOR_MEMORY": "512m",
        "TIDEMILL_SPARK__CORES_MAX": "1",
        "TIDEMILL_RUNNER__SLOTS": "1",
        "TIDEMILL_RUNNER__ENABLED": "true",
    }
    rt = build_runtime(make_settings(tmp_path / "setup", postgres_url))
    try:
        with rt.db.begin() as conn:
            account = accounts.ensure_account(conn, rt.settings.account, rt.clock.now())
            accounts.grant_bucket(conn, account, names["in"], rt.clock.now())
    finally:
        rt.close()
    served: dict[str, Served] = {}
    try:
        for name in ("a", "b"):
            data = tmp_path / f"node-{name}" / "data"
            data.mkdir(parents=True)
            served[name] = Served(data, env).start(timeout=120)
        for node in served.values():
            wait_ready(Client(node.http))  # type: ignore[arg-type]
        yield served
    finally:
        for node in served.values():
            node.stop()


@pytest.fixture
def clients(nodes: dict[str, Served]) -> Iterator[tuple[Client, Client]]:
    """Signed clients of nodes a and b that wait minutes: a node's first job create starts its
    Spark session for the SQL check (seconds, more on a loaded machine)."""
    http = [httpx.Client(base_url=nodes[n].url, timeout=300) for n in ("a", "b")]
    try:
        yield Client(http[0]), Client(http[1])  # type: ignore[arg-type]
    finally:
        for one in http:
            one.close()


def test_two_nodes_run_batches_on_one_spark_cluster_with_the_warehouse_on_s3(
    nodes: dict[str, Served], clients: tuple[Client, Client],
    buckets: tuple[S3Store, dict[str, str]], postgres_url: str, cluster: tuple[str, Path],
) -> None:  # fmt: skip
    s3, names = buckets
    a, b = clients
    ok(a.post("/v2/datasources/logs", {
        "region": "nb", "type": "kodo", "noVerifySchema": True, "schema": SCHEMA,
        "spec": {"bucket": names["in"], "keyPrefixes": ["cdn/"], "fileType": "json"},
    }))  # fmt: skip
    ok(a.post("/v2/variables/spin", {"type": "string", "value": "1000000"}))
    ok(a.post("/v2/jobs/slow", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select t.url, count(1) as n from logs t "
                        f"cross join {SPIN.format(v='spin')} where k.n >= 0 group by t.url"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(a.post("/v2/jobs/j1", {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": "select url, sum(bytes) as total from logs "
                        "group by url"},
        "container": {"type": "1U2G", "count": 1}, "scheduler": {"type": "manual"},
    }))  # fmt: skip
    ok(a.post("/v2/jobs/j2", {
        "srcs": [{"name": "j1", "type": "Job", "tableName": "one"}],
        "computation": {"type": "sql", "code": "select url, total * 2 as doubled from one"},
        "scheduler": {"type": "depend"},
    }))  # fmt: skip

    # One node's only slot spins on Spark; j1 (and j2 after it) must run on the other node.
    ok(b.post("/v2/jobs/slow/actions/start", {}))
    wait_for(a, "slow", {"Running"}, timeout=180)
    running_on = owner(postgres_url, "slow")
    ok(a.post("/v2/jobs/j1/actions/start", {}))
    assert wait_for(b, "j1", {"Successful", "Failed"}, timeout=300)["status"] == "Successful"
    assert wait_for(a, "j2", {"Successful", "Failed"}, timeout=300)["status"] == "Successful"
    # slow still holds its node's only slot (and the same node), so j1 and j2 ran on the other
    held = owner(postgres_url, "slow")
    assert ok(a.get("/v2/jobs/slow/history"))["history"][0]["status"] == "Running"
    assert held == running_on

    # A stop issued on either node ends the spinning batch (its Spark jobs cancelled).
    started = time.monotonic()
    ok(a.post("/v2/batch/actions/stop", {"jobName": "slow", "runId": 1}))
    assert wait_for(b, "slow", {"Canceled", "Failed", "Successful"}, timeout=60)["status"] == (
        "Canceled"
    )
    print(f"stop of a Spark batch took {time.monotonic() - started:.2f} s")

    # Both nodes answer the same results, computed on Spark.
    assert sorted(result(a, "j1")["rows"]) == [["/a", 17], ["/b", 5]]
    assert sorted(result(b, "j2")["rows"]) == [["/a", 34], ["/b", 10]]
    for job in ("j1", "j2"):
        assert result(a, job) == result(b, job)
        (history,) = ok(b.get(f"/v2/jobs/{job}/history"))["history"]
        assert history["message"].startswith("ran on spark"), history

    # Both nodes' applications ran on the one cluster.
    master_log = (cluster[1] / "master.log").read_text()
    assert master_log.count("Registered app tidemill") >= 2, master_log[-3000:]

    # Results live in the warehouse on S3, written there by Spark, never on a node's disk.
    stored = [o.key for o in s3.list(names["wh"], "warehouse/")]
    results = [k for k in stored if k.endswith("/result.parquet")]
    assert sorted(k.rsplit("/", 3)[-3] for k in results) == ["j1", "j2"], stored
    assert [k for k in stored if "/.tidemill-tmp.run-" in k] == []  # Spark's staging removed
    for node in nodes.values():
        assert [str(p) for p in node.data_dir.rglob("*.parquet")] == []
