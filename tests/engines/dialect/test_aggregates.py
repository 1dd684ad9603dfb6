"""Spark's aggregate definitions on DuckDB (engines/dialect/aggregates.py), checked on real
DuckDB against answers Spark 3.5.9 gave for the same data (tests/fidelity/corpus has the rest)."""

from __future__ import annotations

import duckdb
import pytest

from tidemill.engines.duckdb.database import connect
from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.errors import Failure, InvalidInputError

_VALUES = "(values (1, 1.5, 'a'), (2, cast(null as double), 'b'), (3, 4.0, 'b')," \
    " (10, 2.0, 'b')) as t(x, y, g)"  # fmt: skip


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return connect(time_zone="Asia/Shanghai")


def _one(con: duckdb.DuckDBPyConnection, spark_select: str) -> tuple[object, ...]:
    with con.cursor() as cur:
        row = cur.execute(to_duckdb(f"select {spark_select} from {_VALUES}")).fetchone()
    assert row is not None
    return tuple(row)


def _types(con: duckdb.DuckDBPyConnection, spark_select: str) -> list[str]:
    with con.cursor() as cur:
        described = cur.execute(f"DESCRIBE {to_duckdb(f'select {spark_select} from {_VALUES}')}")
        return [str(row[1]) for row in described.fetchall()]


@pytest.mark.parametrize(
    ("spark_select", "spark_row"),
    [
        # Interpolated, never a member of the data. Expected rows: Spark 3.5.9's answers.
        ("percentile(x, 0.3)", (1.9,)),
        ("percentile(x, array(0.25, 0.5))", ([1.75, 2.5],)),
        ("median(x)", (2.5,)),
        ("percentile_cont(0.3) within group (order by x desc)", (3.7000000000000006,)),
        ("percentile_disc(0.3) within group (order by x)", (2.0,)),
        # Spark's exact-summary answer: the member of rank ceil(p * n).
        ("percentile_approx(x, 0.5)", (2,)),
        ("approx_percentile(x, array(0.1, 0.9), 100)", ([1, 10],)),
        # Population skewness and excess kurtosis; NULL where Spark divides by zero.
        ("kurtosis(x)", (-0.7696000000000001,)),
        ("skewness(y) filter (where g = 'a')", (None,)),
        ("corr(x, y) filter (where g = 'a')", (None,)),
        ("regr_slope(y, x) filter (where x = 1)", (None,)),
        ("std(x) filter (where x = 1)", (None,)),
        # The value at the extreme even when it is NULL.
        ("min_by(y, x) filter (where x > 1)", (None,)),
        ("max_by(g, y)", ("b",)),
        ("first(y, true)", (1.5,)),
        ("last(y, true) filter (where x < 3)", (1.5,)),
        ("first_value(x)", (1,)),
        ("collect_list(y) filter (where x = 2)", ([],)),
        ("every(x > 0)", (True,)),
        ("any_value(y) filter (where x > 1)", (None,)),
        ("try_sum(x)", (16,)),
        ("some(x > 5)", (True,)),
    ],
)
def test_spark_aggregates_give_sparks_answers(con, spark_select, spark_row) -> None:
    row = _one(con, spark_select)

    assert row == spark_row


def test_skewness_is_the_population_moment(con) -> None:
    (value,) = _one(con, "skewness(x)")

    assert value == pytest.approx(1.0182337649086284, rel=1e-12)  # Spark 3.5.9


@pytest.mark.parametrize(
    ("spark_select", "duckdb_type"),
    [
        ("percentile(x, 0.5)", "DOUBLE"),
        ("percentile(x, array(0.5))", "DOUBLE[]"),
        ("percentile_disc(0.5) within group (order by x)", "DOUBLE"),
        ("percentile_approx(x, 0.5)", "INTEGER"),
        ("skewness(x)", "DOUBLE"),
    ],
)
def test_spark_result_types(con, spark_select, duckdb_type) -> None:
    assert _types(con, spark_select) == [duckdb_type]


def test_rewrites_keep_filter_and_window() -> None:
    sql = to_duckdb("select kurtosis(x) filter (where x > 1) over (partition by g) k from t")

    assert sql.count("FILTER(WHERE x > 1) OVER (PARTITION BY g)") == 2


def test_respelled_items_keep_the_name_written() -> None:
    sql = to_duckdb("select percentile(x, 0.5), percentile(x, 0.5) p from t")

    assert sql == (
        'SELECT QUANTILE_CONT(CAST(x AS DOUBLE), 0.5) AS "percentile(x, 0.5)",'
        " QUANTILE_CONT(CAST(x AS DOUBLE), 0.5) AS p FROM t"
    )


@pytest.mark.parametrize(
    ("spark_select", "construct"),
    [
        ("approx_count_distinct(x)", "approx_count_distinct"),
        ("histogram_numeric(x, 3)", "histogram_numeric"),
        ("sum(distinct x) over (partition by g)", "DISTINCT in a window function"),
    ],
)
def test_aggregates_without_sparks_answer_are_refused(spark_select, construct) -> None:
    with pytest.raises(InvalidInputError) as caught:
        to_duckdb(f"select {spark_select} from t")

    assert caught.value.failure is Failure.JOB_SQL_INVALID
    assert caught.value.message.startswith(f"{construct} is not supported on the DuckDB engine")


@pytest.mark.parametrize(
    ("spark_sql", "duckdb_call"),
    [
        # Spark's first/last/any_value over a window are the window functions.
        ("select first(x, true) over (order by y) from t", "FIRST_VALUE(x IGNORE NULLS) OVER"),
        ("select last(x) over (order by y) from t", "LAST_VALUE(x) OVER"),
        ("select any_value(x) over (order by y) from t", "FIRST_VALUE(x) OVER"),
    ],
)
def test_first_last_over_windows_are_window_functions(spark_sql, duckdb_call) -> None:
    assert duckdb_call in to_duckdb(spark_sql)
