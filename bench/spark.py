"""Spark figures for `make bench`, measured in one run on one generated Parquet file.

The GROUP BY of bench/run.py (5M rows, ~900k groups; `BENCH_ROWS`) run three ways, interleaved,
`BENCH_SPARK_RUNS` times each (default 5, after one untimed warm-up of each):

- Tidemill's Spark engine: `SparkEngine.run(plan, io)`, the worker's call (the table read with
  its declared schema, the columns cast to their valtypes, one Parquet file committed);
- plain PySpark on the same Spark application (a `newSession()` of the engine's session): the
  file read as a view, the same SQL, its result written as Parquet;
- Tidemill's DuckDB engine: `DuckDBEngine.run` of the same plan (2 threads).

Printed: medians, Tidemill's overhead on Spark ((engine - plain) / plain, goal ≤ 20 %), and
Spark engine / DuckDB engine. `BENCH_SPARK_URL` picks the master (default `local[2]`; a
`spark://` cluster must share this machine's file system).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from run import generate_logs  # noqa: E402  (bench/run.py: the same GROUP BY input)

from tidemill.core.models import AccountScope  # noqa: E402
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan  # noqa: E402
from tidemill.engines.base import RunIO  # noqa: E402
from tidemill.engines.duckdb.engine import DuckDBEngine  # noqa: E402
from tidemill.engines.spark.engine import SparkEngine  # noqa: E402
from tidemill.storage.local import file_uri  # noqa: E402
from tidemill.storage.registry import StorageConfig, open_storages  # noqa: E402

ZONE = "Asia/Shanghai"
QUERY = "select url, sum(bytes) as total from logs group by url order by total desc"
SCHEMA = (("url", "string", False), ("bytes", "long", False), ("hit", "boolean", False))


def plan(path: Path, result: Path, run_id: int) -> BatchPlan:
    source = InputFile(file_uri(path), path.stat().st_size, "parquet", name="bench/logs.parquet")
    table = TablePlan("logs", SCHEMA, (source,), file_type="parquet")
    return BatchPlan(
        1, AccountScope("bench", frozenset()), "groupby", run_id, QUERY, (table,),
        file_uri(result), Limits(2, "4GB"), ZONE,
    )  # fmt: skip


def main() -> None:
    rows = int(os.environ.get("BENCH_ROWS", "5000000"))
    runs = int(os.environ.get("BENCH_SPARK_RUNS", "5"))
    url = os.environ.get("BENCH_SPARK_URL", "local[2]")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    work = Path(tempfile.mkdtemp(prefix="tidemill-bench-spark-"))
    try:
        data = work / "logs.parquet"
        generate_logs(data, rows)
        (work / "scratch").mkdir()
        io = RunIO(open_storages(StorageConfig(memory=True)), scratch=work / "scratch")
        spark_engine, duckdb_engine = SparkEngine(url), DuckDBEngine()
        spark_engine.prepare()
        from pyspark.sql import SparkSession

        shared = SparkSession.builder.getOrCreate()  # the engine's application

        def on_spark(n: int) -> float:
            began = time.perf_counter()
            spark_engine.run(plan(data, work / f"spark-{n}.parquet", n), io)
            return time.perf_counter() - began

        def on_duckdb(n: int) -> float:
            began = time.perf_counter()
            duckdb_engine.run(plan(data, work / f"duckdb-{n}.parquet", n), io)
            return time.perf_counter() - began

        def plain(n: int) -> float:
            began = time.perf_counter()
            spark = shared.newSession()
            spark.conf.set("spark.sql.session.timeZone", ZONE)
            spark.read.parquet(str(data)).createOrReplaceTempView("logs")
            spark.sql(QUERY).write.parquet(str(work / f"plain-{n}"))
            return time.perf_counter() - began

        for measure in (on_spark, plain, on_duckdb):
            measure(0)  # warm-up: JIT, the executors' first tasks, DuckDB's first open
        timed: dict[str, list[float]] = {"spark_engine": [], "plain_pyspark": [], "duckdb": []}
        for n in range(1, runs + 1):  # interleaved: the machine is shared
            timed["spark_engine"].append(on_spark(n))
            timed["plain_pyspark"].append(plain(n))
            timed["duckdb"].append(on_duckdb(n))
        shared.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in timed.items()}
    overhead = medians["spark_engine"] / medians["plain_pyspark"] - 1
    versus = medians["spark_engine"] / medians["duckdb"]
    print(
        f"GROUP BY over {rows:,} Parquet rows on Spark ({url}), medians of {runs}: "
        f"Tidemill's Spark engine {medians['spark_engine']:.2f} s, plain PySpark on the same "
        f"application {medians['plain_pyspark']:.2f} s: overhead {overhead:+.0%} "
        f"(goal <= +20% {'met' if overhead <= 0.2 else 'NOT met'})"
    )
    print(
        f"Same job on Tidemill's DuckDB engine (2 threads): {medians['duckdb']:.2f} s; "
        f"Spark engine / DuckDB engine = {versus:.1f}x"
    )
    print(json.dumps({"spark": {"rows": rows, "url": url, "runs_s": timed, "medians_s": medians,
                                "overhead": overhead, "spark_over_duckdb": versus}}))  # fmt: skip


if __name__ == "__main__":
    main()
