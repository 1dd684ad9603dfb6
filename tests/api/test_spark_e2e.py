"""End to end through the API with TIDEMILL_ENGINE=spark, on a real Spark standalone cluster.

One cluster (scripts/spark.sh: a master and a worker on loopback) and one app (runtime, runner
with one slot, so one worker process and one Spark application) serve the module, on a
FixedClock. A manual job, a crontab job fired by moving the clock, a depend chain, a rerun,
every export type reading a Spark-made result (kodo, hdfs, http, logdb on OpenSearch, tsdb on
InfluxDB 1.x, report on PostgreSQL), and a stop of a long Spark batch whose application the
cluster's master reports ended within 5 s (its own JSON status, and the executor's log shows
the batch's tasks ran before). Job create checks the SQL with the Spark engine in this process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import free_port, make_settings
from tests.exporters.receivers import Receiver, http_receiver
from tests.support import Client, wait_for
from tidemill.api.app import create_app
from tidemill.clock import FixedClock
from tidemill.config import RunnerSettings, Settings, SparkSettings
from tidemill.runtime import Runtime, build_runtime
from tidemill.storage.registry import open_storages

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 10, 20, 30, tzinfo=SHANGHAI)
FIRST_RUN = 420.0  # seconds: a new Spark application and its executor, on a loaded machine
RUN = 180.0

ROWS = [
    {"url": "/a", "bytes": 10, "at": "2026-11-23T08:00:00+08:00"},
    {"url": "/b", "bytes": 5, "at": "2026-11-23T09:30:00+08:00"},
    {"url": "/a", "bytes": 7, "at": "2026-11-22T23:00:00Z"},
]
SCHEMA = [("url", "string"), ("bytes", "long"), ("at", "date")]
CODE = (
    "select url, sum(bytes) as total, max(at) as last, count(*) as n from logs"
    " group by url order by url"
)
EXPECTED = [["/a", 17, "2026-11-23T08:00:00+08:00", 2], ["/b", 5, "2026-11-23T09:30:00+08:00", 1]]
SLOW = "select sum((a.id * b.id) % 7) as n from range(1000000) a cross join range(1000000) b"

# py4j (the Spark engine's check in this process) leaves its sockets to the garbage collector.
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@dataclass
class Cluster:
    url: str  # spark://127.0.0.1:port
    web: str  # the master's web UI: its JSON status at {web}/json
    directory: Path

    def status(self) -> dict[str, Any]:
        reply: dict[str, Any] = httpx.get(
            f"{self.web}/json/", timeout=10, follow_redirects=True
        ).json()
        return reply

    def executor_logs(self) -> dict[Path, str]:
        """Each executor's stderr on the worker (work/<app>/<executor>/stderr)."""
        return {
            p: p.read_text(errors="replace") for p in (self.directory / "work").glob("*/*/stderr")
        }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A standalone master and a worker of 2 cores; each application gets 1 core by default
    (the engine's check in this process runs locally; the runner's worker is one app)."""
    directory = tmp_path_factory.mktemp("spark-cluster")
    script = str(ROOT / "scripts" / "spark.sh")
    env = {
        **os.environ,
        "SPARK_WORKER_CORES": "2",
        "SPARK_WORKER_MEMORY": "2g",
        "SPARK_MASTER_OPTS": "-Dspark.deploy.defaultCores=1",
    }
    started = subprocess.run(
        [script, "start", str(directory), str(free_port())],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().splitlines()[-1].split("=", 1)[1]
        found = re.search(r"started at (http://\S+)", (directory / "master.log").read_text())
        assert found, "the master's log names no web UI"
        yield Cluster(url, found.group(1), directory)
    finally:
        subprocess.run([script, "stop", str(directory)], timeout=60, check=False)


@dataclass
class World:
    client: Client
    clock: FixedClock
    runtime: Runtime
    settings: Settings
    cluster: Cluster
    receiver: Receiver
    report_url: str
    hdfs_url: str
    influxdb_url: str
    opensearch_url: str


@pytest.fixture(scope="module")
def world(
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,
    hdfs_url: str,
    influxdb_url: str,
    opensearch_url: str,
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("spark-e2e")
    report_db = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{report_db}"'))
    admin.dispose()
    report_url = postgres_server.rsplit("/", 1)[0] + "/" + report_db
    settings = make_settings(tmp).model_copy(
        update={
            "engine": "spark",
            "spark": SparkSettings(url=cluster.url),
            "runner": RunnerSettings(slots=1),
            "tsdb_url": influxdb_url,
            "logdb_url": opensearch_url,
            "report_url": report_url,
        }
    )
    clock = FixedClock(START)
    runtime = build_runtime(settings, clock)
    bucket = settings.data_dir / "kodo" / settings.account
    for name in ("bkt1", "outb"):
        (bucket / name).mkdir(parents=True, exist_ok=True)
    logs = bucket / "bkt1" / "cdn" / "2026-11-23.json"
    logs.parent.mkdir(parents=True)
    logs.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    try:
        with (
            TestClient(create_app(settings, runtime), raise_server_exceptions=False) as http,
            http_receiver() as receiver,
        ):
            client = Client(http, clock=clock)
            ok(client.post("/v2/datasources/logs", {
                "region": "nb", "type": "kodo", "noVerifySchema": True,
                "schema": [{"key": k, "valtype": t} for k, t in SCHEMA],
                "spec": {"bucket": "bkt1", "keyPrefixes": ["cdn/"], "fileType": "json"},
            }))  # fmt: skip
            yield World(
                client, clock, runtime, settings, cluster, receiver, report_url, hdfs_url,
                influxdb_url, opensearch_url,
            )  # fmt: skip
    finally:
        runtime.close()


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


def make_job(client: Client, name: str, code: str = CODE, **extra: Any) -> None:
    body: dict[str, Any] = {
        "srcs": [{"name": "logs", "type": "DataSource", "tableName": "logs"}],
        "computation": {"type": "sql", "code": code},
        "container": {"type": "1U2G", "count": 1},
        "scheduler": {"type": "manual"},
        **extra,
    }
    ok(client.post(f"/v2/jobs/{name}", body))


def make_depend_job(client: Client, name: str, upstream: str, table: str, code: str) -> None:
    ok(client.post(f"/v2/jobs/{name}", {
        "srcs": [{"name": upstream, "type": "Job", "tableName": table}],
        "computation": {"type": "sql", "code": code}, "scheduler": {"type": "depend"},
    }))  # fmt: skip


def run(world: World, name: str, timeout: float = RUN) -> dict[str, Any]:
    ok(world.client.post(f"/v2/jobs/{name}/actions/start", {}))
    return wait_for(world.client, name, {"Successful", "Failed", "Canceled"}, timeout=timeout)


def rows(world: World, name: str, run_id: int = 1) -> list[list[Any]]:
    result = ok(world.client.get(f"/v2/jobs/{name}/history/{run_id}/result"))
    found: list[list[Any]] = result["rows"]
    return found


def on_spark(done: dict[str, Any]) -> None:
    assert done["status"] == "Successful", done
    assert done["message"].startswith("ran on spark"), done["message"]


def test_a_manual_job_runs_on_the_cluster(world: World) -> None:
    make_job(world.client, "manual")

    done = run(world, "manual", FIRST_RUN)

    on_spark(done)
    assert rows(world, "manual") == EXPECTED
    schema = ok(world.client.get("/v2/jobs/manual/history/1/result"))["schema"]
    assert [(c["key"], c["valtype"]) for c in schema] == [
        ("url", "string"), ("total", "long"), ("last", "date"), ("n", "long"),
    ]  # fmt: skip
    # the batch ran in the runner's application on the cluster: the master granted it a core
    apps = world.cluster.status()["activeapps"]
    assert [(a["name"], a["cores"]) for a in apps] == [("tidemill", 1)], apps


def test_a_rerun_runs_the_batch_again_on_spark(world: World) -> None:
    rerun = ok(world.client.post("/v2/batch/actions/rerun", {"jobName": "manual", "runId": 1}))
    again = wait_for(world.client, "manual", {"Successful", "Failed"}, timeout=RUN)

    assert rerun == {"preStatus": "Successful", "postStatus": "Restarting", "rerunCount": 1}
    on_spark(again)
    assert again["runId"] == 1
    assert rows(world, "manual") == EXPECTED


def test_a_crontab_job_fires_when_the_clock_reaches_its_time(world: World) -> None:
    hourly = {"type": "crontab", "spec": {"crontab": "0 0 0/1 * *"}}
    make_job(world.client, "hourly", "select count(*) as n, max(at) as last from logs",
             scheduler=hourly)  # fmt: skip
    ok(world.client.post("/v2/jobs/hourly/actions/start", {}))
    first = datetime.fromisoformat(ok(world.client.get("/v2/jobs/hourly"))["nextFireTimes"][0])
    assert world.client.get("/v2/jobs/hourly/history").json()["total"] == 0

    world.clock.set(first + timedelta(seconds=1))
    world.runtime.notify_scheduler()
    done = wait_for(world.client, "hourly", {"Successful", "Failed"}, timeout=RUN)
    ok(world.client.post("/v2/jobs/hourly/actions/stop"))

    on_spark(done)
    assert datetime.fromisoformat(done["batchTime"]) == first
    assert rows(world, "hourly") == [[3, "2026-11-23T09:30:00+08:00"]]


def test_a_depend_chain_runs_each_job_on_spark(world: World) -> None:
    make_job(world.client, "a", "select url, bytes from logs")
    make_depend_job(world.client, "b", "a", "ta",
                    "select url, sum(bytes) as total from ta group by url")  # fmt: skip
    make_depend_job(
        world.client, "c", "b", "tb", "select count(*) as urls, sum(total) as s from tb"
    )

    ok(world.client.post("/v2/jobs/a/actions/start", {}))
    c = wait_for(world.client, "c", {"Successful", "Failed"}, timeout=RUN * 2)

    on_spark(c)
    for job in ("a", "b"):
        on_spark(wait_for(world.client, job, {"Successful"}, timeout=5))
    assert sorted(rows(world, "b")) == [["/a", 17], ["/b", 5]]
    assert rows(world, "c") == [[2, 22]]


# --- every export type reading a Spark-made result ------------------------------------------


def export_run(world: World, job: str, body: dict[str, Any]) -> None:
    make_job(world.client, job)
    ok(world.client.post(f"/v2/jobs/{job}/exports/e", body))
    done = run(world, job)
    on_spark(done)


def test_kodo_export_writes_the_spark_result(world: World) -> None:
    export_run(world, "to_kodo", {"type": "kodo", "spec": {
        "bucket": "outb", "keyPrefix": "spark/traffic.json", "format": "json", "fileCount": 1,
    }})  # fmt: skip

    written = world.settings.data_dir / "kodo" / world.settings.account / "outb"
    lines = (written / "spark" / "traffic.json").read_text().splitlines()
    got = [json.loads(line) for line in lines]
    assert [[r["url"], r["total"], r["last"], r["n"]] for r in got] == EXPECTED


@pytest.mark.hdfs
def test_hdfs_export_writes_the_spark_result(world: World) -> None:
    base = f"{world.hdfs_url}/spark-e2e-{uuid.uuid4().hex[:8]}/"
    export_run(world, "to_hdfs", {"type": "hdfs", "spec": {
        "path": base + "out", "format": "csv", "fileCount": 1, "containsHeader": True,
        "delimiter": ",",
    }})  # fmt: skip

    files = open_storages(world.settings)
    [info] = files.list(base)
    text = files.read(info.uri).decode().splitlines()
    assert text[0] == "url,total,last,n"
    assert [line.split(",")[:2] + line.split(",")[3:] for line in text[1:]] == [
        ["/a", "17", "2"], ["/b", "5", "1"],
    ]  # fmt: skip


def test_http_export_sends_the_spark_result(world: World) -> None:
    export_run(world, "to_http", {"type": "http", "spec": {
        "host": world.receiver.url, "uri": "/spark",
    }})  # fmt: skip

    [request] = [r for r in world.receiver.requests if r.path == "/spark"]
    lines = request.body.decode().split("\n")
    assert [line.split("\t")[:2] for line in lines] == [
        ["url=/a", "total=17"], ["url=/b", "total=5"],
    ]  # fmt: skip


@pytest.mark.opensearch
def test_logdb_export_indexes_the_spark_result(world: World) -> None:
    index = "r" + uuid.uuid4().hex[:8]
    export_run(world, "to_logdb", {"type": "logdb", "spec": {
        "destRepoName": index, "doc": {"url": "#url", "total": "#total", "last": "#last"},
    }})  # fmt: skip

    url = world.opensearch_url
    httpx.post(f"{url}/default-{index}/_refresh")
    reply = httpx.post(f"{url}/default-{index}/_search", json={"sort": ["total"]}).json()
    docs = [hit["_source"] for hit in reply["hits"]["hits"]]
    assert docs == [
        {"url": "/b", "total": 5, "last": "2026-11-23T09:30:00+08:00"},
        {"url": "/a", "total": 17, "last": "2026-11-23T08:00:00+08:00"},
    ]


@pytest.mark.influxdb
def test_tsdb_export_writes_points_of_the_spark_result(world: World) -> None:
    db = "r" + uuid.uuid4().hex[:8]
    export_run(world, "to_tsdb", {"type": "tsdb", "spec": {
        "destRepoName": db, "series": "traffic", "tags": {"url": "#url"},
        "fields": {"total": "#total"}, "timestamp": "#last",
    }})  # fmt: skip

    reply = httpx.get(f"{world.influxdb_url}/query", params={
        "db": f"default-{db}", "q": 'SELECT "url", "total" FROM "traffic"',
    }).json()  # fmt: skip
    assert reply["results"][0]["series"][0]["values"] == [
        ["2026-11-23T00:00:00Z", "/a", 17], ["2026-11-23T01:30:00Z", "/b", 5],
    ]  # fmt: skip


@pytest.mark.postgres
def test_report_export_fills_a_postgresql_table_from_the_spark_result(world: World) -> None:
    export_run(world, "to_report", {"type": "report", "spec": {
        "dbName": "db1", "tableName": "traffic",
        "columns": {"u": "#url", "t": "#total", "l": "#last"},
    }})  # fmt: skip

    engine = sa.create_engine(world.report_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(sa.text('select u, t, l from "default-db1".traffic order by u'))
            found = [tuple(r) for r in got.all()]
    finally:
        engine.dispose()
    assert [(u, t) for u, t, _ in found] == [("/a", 17), ("/b", 5)]
    assert all(last is not None for _, _, last in found)


# --- stop: the cluster ends the batch's Spark work within 5 s -------------------------------


def test_stop_of_a_long_spark_batch_ends_its_work_on_the_cluster_within_5_s(
    world: World,
) -> None:
    cluster = world.cluster
    before = {p: len(t) for p, t in cluster.executor_logs().items()}
    make_job(world.client, "slow", SLOW)
    ok(world.client.post("/v2/jobs/slow/actions/start", {}))
    wait_for(world.client, "slow", {"Running"}, timeout=RUN)

    deadline = time.monotonic() + RUN  # until an executor runs the batch's tasks
    while not any(
        "Running task" in text[before.get(p, 0) :] for p, text in cluster.executor_logs().items()
    ):
        assert time.monotonic() < deadline, "no executor started the batch's tasks"
        time.sleep(0.2)
    [app] = cluster.status()["activeapps"]
    assert cluster.status()["workers"][0]["coresused"] == 1

    began = time.monotonic()
    stopped = ok(world.client.post("/v2/batch/actions/stop", {"jobName": "slow", "runId": 1}))
    while True:
        status = cluster.status()
        active = [a["id"] for a in status["activeapps"]]
        if app["id"] not in active and status["workers"][0]["coresused"] == 0:
            break
        assert time.monotonic() - began < 5, f"after 5 s the master still shows {status}"
        time.sleep(0.1)
    took = time.monotonic() - began

    assert stopped["preStatus"] == "Running"
    assert took < 5
    ended = [a for a in cluster.status()["completedapps"] if a["id"] == app["id"]]
    assert [a["state"] for a in ended] in (["FINISHED"], ["KILLED"])
    assert wait_for(world.client, "slow", {"Canceled"}, timeout=30)["status"] == "Canceled"


def test_after_a_stop_the_next_spark_batch_runs(world: World) -> None:
    make_job(world.client, "after", "select count(*) as n from logs")

    done = run(world, "after", FIRST_RUN)

    on_spark(done)
    assert rows(world, "after") == [[3]]
