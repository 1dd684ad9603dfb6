"""Spark spill figure and check for `make bench` (issue 13): a job over input 5x the executors'
total memory completes on a real standalone cluster, and its result equals DuckDB's.

A standalone master and one worker on loopback (scripts/spark.sh; 1 core, 1 GiB offered), one
executor of TIDEMILL_BENCH_SPARK_EXECUTOR_MEMORY (default 512m), and uncompressed Parquet of
5x that (random letters, so its bytes are what it holds). The query's inner GROUP BY has a
quarter as many groups as rows, far more than the executor's unified memory
((heap - 300 MiB) x 0.6), so Spark must spill; the spilled bytes are read from Spark's own
status store. The same plan then runs on the DuckDB engine and both results are compared
exactly. Prints one JSON line of figures; exits 1 when the results differ or nothing spilled.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tidemill.core.models import AccountScope  # noqa: E402
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan  # noqa: E402
from tidemill.core.spark_resources import heap_mib  # noqa: E402
from tidemill.engines.base import RunIO  # noqa: E402
from tidemill.storage.local import file_uri  # noqa: E402
from tidemill.storage.registry import StorageConfig, open_storages  # noqa: E402

EXECUTOR_MEMORY = os.environ.get("TIDEMILL_BENCH_SPARK_EXECUTOR_MEMORY", "512m")
WIDTH = 80  # letters per row's string
ROW_BYTES = 8 + 8 + WIDTH + 4  # k, v, s and its offset, as uncompressed Parquet holds them
CHUNK = 1_000_000
SQL = (
    "SELECT count(1) AS n_groups, sum(c) AS n_rows, sum(t) AS total, max(m) AS max_s,"
    " min(m) AS min_s FROM (SELECT k, count(1) AS c, sum(v) AS t, max(s) AS m FROM t GROUP BY k)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate(path: Path, target: int) -> int:
    """Rows of `path`: uncompressed Parquet of about `target` bytes (k has rows/4 values)."""
    rows = target // ROW_BYTES
    rng = np.random.default_rng(13)
    schema = pa.schema([("k", pa.int64()), ("v", pa.int64()), ("s", pa.string())])
    with pq.ParquetWriter(path, schema, compression="none", use_dictionary=False) as writer:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            letters = rng.integers(97, 123, size=n * WIDTH, dtype=np.uint8)
            offsets = np.arange(0, (n + 1) * WIDTH, WIDTH, dtype=np.int32)
            text = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(letters))
            keys = rng.integers(0, max(1, rows // 4), size=n, dtype=np.int64)
            values = rng.integers(-1000, 1000, size=n, dtype=np.int64)
            writer.write_table(pa.table([keys, values, text], schema=schema), CHUNK)
    return rows


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-spill-"))
    cluster = work / "cluster"
    script = str(ROOT / "scripts" / "spark.sh")
    env = {**os.environ, "SPARK_WORKER_CORES": "1", "SPARK_WORKER_MEMORY": "1g"}
    try:
        started = subprocess.run(
            [script, "start", str(cluster), str(free_port())],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        if started.returncode != 0:
            print(started.stderr, file=sys.stderr)
            return 1
        master = started.stdout.strip().splitlines()[-1].split("=", 1)[1]
        executor_bytes = heap_mib(EXECUTOR_MEMORY) * 2**20
        source = work / "in.parquet"
        began = time.perf_counter()
        rows = generate(source, 5 * executor_bytes)
        generated = time.perf_counter() - began
        print(f"generated {source.stat().st_size} bytes in {generated:.0f} s", file=sys.stderr)
        size = source.stat().st_size

        storage = open_storages(StorageConfig())
        table = TablePlan(
            "t", (("k", "long", False), ("v", "long", False), ("s", "string", False)),
            (InputFile(file_uri(source), size, "parquet"),), file_type="parquet",
        )  # fmt: skip

        def plan(name: str) -> BatchPlan:
            return BatchPlan(
                1, AccountScope("a", frozenset()), "j", 1, SQL, (table,),
                file_uri(work / "wh" / name / "result.parquet"), Limits(1, "1GB"), "UTC",
            )  # fmt: skip

        from tidemill.engines.duckdb.engine import DuckDBEngine
        from tidemill.engines.spark import session
        from tidemill.engines.spark.engine import SparkEngine

        spark_engine = SparkEngine(master, executor_memory=EXECUTOR_MEMORY)
        spark_engine.prepare()
        scratch = work / "scratch"
        scratch.mkdir()
        began = time.perf_counter()
        on_spark = spark_engine.run(plan("spark"), RunIO(storage, scratch=scratch))
        spark_seconds = time.perf_counter() - began
        print(f"spark ran in {spark_seconds:.0f} s", file=sys.stderr)
        spilled = spill_bytes(session.current(spark_engine.profile()))
        session.stop()

        began = time.perf_counter()
        on_duckdb = DuckDBEngine().run(plan("duckdb"), RunIO(storage, scratch=scratch))
        duckdb_seconds = time.perf_counter() - began

        spark_rows = pq.read_table(on_spark.result_uri[len("file://") :]).to_pylist()
        duckdb_rows = pq.read_table(on_duckdb.result_uri[len("file://") :]).to_pylist()
        same = spark_rows == duckdb_rows and on_spark.schema == on_duckdb.schema
        print(json.dumps({
            "executor_memory": EXECUTOR_MEMORY, "input_bytes": size, "input_rows": rows,
            "input_over_executor_memory": round(size / executor_bytes, 2),
            "generate_seconds": round(generated, 1), "spark_seconds": round(spark_seconds, 1),
            "duckdb_seconds": round(duckdb_seconds, 1), "spark_spilled_memory_bytes": spilled[0],
            "spark_spilled_disk_bytes": spilled[1], "results_equal": same, "result": spark_rows,
        }))  # fmt: skip
        if not same:
            print(f"results differ: spark {spark_rows} duckdb {duckdb_rows}", file=sys.stderr)
        return 0 if same and spilled[1] > 0 else 1
    finally:
        subprocess.run([script, "stop", str(cluster)], check=False)
        shutil.rmtree(work, ignore_errors=True)


def spill_bytes(spark: object) -> tuple[int, int]:
    """(memory, disk) bytes spilled by every stage so far, from Spark's status store."""
    context = spark.sparkContext  # type: ignore[attr-defined]
    jvm = context._jvm
    # AppStatusStore.stageList(statuses, details, withSummaries, unsortedQuantiles, taskStatus):
    # Scala's default arguments do not exist for a Java caller
    stages = (
        context._jsc.sc()
        .statusStore()
        .stageList(
            None, False, False, context._gateway.new_array(jvm.double, 0), jvm.java.util.ArrayList()
        )
    )
    memory = disk = 0
    for i in range(stages.size()):
        memory += int(stages.apply(i).memoryBytesSpilled())
        disk += int(stages.apply(i).diskBytesSpilled())
    return memory, disk


if __name__ == "__main__":
    sys.exit(main())
