"""Runs of one Spark engine at once (threads of one process, one Spark application): each run
keeps its own session settings (zone), inputs and result (the fidelity corpus runs so)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO
from tidemill.engines.spark.engine import SparkEngine
from tidemill.storage.local import file_uri
from tidemill.storage.registry import StorageConfig, open_storages

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SCOPE = AccountScope("t", frozenset())
ZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin"]
AT = dt.datetime(2024, 1, 1, 0, 30, tzinfo=dt.UTC)


def test_concurrent_runs_keep_their_own_zone_inputs_and_results(tmp_path: Path) -> None:
    storage = open_storages(StorageConfig(memory=True))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    engine = SparkEngine()
    engine.prepare()
    plans = []
    for i in range(8):
        path = tmp_path / f"in-{i}.parquet"
        at = pa.array([AT], pa.timestamp("us", tz="UTC"))
        pq.write_table(pa.table({"n": pa.array([i], pa.int64()), "at": at}), path)
        table = TablePlan(
            "logs", (("n", "long", False), ("at", "date", False)),
            (InputFile(file_uri(path), path.stat().st_size, "parquet", name=f"in-{i}"),),
            file_type="parquet",
        )  # fmt: skip
        sql = (
            "SELECT n, current_timezone() AS zone, date_format(at, 'yyyy-MM-dd HH:mm') AS local"
            " FROM logs"
        )
        result = file_uri(tmp_path / f"warehouse/{i}/result.parquet")
        plans.append(
            BatchPlan(1, SCOPE, "j", i, sql, (table,), result, Limits(2, "1GB"), ZONES[i % 4])
        )

    def run(plan: BatchPlan) -> list[dict[str, object]]:
        committed = engine.run(plan, RunIO(storage, scratch=scratch))
        table = pq.read_table(pa.BufferReader(storage.read(committed.result_uri)))
        rows: list[dict[str, object]] = table.to_pylist()
        return rows

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run, plans))

    local = {
        "Asia/Shanghai": "2024-01-01 08:30",
        "UTC": "2024-01-01 00:30",
        "America/New_York": "2023-12-31 19:30",
        "Europe/Berlin": "2024-01-01 01:30",
    }
    for i, rows in enumerate(results):
        zone = ZONES[i % 4]
        assert rows == [{"n": i, "zone": zone, "local": local[zone]}]
    assert list(scratch.iterdir()) == []
