"""IN / NOT IN subqueries outside filters answer as Spark does (engines/dialect/subqueries.py):
true or false, never NULL. Expected rows: pyspark 3.5.9 over the same values."""

from __future__ import annotations

import duckdb
import pytest

from tidemill.engines.duckdb.database import connect
from tidemill.engines.duckdb.dialect import to_duckdb

_EMP = "(values (1, cast(null as bigint)), (2, 1), (5, 4)) as e(id, boss)"
_IDS = "(values (1), (2), (cast(null as bigint))) as i(id)"


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return connect()


def _rows(con: duckdb.DuckDBPyConnection, spark_sql: str) -> list[tuple[object, ...]]:
    with con.cursor() as cur:
        return sorted(cur.execute(to_duckdb(spark_sql)).fetchall())


@pytest.mark.parametrize(
    ("spark_sql", "spark_rows"),
    [
        (
            f"select id, boss in (select id from {_IDS}) b from {_EMP}",
            [(1, False), (2, True), (5, False)],
        ),
        (
            f"select id, boss not in (select id from {_IDS} where id is not null) b from {_EMP}",
            [(1, False), (2, False), (5, True)],
        ),
        # In a filter Spark keeps SQL's unknown: NOT (unknown OR false) drops the row.
        (f"select id from {_EMP} where not (boss in (select id from {_IDS}) or id > 9)", []),
        # A literal list keeps three-valued IN, in Spark too.
        (f"select id, boss in (1, null) b from {_EMP}", [(1, None), (2, True), (5, None)]),
    ],
)
def test_in_subquery_answers(con, spark_sql, spark_rows) -> None:
    assert _rows(con, spark_sql) == spark_rows


def test_filters_keep_in_as_written() -> None:
    sql = to_duckdb("select a from t where a in (select b from u) and a not in (select c from v)")

    assert "COALESCE" not in sql
