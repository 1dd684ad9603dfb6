"""A result with two columns of one name, one of which `conform` casts: each column keeps its
own values (Spark: `SELECT 1 AS n, n FROM u` answers 1 and u's n)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.storage.local import LocalFiles, file_uri


@pytest.mark.parametrize(
    ("sql", "rows"),
    [
        # Spark 3.5.9 (pyspark, ANSI off, Asia/Shanghai): (1, 2), then (1, 1) and (2, 1).
        ("SELECT 1 AS n, n FROM t WHERE n = 2", [(1, 2)]),
        ("SELECT t.n, 1 AS n FROM t", [(1, 1), (2, 1)]),
        # WITH of its own: the tables are given as CTEs ahead of the query's
        ("WITH x AS (SELECT n FROM t) SELECT 7 AS n, n FROM x WHERE n = 1", [(7, 1)]),
    ],
)  # fmt: skip
def test_a_repeated_name_keeps_each_columns_values(
    tmp_path: Path, sql: str, rows: list[tuple[int, int]]
) -> None:
    source = tmp_path / "t.json"
    source.write_text('{"n": 1}\n{"n": 2}\n')
    table = TablePlan(
        "t", schema=(("n", "long", False),),
        files=(InputFile(file_uri(source), source.stat().st_size, "json"),), file_type="json",
    )  # fmt: skip
    (tmp_path / "scratch").mkdir()
    engine = DuckDBEngine()
    for run in (1, 2):  # the second run's `conform` is remembered
        result = tmp_path / f"{run}.parquet"
        plan = BatchPlan(1, AccountScope("a", frozenset()), "j", run, sql, (table,),
                         file_uri(result), Limits(1, "100MiB"), "Asia/Shanghai")  # fmt: skip
        committed = engine.run(plan, RunIO(LocalFiles(), scratch=tmp_path / "scratch"))
        written = pq.read_table(result)
        assert sorted(tuple(r.values()) for r in written.to_pylist()) == rows
        assert [str(t) for t in written.schema.types] == ["int64", "int64"]
        assert [f.valtype for f in committed.schema] == ["long", "long"]
