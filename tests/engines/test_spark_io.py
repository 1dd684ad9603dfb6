"""The Spark engine reads s3:// (as s3a://, with hadoop-aws) and hdfs:// inputs itself and writes
an s3:// or hdfs:// result in place, against a real SeaweedFS and a real HDFS (MiniDFSCluster).

That Spark read and wrote the bytes itself is seen in Hadoop's own file-system statistics
(bytes read and written per scheme, counted by the JVM's S3A and HDFS clients), not inferred
from the result. One local Spark application, with the jars of scripts/spark-jars.sh.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tidemill.config import S3Settings
from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import UNFENCED, RunIO
from tidemill.engines.spark import session
from tidemill.engines.spark.engine import SparkEngine
from tidemill.errors import Failure, NotFoundError
from tidemill.storage.registry import S3Config, StorageConfig, Storages, open_storages
from tidemill.storage.s3 import S3Store
from tidemill.storage.staging import publish_copy

ROOT = Path(__file__).resolve().parents[2]
ROWS = [{"n": i, "s": f"k{i % 3}"} for i in range(500)]
SQL = "SELECT s, sum(n) AS total, count(1) AS c FROM t GROUP BY s ORDER BY s"
EXPECTED = [
    {"s": f"k{k}", "total": sum(i for i in range(500) if i % 3 == k), "c": len(range(k, 500, 3))}
    for k in range(3)
]


@pytest.fixture(scope="module")
def jars() -> str:
    """hadoop-aws and its AWS SDK bundle (fetched once into .services/spark-jars)."""
    got = subprocess.run(
        [str(ROOT / "scripts" / "spark-jars.sh")], capture_output=True, text=True, check=False
    )
    if got.returncode != 0:
        pytest.fail(f"scripts/spark-jars.sh failed: {got.stderr.strip()[-2000:]}")
    return got.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def engine(jars: str) -> Iterator[SparkEngine]:
    yield SparkEngine("local[2]", jars=jars)
    session.stop()  # its class path is this module's: the next user starts its own


@pytest.fixture
def s3(s3_settings: S3Settings) -> tuple[Storages, str]:
    """Storage with a fresh bucket on the shared SeaweedFS; its root URI."""
    secret = s3_settings.secret_key.get_secret_value()
    config = S3Config(s3_settings.endpoint, s3_settings.access_key, secret, s3_settings.region)
    bucket = "sp-" + uuid.uuid4().hex[:12]
    S3Store(config.endpoint, config.access_key, secret, config.region).create_bucket(bucket)
    return open_storages(StorageConfig(s3=config)), f"s3://{bucket}"


def fs_bytes(scheme: str) -> tuple[int, int]:
    """(bytes read, bytes written) so far by this JVM's Hadoop file systems of `scheme`."""
    spark = session.current(session.Profile())
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    read = written = 0
    for stats in jvm.org.apache.hadoop.fs.FileSystem.getAllStatistics():
        if str(stats.getScheme()) == scheme:
            read += int(stats.getBytesRead())
            written += int(stats.getBytesWritten())
    return read, written


def plan(root: str, table: TablePlan, result: str, sql: str = SQL) -> BatchPlan:
    scope = AccountScope("a", frozenset())
    return BatchPlan(1, scope, "j", 1, sql, (table,), result, Limits(1, "1GB"), "Asia/Shanghai")


def inputs(storage: Storages, root: str) -> TablePlan:
    """The rows as one JSON file and one Parquet file's worth split in two JSON files."""
    half = len(ROWS) // 2
    files = []
    for i, part in enumerate((ROWS[:half], ROWS[half:])):
        data = "".join(json.dumps(r) + "\n" for r in part).encode()
        uri = f"{root}/in/part-{i}.json"
        storage.put(uri, data)
        files.append(InputFile(uri, len(data), "json", name=f"b/part-{i}.json"))
    columns = (("n", "long", False), ("s", "string", False))
    return TablePlan("t", columns, tuple(files), file_type="json")


def read(storage: Storages, uri: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(pa.BufferReader(storage.read(uri))).to_pylist()
    return rows


def test_s3_inputs_are_read_and_the_result_written_by_spark_itself(
    engine: SparkEngine, s3: tuple[Storages, str], tmp_path: Path
) -> None:
    storage, root = s3
    table = inputs(storage, root)
    engine.prepare()
    before = fs_bytes("s3a")

    done = engine.run(
        plan(root, table, f"{root}/warehouse/r/result.parquet"),
        RunIO(storage, scratch=tmp_path),
    )

    after = fs_bytes("s3a")
    sizes = sum(f.size for f in table.files)
    assert after[0] - before[0] >= sizes  # Spark's S3A client read every input byte
    assert after[1] - before[1] > 0  # and wrote the result
    assert read(storage, done.result_uri) == EXPECTED
    assert done.rows == 3
    assert [f.uri for f in storage.list(f"{root}/warehouse/")] == [done.result_uri]  # no staging
    assert list(tmp_path.iterdir()) == []


def test_an_s3_result_staged_by_spark_is_published_by_the_runs_copy_outside_the_lease(
    engine: SparkEngine, s3: tuple[Storages, str], tmp_path: Path
) -> None:
    storage, root = s3
    table = inputs(storage, root)
    engine.prepare()
    published: list[tuple[str, str]] = []

    def publish_staged(src: str, dst: str) -> None:
        published.append((src, dst))
        publish_copy(storage, src, dst, UNFENCED)  # the runner's (runner.worker)

    result = f"{root}/warehouse/r/result.parquet"
    done = engine.run(
        plan(root, table, result), RunIO(storage, scratch=tmp_path, publish_staged=publish_staged)
    )

    ((src, dst),) = published
    assert src.startswith(f"{root}/warehouse/r/.") and "run-" in src and dst == result
    assert read(storage, done.result_uri) == EXPECTED
    assert [f.uri for f in storage.list(f"{root}/warehouse/")] == [result]  # staging removed


def test_an_s3_upstream_result_is_read_in_place_and_a_rerun_replaces_the_result(
    engine: SparkEngine, s3: tuple[Storages, str], tmp_path: Path
) -> None:
    storage, root = s3
    first = engine.run(
        plan(root, inputs(storage, root), f"{root}/warehouse/a/result.parquet"),
        RunIO(storage, scratch=tmp_path),
    )
    upstream = TablePlan("t", (("s", "string", False), ("total", "long", False)), (),
                         result=first.result_uri)  # fmt: skip
    target = f"{root}/warehouse/b/result.parquet"
    storage.put(target, b"an earlier attempt's bytes")

    done = engine.run(
        plan(root, upstream, target, "SELECT s, total * 2 AS doubled FROM t ORDER BY s"),
        RunIO(storage, scratch=tmp_path),
    )

    assert read(storage, done.result_uri) == [
        {"s": r["s"], "doubled": int(str(r["total"])) * 2} for r in EXPECTED
    ]


def test_hdfs_inputs_and_result_are_read_and_written_by_spark_itself(
    engine: SparkEngine, hdfs_url: str, tmp_path: Path
) -> None:
    storage = open_storages(StorageConfig())
    root = f"{hdfs_url}/spark-{uuid.uuid4().hex[:12]}"
    table = inputs(storage, root)
    engine.prepare()
    before = fs_bytes("hdfs")

    done = engine.run(
        plan(root, table, f"{root}/warehouse/r/result.parquet"), RunIO(storage, scratch=tmp_path)
    )

    after = fs_bytes("hdfs")
    assert after[0] - before[0] >= sum(f.size for f in table.files)
    assert after[1] - before[1] > 0
    assert read(storage, done.result_uri) == EXPECTED
    assert [f.uri for f in storage.list(f"{root}/warehouse/")] == [done.result_uri]


def test_a_query_cannot_read_the_servers_environment_or_settings(
    engine: SparkEngine, s3: tuple[Storages, str], tmp_path: Path
) -> None:
    storage, root = s3
    sql = "SELECT '${env:HOME}' AS e, '${fs.s3a.secret.key}' AS k, '${spark.app.name}' AS a"
    table = inputs(storage, root)

    done = engine.run(
        plan(root, table, f"{root}/warehouse/v/result.parquet", sql),
        RunIO(storage, scratch=tmp_path),
    )

    assert read(storage, done.result_uri) == [
        {"e": "${env:HOME}", "k": "${fs.s3a.secret.key}", "a": "${spark.app.name}"}
    ]


def test_an_s3_input_gone_since_planning_is_named_as_the_storage_names_it(
    engine: SparkEngine, s3: tuple[Storages, str], tmp_path: Path
) -> None:
    storage, root = s3
    table = inputs(storage, root)
    storage.delete(table.files[1].uri)

    with pytest.raises(NotFoundError) as caught:
        engine.run(plan(root, table, f"{root}/warehouse/m/result.parquet"),
                   RunIO(storage, scratch=tmp_path))  # fmt: skip

    assert caught.value.failure is Failure.DS_VERIFY_NOT_FOUND
    assert table.files[1].uri in caught.value.message
    assert list(storage.list(f"{root}/warehouse/")) == []
