"""The DuckDB engine's own side of the contract: what the engine suite cannot see from outside
(the database a run gets: its limits, and file access shut even for SQL that got past the
translation)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits
from tidemill.engines.duckdb.engine import DuckDBEngine


def plan(threads: int, memory: str) -> BatchPlan:
    return BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT 1 AS n", (), "mem://r/x.parquet",
        Limits(threads, memory), "Asia/Shanghai",
    )  # fmt: skip


def test_a_run_database_has_the_plans_threads_memory_and_zone(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    engine.prepare()

    con = engine._sealed(plan(3, "300MiB"), tmp_path, {})
    try:
        threads, memory, zone, spill = (
            con.execute(
                "SELECT current_setting('threads'), current_setting('memory_limit'),"
                " current_setting('TimeZone'), current_setting('temp_directory')"
            ).fetchone()
            or ()
        )
    finally:
        con.close()

    assert (threads, zone, spill) == (3, "Asia/Shanghai", str(tmp_path / "spill"))
    assert memory in ("300.0 MiB", "314.5 MB")  # DuckDB prints the limit in its own unit


def test_a_run_database_reads_and_writes_only_its_directories(tmp_path: Path) -> None:
    inputs, scratch, other = tmp_path / "in", tmp_path / "scratch", tmp_path / "other"
    for directory in (inputs, scratch, other):
        directory.mkdir()
    (inputs / "a.csv").write_text("x\n1\n")
    (other / "secret.csv").write_text("x\n42\n")
    con = DuckDBEngine()._sealed(plan(1, "100MiB"), scratch, {"u": inputs / "a.csv"})
    try:
        assert con.execute(f"SELECT x FROM read_csv('{inputs / 'a.csv'}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{other / 'secret.csv'}')")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"COPY (SELECT 1) TO '{other / 'out.csv'}'")
        with pytest.raises(duckdb.Error):
            con.execute("INSTALL httpfs")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    assert not (other / "out.csv").exists()
