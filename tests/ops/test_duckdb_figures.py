"""The DuckDB engine's figures for the batch log (engines.duckdb.figures): rows read, bytes,
peak memory, spill and CPU, as DuckDB's profiler and the process report them for the statement
just run."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tidemill.engines.duckdb import figures

# The engine's queries read files (its views over read_parquet, read_json, read_csv): rows
# read are the rows those scans produce.
GROUPS = "select i % 400000 as k, count(*) as c, sum(i) as s from {source} group by 1"


def numbers(con: duckdb.DuckDBPyConnection, path: Path, n: int) -> str:
    con.execute(f"COPY (select range as i from range({n})) TO '{path}' (FORMAT parquet)")
    return f"read_parquet('{path}')"


def test_a_query_over_its_memory_limit_reports_its_spill(tmp_path: Path) -> None:
    con = duckdb.connect()
    source = numbers(con, tmp_path / "in.parquet", 2_000_000)
    con.execute("SET threads = 1")
    con.execute("SET memory_limit = '24MB'")
    con.execute(f"SET temp_directory = '{tmp_path / 'spill'}'")
    figures.track(con)
    out = tmp_path / "out.parquet"

    cpu = figures.clock()
    con.execute(f"COPY ({GROUPS.format(source=source)} order by 1) TO '{out}' (FORMAT parquet)")
    measured = figures.read(con, cpu)

    assert measured["rows_read"] == 2_000_000
    assert measured["spill_bytes"] > 0
    assert 0 < measured["peak_memory_bytes"] <= 24 * 2**20
    assert measured["bytes_written"] >= out.stat().st_size
    assert measured["bytes_read"] >= (tmp_path / "in.parquet").stat().st_size // 2
    assert 0 < measured["cpu_seconds"] < 60


def test_a_small_query_spills_nothing(tmp_path: Path) -> None:
    con = duckdb.connect()
    path = tmp_path / "in.json"
    path.write_text("".join(f'{{"i": {i}}}\n' for i in range(1000)))
    figures.track(con)

    con.execute(GROUPS.format(source=f"read_json('{path}', columns={{'i': 'BIGINT'}})")).fetchall()
    measured = figures.read(con)

    assert measured["rows_read"] == 1000
    assert measured["spill_bytes"] == 0
    assert measured["query_seconds"] >= 0
    assert "cpu_seconds" not in measured  # no clock was given
