"""The DuckDB engine's own side of the contract: what the engine suite cannot see from outside
(the database a run gets: its limits, and file access shut even for SQL that got past the
translation)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tidemill.core.models import AccountScope
from tidemill.core.plans import BatchPlan, Limits, TablePlan
from tidemill.engines.duckdb import dialect
from tidemill.engines.duckdb.engine import DuckDBEngine
from tidemill.errors import InvalidInputError


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


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[object, ...]:
    return (
        con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit'),"
            " current_setting('TimeZone')"
        ).fetchone()
        or ()
    )


def test_a_database_opened_like_the_last_run_still_gets_its_own_plans_limits(
    tmp_path: Path,
) -> None:
    """`prepare` opens the next database with the last plan's limits and macros; a plan
    with other limits, or the same, gets exactly its own."""
    engine = DuckDBEngine()
    engine.prepare()
    engine._sealed(plan(3, "300MiB"), tmp_path, {}).close()
    engine.prepare()  # made like the plan above
    con = engine._sealed(plan(3, "300MiB"), tmp_path, {})
    try:
        assert _settings(con)[0::2] == (3, "Asia/Shanghai")
    finally:
        con.close()
    engine.prepare()
    other = BatchPlan(
        1, AccountScope("a", frozenset()), "j", 1, "SELECT 1 AS n", (), "mem://r/x.parquet",
        Limits(1, "100MiB"), "America/Los_Angeles",
    )  # fmt: skip
    con = engine._sealed(other, tmp_path, {})
    try:
        threads, memory, zone = _settings(con)
    finally:
        con.close()
    assert (threads, zone) == (1, "America/Los_Angeles")
    assert memory in ("100.0 MiB", "104.8 MB")


def test_a_run_has_every_macro_its_query_calls_whatever_the_last_run_needed(
    tmp_path: Path,
) -> None:
    engine = DuckDBEngine()
    engine.prepare()
    wrap64 = dialect.macros_for("SELECT tidemill_wrap64(1)")
    engine._sealed(plan(1, "100MiB"), tmp_path, {}, wrap64).close()
    engine.prepare()  # holds tidemill_wrap64 (and the last run's macros) already
    wrap32 = dialect.macros_for("SELECT tidemill_wrap32(1)")
    con = engine._sealed(plan(1, "100MiB"), tmp_path, {}, wrap32)
    try:
        assert con.execute("SELECT tidemill_wrap32(2147483648)").fetchone() == (-2147483648,)
        assert con.execute("SELECT tidemill_wrap64(1)").fetchone() == (1,)
    finally:
        con.close()


def test_a_query_is_translated_for_its_columns_and_a_refusal_is_never_remembered() -> None:
    engine = DuckDBEngine()

    def typed(valtype: str, sql: str = "SELECT a + 1 AS b FROM t") -> BatchPlan:
        table = TablePlan("t", schema=(("a", valtype, False),))
        return BatchPlan(
            1, AccountScope("a", frozenset()), "j", 1, sql, (table,), "mem://r/x.parquet",
            Limits(1, "100MiB"), "UTC",
        )  # fmt: skip

    as_long, as_string = engine._translate(typed("long")), engine._translate(typed("string"))
    assert as_long != as_string  # Spark casts a string operand: the columns are in the key
    assert (
        engine._translate(typed("long"))
        == as_long
        == dialect.to_duckdb("SELECT a + 1 AS b FROM t", {"t": [("a", "long")]})
    )
    for _ in range(2):
        with pytest.raises(InvalidInputError):
            engine._translate(typed("long", "SELECT FROM WHERE"))
