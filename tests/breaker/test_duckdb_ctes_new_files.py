"""A job's later run reads its own files when its tables are CTEs of the query (or views) and
its `conform` is remembered: never the first run's (engines/duckdb/engine.py, session 7)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, InputFile, Limits, TablePlan
from tidemill.engines.base import RunIO
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.storage.local import LocalFiles, file_uri


@pytest.mark.parametrize(
    ("sql", "inlined", "answers"),
    [
        ("SELECT sum(n) AS s FROM t", True, [10, 41]),
        # t only in a scalar subquery; u only in a nested WITH that names a CTE `t`
        ("SELECT (SELECT max(n) FROM t) AS s", True, [10, 21]),
        ("SELECT * FROM (WITH t AS (SELECT sum(n) AS s FROM u) SELECT s FROM t)", True, [10, 41]),
        # the query's own CTE named like a table: views
        ("WITH T AS (SELECT n FROM u) SELECT sum(n) AS s FROM T", False, [10, 41]),
        # a datasource beside an upstream result
        ("SELECT sum(t.n) + max(j.k) AS s FROM t, j", True, [110, 241]),
    ],
)  # fmt: skip
def test_a_later_run_reads_its_own_files(
    tmp_path: Path, sql: str, inlined: bool, answers: list[int]
) -> None:
    engine = DuckDBEngine()
    (tmp_path / "scratch").mkdir()
    got = []
    for run in (1, 2):
        rows = tmp_path / f"{run}.json"
        rows.write_text("".join(f'{{"n": {run * 10 + i}}}\n' for i in range(run)))
        upstream = tmp_path / f"up{run}.parquet"
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT {run * 100} AS k) TO '{upstream}' (FORMAT parquet)")
        files = (InputFile(file_uri(rows), rows.stat().st_size, "json"),)
        tables = (
            TablePlan("t", schema=(("n", "long", False),), files=files, file_type="json"),
            TablePlan("u", schema=(("n", "long", False),), files=files, file_type="json"),
            TablePlan("j", schema=(("k", "long", False),), result=file_uri(upstream)),
        )
        result = tmp_path / f"r{run}.parquet"
        plan = BatchPlan(1, AccountScope("a", frozenset()), "j", run, sql, tables,
                         file_uri(result), Limits(1, "100MiB"), "UTC")  # fmt: skip
        engine.run(plan, RunIO(LocalFiles(), scratch=tmp_path / "scratch"))
        got.append(pq.read_table(result).column(0).to_pylist()[0])
    assert got == answers
    assert [t.inlined for t in engine._translated.values()] == [inlined]
