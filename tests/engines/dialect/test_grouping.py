"""Spark's GROUP BY spellings become DuckDB's standard ones (engines/dialect/grouping.py)."""

from __future__ import annotations

import pytest

from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        (
            "select a, b, count(*) from t group by a, b with rollup",
            "SELECT a, b, COUNT(*) FROM t GROUP BY ROLLUP (a, b) HAVING COUNT(*) > 0",
        ),
        (
            "select a, b, count(*) from t group by a, b with cube",
            "SELECT a, b, COUNT(*) FROM t GROUP BY CUBE (a, b) HAVING COUNT(*) > 0",
        ),
        (
            "select a, count(*) from t group by 1 with rollup",
            "SELECT a, COUNT(*) FROM t GROUP BY ROLLUP (1) HAVING COUNT(*) > 0",
        ),
        (
            "select a, b, count(*) from t group by a, b grouping sets ((a), (b), ())",
            "SELECT a, b, COUNT(*) FROM t GROUP BY GROUPING SETS ((a), (b), ())"
            " HAVING COUNT(*) > 0",
        ),
        (
            "select a, count(*) from t group by a, rollup(b, c)",
            "SELECT a, COUNT(*) FROM t GROUP BY a, ROLLUP (b, c) HAVING COUNT(*) > 0",
        ),
    ],
)
def test_hive_group_by_forms_become_standard(spark_sql: str, expected: str) -> None:
    assert to_duckdb(spark_sql) == expected


@pytest.mark.parametrize(
    ("spark_sql", "grouping"),
    [
        # The Hive column list fixes the bit order, not the order of the sets.
        ("select grouping_id() from t group by b, a grouping sets ((a), (b))", "GROUPING(b, a)"),
        ("select grouping__id from t group by a, b with cube", "GROUPING(a, b)"),
        # Otherwise: every grouping expression, in order of first appearance.
        ("select grouping_id() from t group by grouping sets ((b), (a, b))", "GROUPING(b, a)"),
        ("select grouping_id() from t group by c, rollup(b, a)", "GROUPING(c, b, a)"),
        ("select grouping_id(a, b) from t group by cube(a, b)", "GROUPING(a, b)"),
    ],
)
def test_grouping_id_names_spark_columns(spark_sql: str, grouping: str) -> None:
    assert grouping in to_duckdb(spark_sql)


@pytest.mark.parametrize(
    "spark_sql",
    [
        "select grouping_id(b, a) from t group by cube(a, b)",
        "select grouping_id() from t",
        "select a, grouping_id() from t group by a",
        "select a, grouping(a) from t group by a",
    ],
)
def test_grouping_id_spark_refuses_is_refused(spark_sql: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(spark_sql)

    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert "grouping" in caught.value.message
    assert "not supported on the DuckDB engine" in caught.value.message


def test_grouping_id_in_subquery_uses_its_own_group_by() -> None:
    sql = to_duckdb(
        "select grouping_id() g from (select a, grouping_id() h from t group by a with rollup)"
        " group by cube(g)"
    )

    assert sql.count("GROUPING(a)") == 1
    assert "GROUPING(g)" in sql


def test_plain_group_by_is_printed_as_written() -> None:
    # The bench's GROUP BY (bench/run.py): no pass may add work to the plain path but the wrap
    # of an integral sum past BIGINT's range (engines/duckdb/dialect/overflow.py), once a group.
    tables = {"logs": [("url", "string"), ("bytes", "long"), ("hit", "boolean")]}

    sql = to_duckdb(
        "select url, sum(bytes) as total from logs group by url order by total desc", tables
    )

    assert sql == (
        "SELECT url, TIDEMILL_WRAP64(SUM(bytes)) AS total FROM logs GROUP BY url"
        " ORDER BY total DESC"
    )


def test_grouping_id_over_ordinals_names_the_select_items() -> None:
    sql = to_duckdb("select upper(b) u, a, grouping_id() g from t group by 1, 2 with cube")

    assert sql == (
        "SELECT UPPER(b) AS u, a, GROUPING(UPPER(b), a) AS g FROM t GROUP BY CUBE (1, 2)"
        " HAVING COUNT(*) > 0"
    )
