"""Run by test_spark_standalone in its own process (a process has one Spark session): one batch
on the Spark engine against the master URL in argv[1], then a long one stopped after 3 s.
Prints one JSON line: the result rows, the schema, and how long the stop took."""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO, Stopped
from tidemill.engines.spark.engine import SparkEngine
from tidemill.storage.local import file_uri
from tidemill.storage.registry import StorageConfig, open_storages

LONG = "SELECT sum(a.id * b.id) AS x FROM range(300000) a CROSS JOIN range(300000) b"


def main(url: str) -> None:
    tmp = Path(tempfile.mkdtemp())
    source = tmp / "in.json"
    source.write_text("".join(json.dumps({"n": i, "s": f"k{i % 3}"}) + "\n" for i in range(1000)))
    storage = open_storages(StorageConfig(memory=True))
    scratch = tmp / "scratch"
    scratch.mkdir()
    file = InputFile(file_uri(source), source.stat().st_size, "json", name="b/in.json")
    table = TablePlan("t", (("n", "long", False), ("s", "string", False)), (file,),
                      file_type="json")  # fmt: skip

    def plan(sql: str, name: str) -> BatchPlan:
        return BatchPlan(1, AccountScope("a", frozenset()), "j", 1, sql, (table,),
                         file_uri(tmp / "wh" / f"{name}.parquet"), Limits(1, "1GB"),
                         "Asia/Shanghai")  # fmt: skip

    engine = SparkEngine(url)
    done = engine.run(
        plan("SELECT s, sum(n) AS total FROM t GROUP BY s ORDER BY s", "r"),
        RunIO(storage, scratch=scratch),
    )
    rows = pq.read_table(tmp / "wh" / "r.parquet").to_pylist()

    stop = threading.Event()
    stop_set: list[float] = []

    def later() -> None:
        time.sleep(3.0)
        stop_set.append(time.monotonic())
        stop.set()

    threading.Thread(target=later).start()
    outcome = "finished"
    try:
        engine.run(plan(LONG, "long"), RunIO(storage, scratch=scratch, stop=stop))
    except Stopped:
        outcome = "stopped"
    ended = time.monotonic()
    print(json.dumps({
        "rows": rows, "schema": [[f.key, f.valtype] for f in done.schema], "outcome": outcome,
        "master": engine_context(), "published": sorted(p.name for p in (tmp / "wh").iterdir()),
        "stop_seconds": ended - stop_set[0] if stop_set else None,
    }))  # fmt: skip


def engine_context() -> str:
    from tidemill.engines.spark import session

    running = session.current(session.Profile("unused"))
    return str(running.sparkContext.master)


if __name__ == "__main__":
    main(sys.argv[1])
