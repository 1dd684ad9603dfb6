"""Spark's implicit casts, its non-ANSI CAST and its NULL/NaN rules, run on a real DuckDB.

Expected values are Spark 3.5.9's answers (ANSI off, session zone Asia/Shanghai), taken side by
side with pyspark; the fidelity corpus (tests/fidelity/corpus/{casts,coercion,nulls,numbers,
types}.py) checks the same ground against Spark itself.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from tidemill.core.sql import parse_query
from tidemill.engines.duckdb import database as engine
from tidemill.engines.duckdb.dialect import to_duckdb, types
from tidemill.errors import InvalidInputError

LOG = [("line", "long"), ("text", "string"), ("bytes", "string"), ("n", "long"), ("x", "float")]
TABLES = {"log": LOG}
ROWS = [
    (1, '203.0.113.10 "GET /a" 200 37431 "-"', "37431", 5, 1.5),
    (2, '198.51.100.7 "GET /b" 304 - "-"', "-", -3, -2.25),
    (3, '192.0.2.33 "GET /c" 206 1048576 "-"', "1048576", None, float("nan")),
    (4, '192.0.2.40 "GET /d" 200 999 "-"', " 999 ", 7, None),
]


@pytest.fixture(scope="module")
def con():
    connection = engine.connect(time_zone="Asia/Shanghai")
    connection.execute(engine._create_table("log", LOG).replace("TEMP ", ""))
    connection.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?)", [list(r) for r in ROWS])
    yield connection
    connection.close()


def run(con, spark_sql: str) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = con.execute(to_duckdb(spark_sql, TABLES)).fetchall()
    return rows


def one(con, spark_expression: str):
    return run(con, f"select {spark_expression}")[0][0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "int"), ("3000000000", "bigint"), ("1.5", "decimal(2,1)"), (".5", "decimal(1,1)"),
        ("100.00", "decimal(5,2)"), ("1e3", "double"), ("'x'", "string"),
        ("100000000000000000000", "decimal(21,0)"),
    ],
)  # fmt: skip
def test_literal_types_are_sparks(text, expected) -> None:
    literal = parse_query(f"select {text}").selects[0]
    assert isinstance(literal, exp.Literal)

    assert types.literal_type(literal) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("int", "bigint", "bigint"), ("bigint", "double", "double"), ("int", "string", "string"),
        ("decimal(2,1)", "int", "decimal(11,1)"), ("decimal(2,1)", "double", "double"),
        ("boolean", "string", None), ("void", "int", "int"), ("timestamp", "date", "timestamp"),
        ("array<int>", "array<string>", "array<string>"),
    ],
)  # fmt: skip
def test_wider_type_follows_type_coercion(a, b, expected) -> None:
    assert types.wider(a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("string", "int", "int"), ("bigint", "string", "bigint"), ("string", "double", "double"),
        ("string", "decimal(3,1)", "double"), ("string", "timestamp", "timestamp"),
        ("string", "boolean", "boolean"), ("string", "string", None), ("int", "bigint", None),
    ],
)  # fmt: skip
def test_comparison_type_casts_the_string_side(a, b, expected) -> None:
    assert types.comparison_type(a, b) == expected


def test_text_log_bytes_compared_with_a_number_drops_the_dash_instead_of_failing(con) -> None:
    spark_sql = (
        "with parsed as (select line, regexp_extract(text, '\" [0-9]{3} (\\\\S+) ', 1) as bytes "
        "from log) select line, bytes from parsed where bytes > 1000 order by line"
    )

    rows = run(con, spark_sql)

    assert rows == [(1, "37431"), (3, "1048576")]


def test_string_column_compared_with_int_is_cast_per_spark(con) -> None:
    rows = run(con, "select line, bytes = 999 as eq from log order by line")

    assert rows == [(1, False), (2, None), (3, False), (4, True)]  # ' 999 ' is trimmed


@pytest.mark.parametrize(
    ("spark_sql", "expected"),
    [
        ("select sum(bytes) from log", 1087006.0),
        ("select avg(bytes) from log", 1087006.0 / 3),
        ("select max(bytes + 1) from log", 1048577.0),
        ("select sum(-bytes) from log", -1087006.0),
    ],
)
def test_strings_in_arithmetic_and_aggregates_are_doubles(con, spark_sql, expected) -> None:
    assert run(con, spark_sql) == [(expected,)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cast(9.6 as int)", 9), ("cast(-9.6 as int)", -9), ("cast(9.6d as bigint)", 9),
        ("cast('9.6' as int)", 9), ("cast(' 12 ' as int)", 12), ("cast('1e3' as int)", None),
        ("cast('.5' as int)", 0), ("cast('99999999999' as int)", None),
        ("cast(1e10 as int)", 2147483647), ("cast(-1e10 as int)", -2147483648),
        ("cast(cast('NaN' as double) as int)", 0), ("cast(1e20 as bigint)", 9223372036854775807),
        ("cast(3000000000L as int)", -1294967296), ("cast(300 as tinyint)", 44),
        ("cast(1e10 as smallint)", -1), ("cast(99999999999.5 as int)", 1215752191),
        ("try_cast('9.6' as int)", None), ("try_cast(3000000000L as int)", None),
        ("bigint(2.9d)", 2),
    ],
)  # fmt: skip
def test_casts_to_integers_truncate_and_wrap_as_spark(con, expression, expected) -> None:
    assert one(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cast(' true ' as boolean)", True), ("cast(' yes ' as boolean)", True),
        ("cast('T' as boolean)", True), ("cast('0' as boolean)", False),
        ("cast('N' as boolean)", False), ("cast('2' as boolean)", None),
        ("cast('1.5f' as double)", 1.5), ("cast('-Inf' as double)", -math.inf),
        ("cast('1_0' as double)", None), ("cast('0x10' as int)", None),
    ],
)  # fmt: skip
def test_string_casts_trim_and_read_as_spark(con, expression, expected) -> None:
    assert one(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cast(1e10 as string)", "1.0E10"), ("cast(1.0d as string)", "1.0"),
        ("cast(0.001d as string)", "0.001"), ("cast(1.0E-4 as string)", "1.0E-4"),
        ("cast(1e7 as string)", "1.0E7"), ("cast(12345678.9d as string)", "1.23456789E7"),
        ("cast(cast('nan' as double) as string)", "NaN"), ("cast(-0.0d as string)", "-0.0"),
        ("cast(cast('inf' as double) as string)", "Infinity"),
        ("cast(123456789012345678d as string)", "1.2345678901234568E17"),
        ("concat('v=', 1e10)", "v=1.0E10"), ("cast(array(1, null) as string)", "[1, null]"),
        ("cast(map('a', 1, 'b', null) as string)", "{a -> 1, b -> null}"),
        ("cast(named_struct('a', 1, 'b', 'x') as string)", "{1, x}"),
        ("cast(array(array(1.5d), array(1e10d)) as string)", "[[1.5], [1.0E10]]"),
    ],
)  # fmt: skip
def test_values_print_as_sparks_cast_to_string(con, expression, expected) -> None:
    assert one(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 / 0", None), ("5 % 0", None), ("5 div 0", None), ("pmod(5, 0)", None),
        ("-7 div 2", -3), ("-7 % 3", -1), ("7 / 2", 3.5), ("round(2.5)", 3),
        ("round(1.005d, 2)", 1.01), ("round(0.125d, 2)", 0.13), ("bround(0.125d, 2)", 0.12),
        ("bround(2.5d)", 2.0), ("floor(-1.5d)", -2), ("ceil(1.2d)", 2),
        ("cast(1.0 / 3 as string)", "0.333333"), ("isnan(null)", False),
    ],
)  # fmt: skip
def test_numbers_as_spark_computes_them(con, expression, expected) -> None:
    assert one(con, expression) == expected


@pytest.mark.parametrize(
    ("expression", "spark_type"),
    [("floor(x)", "BIGINT"), ("ceil(n)", "BIGINT"), ("signum(n)", "DOUBLE"), ("n / 2", "DOUBLE")],
)
def test_output_types_are_sparks(con, expression, spark_type) -> None:
    described = con.execute(f"DESCRIBE {to_duckdb(f'select {expression} from log', TABLES)}")

    assert described.fetchall()[0][1] == spark_type


@pytest.mark.parametrize(
    "spark_sql",
    [
        "select line, x + 1, x * 2, n / 2 from log where n > 3 and x < 1.5e0",
        "select bytes, count(*), sum(x), avg(x), max(n) from log group by bytes",
        "select line from log where bytes = 'x' or bytes like '1%' order by n desc",
    ],
)
def test_queries_over_matching_types_get_no_casts(spark_sql) -> None:
    duckdb_sql = to_duckdb(spark_sql, TABLES).upper()

    assert "CAST" not in duckdb_sql and "TIDEMILL_" not in duckdb_sql


def test_an_integral_sum_is_only_wrapped() -> None:
    duckdb_sql = to_duckdb("select bytes, sum(n) from log group by bytes", TABLES).upper()

    assert "CAST" not in duckdb_sql and 'TIDEMILL_WRAP64(SUM(N)) AS "SUM(N)"' in duckdb_sql


@pytest.mark.parametrize(
    ("spark_select", "spark_answer"),
    [  # Spark 3.5.9, ANSI off (tests/fidelity/corpus/numbers.py: long-overflow-*)
        ("9223372036854775807 + (n - 4)", -9223372036854775808),
        ("-9223372036854775807 - (n - 4) - (n - 4)", 9223372036854775807),
        ("(n - 4) * 4611686018427387904 * 2", -9223372036854775808),
        ("(n - 4) * 4611686018427387904 * 4", 0),
        ("2147483647 + cast(n - 4 as int)", -2147483648),
        ("try_add(9223372036854775807, n - 4)", None),
        ("-(n - 4 - 9223372036854775807 - 2)", -9223372036854775808),
    ],
)
def test_integer_overflow_wraps_as_spark(con, spark_select: str, spark_answer: object) -> None:
    rows = run(con, f"select {spark_select} from log where n = 5")

    assert rows == [(spark_answer,)]


def test_union_widens_each_column(con) -> None:
    rows = run(con, "select n as v from log where line = 1 union all select 'a'")

    assert sorted(rows) == [("5",), ("a",)]


def test_unknown_tables_leave_the_query_untouched_instead_of_failing() -> None:
    duckdb_sql = to_duckdb("select a > 1 from elsewhere", {})

    assert duckdb_sql == "SELECT a > 1 FROM elsewhere"


def test_a_float_printed_as_text_is_refused_by_name() -> None:
    with pytest.raises(InvalidInputError, match="CAST of a FLOAT to STRING"):
        to_duckdb("select cast(cast(n as float) as string) from log", TABLES)


def test_nan_and_negative_zero_group_as_spark(con) -> None:
    rows = run(
        con,
        "select k, count(*) from (select cast('NaN' as double) as k union all select "
        "cast('nan' as double) union all select -0.0d union all select 0.0d) group by k",
    )

    assert sorted((str(k), c) for k, c in rows) == [("0.0", 2), ("nan", 2)]


def test_preview_prints_nested_timestamps_and_binary(tmp_path: Path) -> None:
    con = engine.connect(time_zone="Asia/Shanghai", allowed_directories=[str(tmp_path)])
    path = tmp_path / "r.parquet"
    con.execute(
        "COPY (SELECT [TIMESTAMPTZ '2009-07-30 02:15:30+00'] AS a, "
        "{'t': TIMESTAMPTZ '2009-07-30 02:15:30.5+00', 'd': 1.5} AS s, "
        "MAP(['k'], [TIMESTAMPTZ '2009-07-30 02:15:30+00']) AS m, "
        f"encode('abc') AS b) TO '{path}' (FORMAT parquet)"
    )
    con.close()

    names, rows = engine.preview(path, 10, "Asia/Shanghai")

    assert names == ["a", "s", "m", "b"]
    assert rows == [
        (
            ["2009-07-30T10:15:30+08:00"],
            {"t": "2009-07-30T10:15:30.500000+08:00", "d": 1.5},
            {"k": "2009-07-30T10:15:30+08:00"},
            "YWJj",
        )
    ]


def test_remembered_rewrites_tell_apart_queries_that_print_alike() -> None:
    # sqlglot prints both as PERCENTILE_APPROX(x, 0.3) in Spark SQL; the remembered rewrite of
    # the first must not answer for the second.
    first = to_duckdb("select percentile_cont(0.3) within group (order by x desc) from log", TABLES)
    second = to_duckdb("select percentile_disc(0.3) within group (order by x) from log", TABLES)

    assert first != second
    assert to_duckdb("select percentile_disc(0.3) within group (order by x) from log", TABLES) == (
        second
    )
