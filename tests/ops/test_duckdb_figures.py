"""The DuckDB engine's figures for the batch log (engines.duckdb.figures): rows read, bytes,
peak memory and spill, as DuckDB's profiler reports them for the statement just run."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tidemill.engines.duckdb import figures

GROUPS = "select i % 400000 as k, count(*) as c, sum(i) as s from range({n}) t(i) group by 1"


def test_a_query_over_its_memory_limit_reports_its_spill(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("SET memory_limit = '24MB'")
    con.execute(f"SET temp_directory = '{tmp_path / 'spill'}'")
    figures.track(con)
    out = tmp_path / "out.parquet"

    con.execute(f"COPY ({GROUPS.format(n=2_000_000)} order by 1) TO '{out}' (FORMAT parquet)")
    measured = figures.read(con)

    assert measured["rows_read"] == 2_000_000
    assert measured["spill_bytes"] > 0
    assert 0 < measured["peak_memory_bytes"] <= 24 * 2**20
    assert measured["bytes_written"] >= out.stat().st_size


def test_a_small_query_spills_nothing(tmp_path: Path) -> None:
    con = duckdb.connect()
    figures.track(con)

    con.execute(GROUPS.format(n=1000)).fetchall()
    measured = figures.read(con)

    assert measured["rows_read"] == 1000
    assert measured["spill_bytes"] == 0
    assert measured["query_seconds"] >= 0
