"""LIKE's escape character, side by side with real Spark: the patterns Tidemill refuses at
create are those Spark fails on (INVALID_FORMAT.ESC_IN_THE_MIDDLE / ESC_AT_THE_END), and a
column pattern Spark fails on fails the DuckDB run with Spark's error class."""

from __future__ import annotations

import duckdb
import pytest

from tidemill.engines.duckdb.dialect import to_duckdb
from tidemill.engines.duckdb.dialect.translate import macros_for
from tidemill.errors import Failure, InvalidInputError

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _run(spark_sql: str) -> list[tuple[object, ...]]:
    duckdb_sql = to_duckdb(spark_sql)
    con = duckdb.connect()
    for macro in macros_for(duckdb_sql):
        con.execute(macro)
    return con.execute(duckdb_sql).fetchall()


@pytest.mark.parametrize(
    ("sql", "error_class"),
    [
        (r"SELECT 'x' LIKE '\\%x\\Users%' AS l", "ESC_IN_THE_MIDDLE"),
        (r"SELECT 'x' LIKE 'x\\' AS l", "ESC_AT_THE_END"),
        (r"SELECT 'x' ILIKE 'x\\B' AS l", "ESC_IN_THE_MIDDLE"),
        (r"SELECT 'x' LIKE ANY ('a\\b', 'x') AS l", "ESC_IN_THE_MIDDLE"),
        ("SELECT 'x' LIKE 'x/' ESCAPE '/' AS l", "ESC_AT_THE_END"),
    ],
)
def test_a_literal_pattern_spark_fails_on_is_refused(
    spark: object, sql: str, error_class: str
) -> None:
    with pytest.raises(Exception, match=rf"INVALID_FORMAT\.{error_class}"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]
    with pytest.raises(InvalidInputError, match=rf"INVALID_FORMAT\.{error_class}") as caught:
        to_duckdb(sql)
    assert caught.value.failure is Failure.JOB_SQL_INVALID


def test_a_column_pattern_spark_fails_on_fails_the_run(spark: object) -> None:
    sql = r"SELECT s LIKE p AS l FROM VALUES ('ab', 'a\\b') AS t(s, p)"
    with pytest.raises(Exception, match=r"INVALID_FORMAT\.ESC_IN_THE_MIDDLE"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]
    with pytest.raises(duckdb.Error, match=r"INVALID_FORMAT\.ESC_IN_THE_MIDDLE"):
        _run(sql)


def test_a_bad_pattern_beside_a_null_subject_is_no_error(spark: object) -> None:
    sql = r"SELECT s LIKE p AS l FROM VALUES (CAST(NULL AS STRING), 'a\\b') AS t(s, p)"
    assert [tuple(r) for r in spark.sql(sql).collect()] == [(None,)]  # type: ignore[attr-defined]
    assert _run(sql) == [(None,)]


@pytest.mark.parametrize("call", ["like('a/_b', 'a//_b', '/')", "ilike('a', 'A', '/')"])
def test_like_with_a_third_argument_is_refused_as_spark_refuses_it(
    spark: object, call: str
) -> None:
    # sqlglot reads like(s, p, c) as s LIKE p ESCAPE c; Spark's like() takes two arguments
    sql = f"SELECT {call} AS l"
    with pytest.raises(Exception, match=r"WRONG_NUM_ARGS"):
        spark.sql(sql).collect()  # type: ignore[attr-defined]
    with pytest.raises(InvalidInputError, match=r"takes 2 arguments, found 3") as caught:
        to_duckdb(sql)
    assert caught.value.failure is Failure.JOB_SQL_INVALID
